/**
 * `jobs:` into the model: each job's settings, its call of a reusable
 * workflow, its steps, and the checks across jobs (`needs` that name no job,
 * cycles).
 */
import type { SourcePosition } from "../../lib/index.js";
import type { Job, Strategy } from "../model.js";
import { ID_PATTERN, buildConcurrency, buildDefaults, buildEnv, type BuildContext } from "./build-context.js";
import { buildSteps } from "./build-steps.js";
import { closest } from "./suggest.js";
import type { AnyNode } from "./yaml-nodes.js";

export function buildJob(ctx: BuildContext, id: string, keyNode: AnyNode, value: AnyNode): Job | undefined {
  const r = ctx.r;
  const position = r.position(keyNode);
  if (!ID_PATTERN.test(id)) {
    ctx.report(
      keyNode,
      `job id '${id}' is invalid`,
      "Job ids start with a letter or _ and contain only letters, digits, - and _; put free text in the job's name:.",
    );
  }
  const map = r.map(value);
  if (!map) return undefined;
  const job: Job = {
    id,
    needs: r.stringList(r.get(map, "needs")),
    outputs: r.record(r.get(map, "outputs")),
    env: buildEnv(ctx, r.get(map, "env")),
    continueOnError: r.has(map, "continue-on-error") ? r.template(r.get(map, "continue-on-error")) : false,
    steps: [],
    with: r.record(r.get(map, "with")),
    position,
  };
  if (r.has(map, "name")) job.name = r.template(r.get(map, "name"));
  const cond = ctx.condition(r.get(map, "if"));
  if (cond !== undefined) job.if = cond;
  if (r.has(map, "runs-on")) job.runsOn = r.template(r.get(map, "runs-on"));
  if (r.has(map, "environment")) job.environment = r.template(r.get(map, "environment"));
  const concurrency = buildConcurrency(ctx, r.get(map, "concurrency"));
  if (concurrency) job.concurrency = concurrency;
  const defaults = buildDefaults(ctx, r.get(map, "defaults"));
  if (defaults) job.defaults = defaults;
  const strategy = buildStrategy(ctx, r.get(map, "strategy"));
  if (strategy) job.strategy = strategy;
  if (r.has(map, "timeout-minutes")) job.timeoutMinutes = r.template(r.get(map, "timeout-minutes"));
  if (r.has(map, "container")) job.container = r.template(r.get(map, "container"));
  if (r.has(map, "services")) job.services = r.template(r.get(map, "services"));
  if (r.has(map, "permissions")) job.permissions = r.template(r.get(map, "permissions"));

  const usesPair = r.pair(map, "uses");
  if (usesPair) {
    const uses = r.string(usesPair.value);
    if (uses !== undefined) {
      job.uses = uses;
      checkWorkflowReference(ctx, usesPair.value, uses);
    }
    const secrets = r.get(map, "secrets");
    if (r.string(secrets) === "inherit") job.secrets = "inherit";
    else if (r.map(secrets)) job.secrets = r.record(secrets);
  }
  const stepsNode = r.get(map, "steps");
  job.steps = buildSteps(ctx, id, stepsNode, position);
  const stepList = r.seq(stepsNode);
  if (!usesPair && (stepsNode === undefined || stepsNode === null || (stepList && stepList.items.length === 0))) {
    ctx.report(
      keyNode,
      `job '${id}' has no steps`,
      "Add steps: with at least one `run:` or `uses:` step, or call a reusable workflow with `uses:`.",
    );
  }
  return job;
}

function buildStrategy(ctx: BuildContext, node: AnyNode): Strategy | undefined {
  const r = ctx.r;
  const map = r.map(node);
  if (!map) {
    ctx.refuseWholeExpression(
      node,
      "strategy:",
      "Write strategy: as a mapping; matrix:, fail-fast: and max-parallel: may each be an expression, e.g. `matrix: ${{ fromJSON(needs.setup.outputs.matrix) }}`.",
    );
    return undefined;
  }
  const strategy: Strategy = {
    failFast: r.has(map, "fail-fast") ? r.template(r.get(map, "fail-fast")) : true,
  };
  if (r.has(map, "matrix")) strategy.matrix = r.template(r.get(map, "matrix"));
  if (r.has(map, "max-parallel")) strategy.maxParallel = r.template(r.get(map, "max-parallel"));
  return strategy;
}

function checkWorkflowReference(ctx: BuildContext, node: AnyNode, uses: string): void {
  const local = /^\.\/.+\.ya?ml$/.test(uses);
  const remote = /^[^/@\s]+\/[^/@\s]+\/.+\.ya?ml@[^@\s]+$/.test(uses);
  if (!local && !remote) {
    ctx.report(
      node,
      `uses: '${uses}' is not a reusable workflow reference`,
      "Call a workflow as ./.github/workflows/FILE.yml (this repository) or OWNER/REPO/.github/workflows/FILE.yml@REF.",
    );
  }
}

export function checkNeeds(ctx: BuildContext, jobs: Job[], sites: Map<string, { node: AnyNode; position: SourcePosition }>): void {
  const r = ctx.r;
  const known = new Set(jobs.map((j) => j.id));
  for (const job of jobs) {
    const site = sites.get(job.id);
    const seq = r.seq(site?.node);
    job.needs.forEach((need, i) => {
      if (known.has(need)) return;
      const node = seq ? seq.items[i] : site?.node;
      const list = [...known].filter((k) => k !== job.id);
      const guess = closest(need, list);
      const listed = list.length > 0 ? `Jobs of this workflow: ${list.join(", ")}.` : "Remove the needs: entry or add the job it names.";
      ctx.report(
        node,
        `job '${job.id}' needs '${need}', which is not a job of this workflow`,
        guess ? `Did you mean '${guess}'? ${listed}` : listed,
        site?.position,
      );
    });
  }
  // Cycles: depth-first search over known edges; each cycle is reported once,
  // at the needs: of its first job in file order.
  const byId = new Map(jobs.map((j) => [j.id, j]));
  const state = new Map<string, "active" | "done">();
  const stack: string[] = [];
  const visit = (id: string): void => {
    state.set(id, "active");
    stack.push(id);
    for (const need of byId.get(id)?.needs ?? []) {
      if (!byId.has(need)) continue;
      const s = state.get(need);
      if (s === "active") {
        const cycle = stack.slice(stack.indexOf(need));
        const first = jobs.find((j) => cycle.includes(j.id)) as Job;
        const start = cycle.indexOf(first.id);
        const ordered = [...cycle.slice(start), ...cycle.slice(0, start), first.id];
        // The path runs along "needs" edges: a needs b needs c needs a.
        const site = sites.get(first.id);
        ctx.errors.push({
          message: `jobs depend on each other in a cycle: ${ordered.join(" → ")}`,
          position: site?.position ?? first.position,
          hint: "Each arrow is a needs: entry; remove one of them so the jobs can run in some order.",
        });
      } else if (s === undefined) {
        visit(need);
      }
    }
    stack.pop();
    state.set(id, "done");
  };
  for (const job of jobs) if (!state.has(job.id)) visit(job.id);
}

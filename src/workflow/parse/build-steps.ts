/**
 * A job's `steps:` into the model: each step's shape (run or uses, not both),
 * its id (valid, unique in the job) and its `uses:` reference.
 */
import { isScalar, type YAMLMap } from "yaml";
import type { SourcePosition } from "../../lib/index.js";
import type { Step } from "../model.js";
import { ID_PATTERN, buildEnv, type BuildContext } from "./build-context.js";
import type { AnyNode } from "./yaml-nodes.js";

export function buildSteps(ctx: BuildContext, jobId: string, node: AnyNode, jobPosition: SourcePosition): Step[] {
  const r = ctx.r;
  const seq = r.seq(node);
  if (!seq) return [];
  const steps: Step[] = [];
  const ids = new Map<string, SourcePosition>();
  seq.items.forEach((item, index) => {
    const n = index + 1;
    const itemNode = r.deref(item);
    const position = r.position(itemNode, r.position(seq, jobPosition));
    if (itemNode === null || itemNode === undefined || (isScalar(itemNode) && itemNode.value === null)) {
      ctx.errors.push({
        message: `step ${n} of job '${jobId}' is empty: a step needs run or uses`,
        position,
        hint: "Remove the lone `-`, or give the step `run: <command>` or `uses: <action>`.",
      });
      return;
    }
    const map = r.map(itemNode);
    if (!map) return;
    const step = buildStep(ctx, jobId, index, map, position);
    if (step.id !== undefined) {
      const idNode = r.get(map, "id");
      const first = ids.get(step.id);
      if (first) {
        ctx.report(
          idNode,
          `step id '${step.id}' is used twice in job '${jobId}' (first at line ${first.line})`,
          "Step ids must be unique within a job, since steps.<id> refers to exactly one step.",
        );
      } else {
        ids.set(step.id, r.position(idNode));
      }
    }
    steps.push(step);
  });
  return steps;
}

function buildStep(ctx: BuildContext, jobId: string, index: number, map: YAMLMap, position: SourcePosition): Step {
  const r = ctx.r;
  const n = index + 1;
  ctx.refuseWholeExpression(r.get(map, "with"), "with:", "Write with: as a mapping of inputs; each value may be an expression.");
  const step: Step = {
    index,
    with: r.record(r.get(map, "with")),
    env: buildEnv(ctx, r.get(map, "env")),
    continueOnError: r.has(map, "continue-on-error") ? r.template(r.get(map, "continue-on-error")) : false,
    position,
  };
  const idNode = r.get(map, "id");
  const id = r.string(idNode);
  if (id !== undefined) {
    step.id = id;
    if (!ID_PATTERN.test(id) || id.startsWith("__")) {
      ctx.report(
        idNode,
        `step id '${id}' is invalid`,
        "Step ids start with a letter or _ (not __) and contain only letters, digits, - and _.",
      );
    }
  }
  if (r.has(map, "name")) step.name = r.template(r.get(map, "name"));
  const cond = ctx.condition(r.get(map, "if"));
  if (cond !== undefined) step.if = cond;
  const hasRun = r.has(map, "run");
  const hasUses = r.has(map, "uses");
  if (hasRun) {
    const run = r.string(r.get(map, "run"));
    if (run !== undefined) step.run = run;
  }
  if (hasUses) {
    const usesNode = r.get(map, "uses");
    const uses = r.string(usesNode);
    if (uses !== undefined) {
      step.uses = uses;
      checkActionReference(ctx, usesNode, uses);
    }
  }
  const label = `step ${n} of job '${jobId}'${id !== undefined ? ` (id '${id}')` : ""}`;
  if (hasRun && hasUses) {
    ctx.report(
      r.pair(map, "uses")?.keyNode,
      `${label} has both run and uses`,
      "A step either runs a command (run:) or an action (uses:); split it into two steps.",
      position,
    );
  } else if (!hasRun && !hasUses) {
    ctx.errors.push({
      message: `${label} has neither run nor uses`,
      position,
      hint: "Give the step `run: <command>` or `uses: <action>`.",
    });
  }
  const shell = r.string(r.get(map, "shell"));
  if (shell !== undefined) step.shell = shell;
  const wd = r.string(r.get(map, "working-directory"));
  if (wd !== undefined) step.workingDirectory = wd;
  if (r.has(map, "timeout-minutes")) step.timeoutMinutes = r.template(r.get(map, "timeout-minutes"));
  return step;
}

function checkActionReference(ctx: BuildContext, node: AnyNode, uses: string): void {
  if (uses.startsWith("./") || uses.startsWith("docker://")) return;
  // {owner}/{repo}[/path]@ref
  if (/^[^/@\s]+\/[^/@\s]+(\/[^@\s]*)?@[^@\s]+$/.test(uses)) return;
  ctx.report(
    node,
    `uses: '${uses}' is not a valid action reference`,
    "Use OWNER/REPO[/PATH]@REF (e.g. actions/checkout@v4), ./PATH for an action in this repository, or docker://IMAGE.",
  );
}

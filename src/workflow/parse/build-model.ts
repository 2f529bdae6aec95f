/**
 * Builds the typed model from the parsed YAML document, and checks what the
 * schema cannot: identifiers, `needs` references and cycles, step shapes,
 * step ids and `uses:` references. It never throws on a malformed document:
 * whatever has the wrong shape was reported by the schema check, and is
 * skipped here.
 */
import { isScalar, type YAMLMap } from "yaml";
import type { SlipwayErrorDetail, SourcePosition } from "../../lib/index.js";
import type {
  Concurrency,
  Condition,
  Job,
  RefFilter,
  RunDefaults,
  Step,
  Strategy,
  Template,
  Triggers,
  Workflow,
  WorkflowCallInput,
  WorkflowDispatchInput,
} from "../model.js";
import { closest } from "./suggest.js";
import type { AnyNode, NodeReader } from "./yaml-nodes.js";

const ID_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const FILTER_KEYS: [string, keyof RefFilter][] = [
  ["branches", "branches"],
  ["branches-ignore", "branchesIgnore"],
  ["tags", "tags"],
  ["tags-ignore", "tagsIgnore"],
  ["paths", "paths"],
  ["paths-ignore", "pathsIgnore"],
  ["types", "types"],
  ["workflows", "workflows"],
];

/** An `if:` value found while building, checked for expression syntax by the caller. */
export interface ConditionSite {
  node: AnyNode;
  position: SourcePosition;
  text: string;
}

export interface BuildResult {
  workflow: Workflow;
  errors: SlipwayErrorDetail[];
  conditions: ConditionSite[];
}

export function buildWorkflowModel(reader: NodeReader): BuildResult {
  return new ModelBuilder(reader).build();
}

class ModelBuilder {
  readonly errors: SlipwayErrorDetail[] = [];
  readonly conditions: ConditionSite[] = [];

  constructor(private readonly r: NodeReader) {}

  private report(node: unknown, message: string, hint: string, fallback?: SourcePosition): void {
    this.errors.push({ message, position: this.r.position(node, fallback), hint });
  }

  build(): BuildResult {
    const r = this.r;
    const root = r.map(r.doc.contents);
    const workflow: Workflow = {
      file: r.file,
      on: { events: {} },
      env: {},
      jobs: [],
    };
    if (!root) return { workflow, errors: this.errors, conditions: this.conditions };

    const name = r.string(r.get(root, "name"));
    if (name !== undefined) workflow.name = name;
    if (r.has(root, "run-name")) workflow.runName = r.template(r.get(root, "run-name"));
    workflow.on = this.buildTriggers(r.get(root, "on"));
    workflow.env = this.buildEnv(r.get(root, "env"));
    const defaults = this.buildDefaults(r.get(root, "defaults"));
    if (defaults) workflow.defaults = defaults;
    if (r.has(root, "permissions")) workflow.permissions = r.template(r.get(root, "permissions"));
    const concurrency = this.buildConcurrency(r.get(root, "concurrency"));
    if (concurrency) workflow.concurrency = concurrency;

    const jobsPair = r.pair(root, "jobs");
    const jobsMap = r.map(jobsPair?.value);
    const needsSites = new Map<string, { node: AnyNode; position: SourcePosition }>();
    for (const entry of r.entries(jobsMap)) {
      const job = this.buildJob(entry.key, entry.keyNode, entry.value);
      if (!job) continue;
      workflow.jobs.push(job);
      const needsPair = r.pair(r.map(entry.value), "needs");
      if (needsPair) needsSites.set(job.id, { node: needsPair.value, position: r.position(needsPair.keyNode) });
    }
    if (jobsMap && jobsMap.items.length === 0) {
      this.report(jobsPair?.keyNode, "the workflow has no jobs", "Add at least one job under jobs:, e.g. `build: {runs-on: ubuntu-latest, steps: [{run: make}]}`.");
    }
    this.checkNeeds(workflow.jobs, needsSites);
    return { workflow, errors: this.errors, conditions: this.conditions };
  }

  // ---- triggers ---------------------------------------------------------

  private buildTriggers(node: AnyNode): Triggers {
    const r = this.r;
    const triggers: Triggers = { events: {} };
    const seq = r.seq(node);
    const map = r.map(node);
    if (map) {
      for (const e of r.entries(map)) this.addEvent(triggers, e.key, e.value);
    } else if (seq) {
      for (const item of seq.items) {
        const name = r.string(item);
        if (name !== undefined) this.addEvent(triggers, name, undefined);
      }
    } else {
      const name = r.string(node);
      if (name !== undefined) this.addEvent(triggers, name, undefined);
    }
    return triggers;
  }

  private addEvent(triggers: Triggers, name: string, value: AnyNode): void {
    const r = this.r;
    const config = r.map(value);
    switch (name) {
      case "workflow_dispatch":
        triggers.events[name] = undefined;
        triggers.workflowDispatch = { inputs: this.buildDispatchInputs(r.get(config, "inputs")) };
        return;
      case "workflow_call":
        triggers.events[name] = undefined;
        triggers.workflowCall = {
          inputs: this.buildCallInputs(r.get(config, "inputs")),
          outputs: this.buildCallOutputs(r.get(config, "outputs")),
          secrets: this.buildCallSecrets(r.get(config, "secrets")),
        };
        return;
      case "schedule": {
        triggers.events[name] = undefined;
        const list = r.seq(value);
        triggers.schedule = [];
        for (const item of list?.items ?? []) {
          const entry = r.map(item);
          const cron = r.string(r.get(entry, "cron"));
          if (cron === undefined) continue;
          const timezone = r.string(r.get(entry, "timezone"));
          triggers.schedule.push(timezone === undefined ? { cron } : { cron, timezone });
        }
        return;
      }
    }
    if (!config) {
      triggers.events[name] = undefined;
      return;
    }
    const filter: RefFilter = {};
    for (const [key, field] of FILTER_KEYS) {
      if (r.has(config, key)) filter[field] = r.stringList(r.get(config, key));
    }
    for (const [include, exclude] of [
      ["branches", "branches-ignore"],
      ["tags", "tags-ignore"],
      ["paths", "paths-ignore"],
    ] as const) {
      if (r.has(config, include) && r.has(config, exclude)) {
        this.report(
          r.pair(config, exclude)?.keyNode,
          `on.${name} has both ${include} and ${exclude}`,
          `Use one of them; to exclude some ${include} from a list, add patterns starting with ! to ${include}.`,
        );
      }
    }
    triggers.events[name] = filter;
  }

  private buildDispatchInputs(node: AnyNode): Record<string, WorkflowDispatchInput> {
    const r = this.r;
    const out: Record<string, WorkflowDispatchInput> = {};
    for (const e of r.entries(r.map(node))) {
      const def = r.map(e.value);
      const type = (r.string(r.get(def, "type")) ?? "string") as WorkflowDispatchInput["type"];
      const input: WorkflowDispatchInput = { type, required: r.scalar(r.get(def, "required")) === true };
      const description = r.string(r.get(def, "description"));
      if (description !== undefined) input.description = description;
      const dflt = r.scalar(r.get(def, "default"));
      if (dflt !== undefined && dflt !== null) input.default = dflt;
      if (r.has(def, "options")) input.options = r.stringList(r.get(def, "options"));
      out[e.key] = input;
    }
    return out;
  }

  private buildCallInputs(node: AnyNode): Record<string, WorkflowCallInput> {
    const r = this.r;
    const out: Record<string, WorkflowCallInput> = {};
    for (const e of r.entries(r.map(node))) {
      const def = r.map(e.value);
      const type = (r.string(r.get(def, "type")) ?? "string") as WorkflowCallInput["type"];
      const input: WorkflowCallInput = { type, required: r.scalar(r.get(def, "required")) === true };
      const description = r.string(r.get(def, "description"));
      if (description !== undefined) input.description = description;
      if (r.has(def, "default")) input.default = r.template(r.get(def, "default"));
      out[e.key] = input;
    }
    return out;
  }

  private buildCallOutputs(node: AnyNode): Record<string, { description?: string; value: Template }> {
    const r = this.r;
    const out: Record<string, { description?: string; value: Template }> = {};
    for (const e of r.entries(r.map(node))) {
      const def = r.map(e.value);
      const output: { description?: string; value: Template } = { value: r.template(r.get(def, "value")) };
      const description = r.string(r.get(def, "description"));
      if (description !== undefined) output.description = description;
      out[e.key] = output;
    }
    return out;
  }

  private buildCallSecrets(node: AnyNode): Record<string, { description?: string; required: boolean }> {
    const r = this.r;
    const out: Record<string, { description?: string; required: boolean }> = {};
    for (const e of r.entries(r.map(node))) {
      const def = r.map(e.value);
      const secret: { description?: string; required: boolean } = { required: r.scalar(r.get(def, "required")) === true };
      const description = r.string(r.get(def, "description"));
      if (description !== undefined) secret.description = description;
      out[e.key] = secret;
    }
    return out;
  }

  // ---- shared pieces ----------------------------------------------------

  private buildEnv(node: AnyNode): Record<string, Template> | string {
    const r = this.r;
    if (node === undefined || node === null) return {};
    if (r.map(node)) return r.record(node);
    return r.string(node) ?? {};
  }

  private buildDefaults(node: AnyNode): RunDefaults | undefined {
    const r = this.r;
    const runNode = r.get(r.map(node), "run");
    this.refuseWholeExpression(runNode, "defaults.run:", "Write defaults.run: as a mapping; shell: and working-directory: may each be an expression.");
    const run = r.map(runNode);
    if (!run) return undefined;
    const defaults: RunDefaults = {};
    const shell = r.string(r.get(run, "shell"));
    if (shell !== undefined) defaults.shell = shell;
    const wd = r.string(r.get(run, "working-directory"));
    if (wd !== undefined) defaults.workingDirectory = wd;
    return defaults;
  }

  private buildConcurrency(node: AnyNode): Concurrency | undefined {
    const r = this.r;
    if (node === undefined || node === null) return undefined;
    const map = r.map(node);
    if (!map) return { group: r.template(node), cancelInProgress: false };
    return {
      group: r.template(r.get(map, "group")),
      cancelInProgress: r.has(map, "cancel-in-progress") ? r.template(r.get(map, "cancel-in-progress")) : false,
    };
  }

  /**
   * GitHub's schema lets a few mappings (strategy, step with, defaults.run)
   * be one expression; the model has a field per setting there, so such a
   * value is refused with a hint rather than silently dropped.
   */
  private refuseWholeExpression(node: AnyNode, what: string, hint: string): void {
    const text = this.r.string(node);
    if (text !== undefined && text.includes("${{")) this.report(node, `${what} as a single expression is not supported`, hint);
  }

  private condition(node: AnyNode): Condition | undefined {
    const value = this.r.scalar(node);
    if (value === undefined || value === null) return undefined;
    const text = String(value);
    if (text.trim() === "") return undefined;
    this.conditions.push({ node, position: this.r.position(node), text });
    return text;
  }

  // ---- jobs -------------------------------------------------------------

  private buildJob(id: string, keyNode: AnyNode, value: AnyNode): Job | undefined {
    const r = this.r;
    const position = r.position(keyNode);
    if (!ID_PATTERN.test(id)) {
      this.report(
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
      env: this.buildEnv(r.get(map, "env")),
      continueOnError: r.has(map, "continue-on-error") ? r.template(r.get(map, "continue-on-error")) : false,
      steps: [],
      with: r.record(r.get(map, "with")),
      position,
    };
    if (r.has(map, "name")) job.name = r.template(r.get(map, "name"));
    const cond = this.condition(r.get(map, "if"));
    if (cond !== undefined) job.if = cond;
    if (r.has(map, "runs-on")) job.runsOn = r.template(r.get(map, "runs-on"));
    if (r.has(map, "environment")) job.environment = r.template(r.get(map, "environment"));
    const concurrency = this.buildConcurrency(r.get(map, "concurrency"));
    if (concurrency) job.concurrency = concurrency;
    const defaults = this.buildDefaults(r.get(map, "defaults"));
    if (defaults) job.defaults = defaults;
    const strategy = this.buildStrategy(r.get(map, "strategy"));
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
        this.checkWorkflowReference(usesPair.value, uses);
      }
      const secrets = r.get(map, "secrets");
      if (r.string(secrets) === "inherit") job.secrets = "inherit";
      else if (r.map(secrets)) job.secrets = r.record(secrets);
    }
    const stepsNode = r.get(map, "steps");
    job.steps = this.buildSteps(id, stepsNode, position);
    const stepList = r.seq(stepsNode);
    if (!usesPair && (stepsNode === undefined || stepsNode === null || (stepList && stepList.items.length === 0))) {
      this.report(
        keyNode,
        `job '${id}' has no steps`,
        "Add steps: with at least one `run:` or `uses:` step, or call a reusable workflow with `uses:`.",
      );
    }
    return job;
  }

  private buildStrategy(node: AnyNode): Strategy | undefined {
    const r = this.r;
    const map = r.map(node);
    if (!map) {
      this.refuseWholeExpression(
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

  private checkWorkflowReference(node: AnyNode, uses: string): void {
    const local = /^\.\/.+\.ya?ml$/.test(uses);
    const remote = /^[^/@\s]+\/[^/@\s]+\/.+\.ya?ml@[^@\s]+$/.test(uses);
    if (!local && !remote) {
      this.report(
        node,
        `uses: '${uses}' is not a reusable workflow reference`,
        "Call a workflow as ./.github/workflows/FILE.yml (this repository) or OWNER/REPO/.github/workflows/FILE.yml@REF.",
      );
    }
  }

  // ---- steps ------------------------------------------------------------

  private buildSteps(jobId: string, node: AnyNode, jobPosition: SourcePosition): Step[] {
    const r = this.r;
    const seq = r.seq(node);
    if (!seq) return [];
    const steps: Step[] = [];
    const ids = new Map<string, SourcePosition>();
    seq.items.forEach((item, index) => {
      const n = index + 1;
      const itemNode = r.deref(item);
      const position = r.position(itemNode, r.position(seq, jobPosition));
      if (itemNode === null || itemNode === undefined || (isScalar(itemNode) && itemNode.value === null)) {
        this.errors.push({
          message: `step ${n} of job '${jobId}' is empty: a step needs run or uses`,
          position,
          hint: "Remove the lone `-`, or give the step `run: <command>` or `uses: <action>`.",
        });
        return;
      }
      const map = r.map(itemNode);
      if (!map) return;
      const step = this.buildStep(jobId, index, map, position);
      if (step.id !== undefined) {
        const idNode = r.get(map, "id");
        const first = ids.get(step.id);
        if (first) {
          this.report(
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

  private buildStep(jobId: string, index: number, map: YAMLMap, position: SourcePosition): Step {
    const r = this.r;
    const n = index + 1;
    this.refuseWholeExpression(r.get(map, "with"), "with:", "Write with: as a mapping of inputs; each value may be an expression.");
    const step: Step = {
      index,
      with: r.record(r.get(map, "with")),
      env: this.buildEnv(r.get(map, "env")),
      continueOnError: r.has(map, "continue-on-error") ? r.template(r.get(map, "continue-on-error")) : false,
      position,
    };
    const idNode = r.get(map, "id");
    const id = r.string(idNode);
    if (id !== undefined) {
      step.id = id;
      if (!ID_PATTERN.test(id) || id.startsWith("__")) {
        this.report(
          idNode,
          `step id '${id}' is invalid`,
          "Step ids start with a letter or _ (not __) and contain only letters, digits, - and _.",
        );
      }
    }
    if (r.has(map, "name")) step.name = r.template(r.get(map, "name"));
    const cond = this.condition(r.get(map, "if"));
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
        this.checkActionReference(usesNode, uses);
      }
    }
    const label = `step ${n} of job '${jobId}'${id !== undefined ? ` (id '${id}')` : ""}`;
    if (hasRun && hasUses) {
      this.report(
        r.pair(map, "uses")?.keyNode,
        `${label} has both run and uses`,
        "A step either runs a command (run:) or an action (uses:); split it into two steps.",
        position,
      );
    } else if (!hasRun && !hasUses) {
      this.errors.push({
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

  private checkActionReference(node: AnyNode, uses: string): void {
    if (uses.startsWith("./") || uses.startsWith("docker://")) return;
    // {owner}/{repo}[/path]@ref
    if (/^[^/@\s]+\/[^/@\s]+(\/[^@\s]*)?@[^@\s]+$/.test(uses)) return;
    this.report(
      node,
      `uses: '${uses}' is not a valid action reference`,
      "Use OWNER/REPO[/PATH]@REF (e.g. actions/checkout@v4), ./PATH for an action in this repository, or docker://IMAGE.",
    );
  }

  // ---- needs ------------------------------------------------------------

  private checkNeeds(jobs: Job[], sites: Map<string, { node: AnyNode; position: SourcePosition }>): void {
    const r = this.r;
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
        this.report(
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
          this.errors.push({
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
}

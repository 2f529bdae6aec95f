/**
 * planRun: validates inputs and the job graph, applies the job filter and
 * expands the matrices that are known before the run.
 */
import { SlipwayError } from "../lib/index.js";
import { evaluateTemplate, stringifyValue, type Job, type Template, type Workflow, type WorkflowDispatchInput } from "../workflow/index.js";
import { resolveDispatchInputs, type InputValue } from "./inputs.js";
import { evaluateMatrix, expandMatrix, filterMatrixLegs, nameMatrixLeg, type MatrixLeg } from "./matrix.js";
import type { PlannedJob, PlannedMatrix, PlannedWorkflow, RunInput, RunPlan } from "./types.js";

export const RUNTIME_MATRIX_REASON = "determined at run time";

export function planRun(input: RunInput): RunPlan {
  const vars = { ...(input.vars ?? {}) };
  const env = { ...(input.env ?? {}) };
  const github = { ...input.github };
  const workflows: PlannedWorkflow[] = [];
  let filterFound = input.jobFilter === undefined;

  for (const workflow of input.workflows) {
    checkJobGraph(workflow);
    const runGithub = { ...github, ...(input.workflowGithub?.(workflow) ?? {}) };
    const inputs = resolveWorkflowInputs(workflow, input, runGithub, vars);
    let jobs = workflow.jobs;
    if (input.jobFilter !== undefined) {
      const wanted = collectNeeded(workflow, input.jobFilter);
      if (wanted.size === 0) continue;
      filterFound = true;
      jobs = jobs.filter((j) => wanted.has(j.id));
    }
    const name = workflow.name ?? workflow.file;
    const contexts = {
      github: { ...runGithub, event: input.payload, event_name: input.event, workflow: name },
      vars,
      inputs,
    };
    workflows.push({
      workflow,
      file: workflow.file,
      name,
      github: runGithub,
      inputs,
      jobs: jobs.map((job) => {
        const planned = planJob(workflow, job, contexts, input.matrixFilter);
        return input.skipJobs?.includes(job.id) ? { ...planned, excluded: true } : planned;
      }),
    });
  }
  for (const id of input.skipJobs ?? []) {
    if (!input.workflows.some((w) => w.jobs.some((j) => j.id === id))) {
      throw new SlipwayError("JOB_NOT_FOUND", `no selected workflow has a job '${id}' to skip`, {
        hint: "Name a job id of the selected workflows (see --list).",
      });
    }
  }
  if (!filterFound) {
    throw new SlipwayError("JOB_NOT_FOUND", `no selected workflow has a job '${input.jobFilter}'`);
  }

  const plan: RunPlan = {
    event: input.event,
    payload: input.payload,
    github,
    vars,
    env,
    ...(input.matrixFilter ? { matrixFilter: { ...input.matrixFilter } } : {}),
    workflows,
  };
  return plan;
}

/**
 * The `inputs` context of a top-level workflow. `workflow_dispatch` inputs,
 * and `workflow_call` inputs when a called workflow is run on its own, come
 * from the event payload's `inputs` overridden by `RunInput.inputs`, typed
 * against the workflow's declarations (strings such as "true" or "3" are
 * converted). Unknown names are an error only when given in
 * `RunInput.inputs`: a payload file may carry more than one workflow needs.
 * For other events the context is empty.
 */
function resolveWorkflowInputs(workflow: Workflow, input: RunInput, github: Record<string, unknown>, vars: Record<string, string>): Record<string, InputValue> {
  let declared: Record<string, WorkflowDispatchInput>;
  if (input.event === "workflow_dispatch" && workflow.on.workflowDispatch) {
    declared = workflow.on.workflowDispatch.inputs;
  } else if (input.event === "workflow_call" && workflow.on.workflowCall) {
    declared = {};
    for (const [name, decl] of Object.entries(workflow.on.workflowCall.inputs)) {
      let def: unknown = undefined;
      if (decl.default !== undefined) {
        def = evaluateTemplate(decl.default, { github: { ...github, event: input.payload, event_name: input.event }, vars });
      }
      declared[name] = {
        type: decl.type,
        required: decl.required,
        ...(typeof def === "string" || typeof def === "number" || typeof def === "boolean" ? { default: def } : {}),
      };
    }
  } else {
    return {};
  }
  const fromPayload = (input.payload as { inputs?: unknown }).inputs;
  const payloadInputs: Record<string, unknown> = {};
  if (fromPayload && typeof fromPayload === "object" && !Array.isArray(fromPayload)) {
    for (const [k, v] of Object.entries(fromPayload)) if (k in declared) payloadInputs[k] = v;
  }
  return resolveDispatchInputs(declared, { ...payloadInputs, ...(input.inputs ?? {}) }, { file: workflow.file });
}

/** The job and every job it needs, transitively; empty when the workflow lacks the job. */
function collectNeeded(workflow: Workflow, jobId: string): Set<string> {
  const byId = new Map(workflow.jobs.map((j) => [j.id, j]));
  const wanted = new Set<string>();
  const queue = byId.has(jobId) ? [jobId] : [];
  while (queue.length > 0) {
    const id = queue.pop()!;
    if (wanted.has(id)) continue;
    wanted.add(id);
    for (const n of byId.get(id)?.needs ?? []) queue.push(n);
  }
  return wanted;
}

/** Needs must name jobs of the same workflow and must not form a cycle. */
export function checkJobGraph(workflow: Workflow): void {
  const byId = new Map(workflow.jobs.map((j) => [j.id, j]));
  for (const job of workflow.jobs) {
    for (const need of job.needs) {
      if (!byId.has(need)) {
        throw new SlipwayError("WORKFLOW_INVALID", `job '${job.id}' needs '${need}', which is not a job of this workflow`, {
          position: job.position,
        });
      }
    }
  }
  const state = new Map<string, "visiting" | "done">();
  const visit = (job: Job, path: string[]): void => {
    const s = state.get(job.id);
    if (s === "done") return;
    if (s === "visiting") {
      throw new SlipwayError("WORKFLOW_INVALID", `jobs form a cycle through needs: ${[...path, job.id].join(" -> ")}`, {
        position: job.position,
      });
    }
    state.set(job.id, "visiting");
    for (const n of job.needs) visit(byId.get(n)!, [...path, job.id]);
    state.set(job.id, "done");
  };
  for (const job of workflow.jobs) visit(job, []);
}

function planJob(
  workflow: Workflow,
  job: Job,
  contexts: Record<string, unknown>,
  matrixFilter: Record<string, string | string[]> | undefined,
): PlannedJob {
  const hasMatrix = job.strategy?.matrix !== undefined && job.strategy.matrix !== null;
  // A matrix job's expression name belongs to its legs; the job as a whole shows as its id.
  const name = hasMatrix && typeof job.name === "string" && job.name.includes("${{") ? job.id : planJobName(job, { ...contexts, matrix: {}, needs: {}, strategy: {} });
  return {
    id: job.id,
    name,
    workflowFile: workflow.file,
    needs: [...job.needs],
    ...(job.if !== undefined ? { if: job.if } : {}),
    ...(job.uses !== undefined ? { uses: job.uses } : {}),
    matrix: planMatrix(job, name, contexts, matrixFilter),
    job,
  };
}

/**
 * A job's display name as the run gives it: `name:` evaluated (with the
 * leg's matrix for a matrix leg), the id without one. A name that cannot be
 * known before the run (it reads `needs`, or fails) shows as the id.
 */
function planJobName(job: Job, contexts: Record<string, unknown>): string {
  if (job.name === undefined) return job.id;
  if (typeof job.name === "string" && !job.name.includes("${{")) return job.name;
  if (mentionsContext(job.name, "needs")) return job.id;
  try {
    const name = stringifyValue(evaluateTemplate(job.name, contexts));
    return name === "" ? job.id : name;
  } catch {
    return job.id;
  }
}

/** A matrix leg's display name, as the run gives it: an expression `name:` evaluated with the leg, else the name and the leg's values. */
function planLegName(job: Job, name: string, leg: MatrixLeg, index: number, total: number, contexts: Record<string, unknown>): string {
  if (typeof job.name === "string" && job.name.includes("${{")) {
    const strategy = { "fail-fast": true, "job-index": index, "job-total": total, "max-parallel": total };
    return planJobName(job, { ...contexts, matrix: leg, needs: {}, strategy });
  }
  return nameMatrixLeg(name, leg);
}

function planMatrix(
  job: Job,
  name: string,
  contexts: Record<string, unknown>,
  matrixFilter: Record<string, string | string[]> | undefined,
): PlannedMatrix | null {
  const matrix = job.strategy?.matrix;
  if (matrix === undefined || matrix === null) return null;
  if (mentionsContext(matrix, "needs")) return { kind: "runtime", reason: RUNTIME_MATRIX_REASON };
  try {
    const legs = filterMatrixLegs(expandMatrix(evaluateMatrix(matrix, contexts)), matrixFilter);
    return { kind: "static", legs, names: legs.map((leg, i) => planLegName(job, name, leg, i, legs.length, contexts)) };
  } catch {
    // Errors are reported when the job runs, where they fail only that job.
    return { kind: "runtime", reason: RUNTIME_MATRIX_REASON };
  }
}

/** Whether any expression inside a template refers to a context by name. */
function mentionsContext(value: Template | undefined, context: string): boolean {
  const re = new RegExp(`\\b${context}\\b`);
  const visit = (v: Template | undefined): boolean => {
    if (typeof v === "string") {
      return [...v.matchAll(/\$\{\{([\s\S]*?)\}\}/g)].some((m) => re.test(m[1]!));
    }
    if (Array.isArray(v)) return v.some(visit);
    if (v !== null && typeof v === "object") return Object.entries(v).some(([k, x]) => visit(k) || visit(x));
    return false;
  };
  return visit(value);
}

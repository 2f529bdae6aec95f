/**
 * One leg of a job that calls a reusable workflow (`jobs.<id>.uses`): the
 * called workflow's typed inputs and secrets mapping, its jobs run as a graph
 * of their own one level deeper, and its outputs.
 */
import { evaluateTemplate, stringifyValue, type Template, type Workflow } from "../workflow/index.js";
import type { Conclusion, SecretsCall } from "../protocol/index.js";
import { resolveCallInputs } from "./inputs.js";
import { nameMatrixLeg } from "./matrix.js";
import { checkJobGraph } from "./plan.js";
import type { PlannedJob } from "./types.js";
import { MAX_WORKFLOW_DEPTH, aggregateResults, complete, errorText, skeleton, type JobOutcome, type LegOutcome, type LegRun } from "./run-state.js";

/** Plans the jobs of a called workflow; their matrices are evaluated when they run. */
function planCalledJobs(workflow: Workflow): PlannedJob[] {
  return workflow.jobs.map((job) => ({
    id: job.id,
    name: typeof job.name === "string" && !job.name.includes("${{") ? job.name : job.id,
    workflowFile: workflow.file,
    needs: [...job.needs],
    ...(job.if !== undefined ? { if: job.if } : {}),
    ...(job.uses !== undefined ? { uses: job.uses } : {}),
    matrix: null,
    job,
  }));
}

/**
 * One leg of a `jobs.<id>.uses` call: the called workflow's jobs run as a
 * graph of their own, named `caller / callee`, with the caller's `github`
 * context, the typed `with:` inputs and the mapped (or inherited) secrets.
 * The called workflow's `outputs` become the calling job's outputs.
 */
export async function runCallLeg(lr: LegRun): Promise<LegOutcome> {
  const { state, graph, pj, leg, legCtx, key, limiter, jobSignal, cancelReason } = lr;
  const job = pj.job;
  const uses = job.uses!;
  const entry = skeleton(graph, pj, key, graph.namePrefix + (leg ? nameMatrixLeg(pj.name, leg) : pj.name), leg);
  const finish = (conclusion: Conclusion, reason: string, level?: "info" | "warning" | "error"): LegOutcome => {
    entry.conclusion = conclusion;
    entry.reason = reason;
    return { result: conclusion, outputs: {}, entries: [complete(state, entry, level)] };
  };
  if (!state.loadWorkflow) return finish("failure", `cannot load the called workflow '${uses}' here`, "error");
  if (graph.depth >= MAX_WORKFLOW_DEPTH) {
    return finish("failure", `'${uses}' nests workflows deeper than ${MAX_WORKFLOW_DEPTH} levels`, "error");
  }

  let name: string;
  let given: Record<string, unknown>;
  try {
    if (typeof job.name === "string" && job.name.includes("${{")) {
      name = stringifyValue(evaluateTemplate(job.name, legCtx));
    } else {
      const base = job.name === undefined ? pj.id : stringifyValue(evaluateTemplate(job.name, legCtx));
      name = leg ? nameMatrixLeg(base, leg) : base;
    }
    entry.name = graph.namePrefix + name;
    const w = evaluateTemplate(job.with as Template, legCtx);
    given = w && typeof w === "object" && !Array.isArray(w) ? (w as Record<string, unknown>) : {};
  } catch (error) {
    return finish("failure", errorText(error), "error");
  }

  let called: Workflow;
  try {
    called = await state.loadWorkflow(uses, graph.workflow);
    checkJobGraph(called);
  } catch (error) {
    return finish("failure", `cannot load '${uses}': ${errorText(error)}`, "error");
  }
  const call = called.on.workflowCall;
  if (!call) return finish("failure", `'${uses}' has no \`on: workflow_call\``, "error");

  const defaults: Record<string, unknown> = {};
  try {
    for (const [k, decl] of Object.entries(call.inputs)) {
      if (decl.default !== undefined) defaults[k] = evaluateTemplate(decl.default, { github: graph.github, vars: graph.vars });
    }
  } catch (error) {
    return finish("failure", `default of an input of '${uses}': ${errorText(error)}`, "error");
  }
  const typed = resolveCallInputs(call.inputs, given, defaults);
  if ("error" in typed) return finish("failure", `calling '${uses}': ${typed.error}`, "error");
  const secretsCall: SecretsCall = job.secrets === "inherit" ? { inherit: true } : { map: job.secrets ?? {}, contexts: legCtx };
  if (job.secrets !== "inherit") {
    for (const [k, decl] of Object.entries(call.secrets)) {
      if (decl.required && !(k in (job.secrets ?? {}))) {
        return finish("failure", `calling '${uses}': required secret '${k}' was not passed`, "error");
      }
    }
  }

  if (jobSignal.aborted) return finish("cancelled", cancelReason());
  const limited = await limiter.acquire(jobSignal);
  if (!limited) return finish("cancelled", cancelReason());
  try {
    const child = await lr.runGraph(state, {
      workflow: called,
      jobs: planCalledJobs(called),
      github: graph.github,
      inputs: typed.inputs,
      secretsCalls: [...graph.secretsCalls, secretsCall],
      vars: graph.vars,
      baseEnv: graph.baseEnv,
      cancelSignal: jobSignal,
      namePrefix: `${entry.name} / `,
      keyPrefix: `${key}.`,
      depth: graph.depth + 1,
    });
    const jobsCtx: Record<string, JobOutcome> = {};
    for (const [id, o] of child.outcomes) jobsCtx[id] = o;
    const result = aggregateResults([...child.outcomes.values()].map((o) => o.result));
    const outputs: Record<string, string> = {};
    for (const [k, out] of Object.entries(call.outputs)) {
      try {
        outputs[k] = stringifyValue(
          evaluateTemplate(out.value, { github: graph.github, inputs: typed.inputs, vars: graph.vars, jobs: jobsCtx }),
        );
      } catch (error) {
        state.events.message?.("error", `output '${k}' of '${uses}': ${errorText(error)}`);
        outputs[k] = "";
      }
    }
    lr.settle(result);
    return { result, outputs, entries: child.entries };
  } finally {
    limiter.release();
  }
}

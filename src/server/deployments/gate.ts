/**
 * The gate before the runners. A job naming an environment is activated as
 * `waiting` with a gate row and a deployment record; the gate passes (the job
 * is queued for the runners, so its environment secrets can be released at
 * claim time) only when every protection rule of the environment passed and
 * no other deployment of the environment is queued or running (the ordered
 * deploy queue). Decisions are taken by whoever looks first — the activation
 * itself, a review, a deployment that ended, or the periodic sweep on any
 * replica — and recorded atomically by the store, so every replica may look.
 */
import { decideGate, hasProtectionRules, isReworkDeployment, type GateDecision } from "../../release/index.js";
import type { DeploymentGate, DeploymentState, Job, Store, WorkflowRun } from "../../store/index.js";
import type { JobRequest } from "../../protocol/index.js";
import { queueHookEvent } from "../webhooks-out/index.js";
import { protectionOf, reviewerUserIds } from "./protection.js";
import { collectRequiredChecks } from "./required-checks.js";
import { runDeploymentSuccessHooks } from "./success-hooks.js";

/** The ref a job deploys: its github context's, else the run's branch. */
function refOf(request: JobRequest, run: WorkflowRun): string {
  const github = request.contexts.github as { ref?: unknown } | undefined;
  if (typeof github?.ref === "string" && github.ref !== "") return github.ref;
  return run.headBranch ? `refs/heads/${run.headBranch}` : run.headSha;
}

/** A `workflow_dispatch` run's inputs as the job sees them (the `inputs` context, else the event's). */
function dispatchInputsOf(request: JobRequest, run: WorkflowRun): unknown {
  if (run.event !== "workflow_dispatch") return undefined;
  const github = request.contexts.github as { event?: { inputs?: unknown } } | undefined;
  return request.contexts.inputs ?? github?.event?.inputs;
}

/**
 * Holds a job that names an environment: records its gate and its
 * deployment (none when the job says `deployment: false`), then decides the gate at once. Returns whether the job is to be
 * activated `waiting` (always, for a job with an environment: the decision
 * queues it) or `queued` (no environment).
 */
export async function holdJob(store: Store, job: Job, request: JobRequest, run: WorkflowRun, options: { rollback?: boolean } = {}): Promise<"waiting" | "queued"> {
  if (!request.environment) return "queued";
  // A name no environment can have (e.g. holding a '/') names no rules and no secrets.
  const environment = await store.ensureEnvironment(run.repositoryId, request.environment).catch(() => null);
  if (!environment) return "queued";
  const gate = await store.createGate({
    jobId: job.id,
    runId: run.id,
    repositoryId: run.repositoryId,
    environment: environment.name,
    sha: run.headSha,
    ref: refOf(request, run),
    actor: run.actor,
    rollback: options.rollback ?? false,
  });
  // `deployment: false`: the rules and secrets of the environment, no record.
  if (request.deployment !== false && !(await store.findJobDeployment(job.id))) {
    const deployment = await store.createDeployment({
      repositoryId: run.repositoryId,
      environment: environment.name,
      sha: run.headSha,
      ref: refOf(request, run).replace(/^refs\/(heads|tags)\//, ""),
      task: "deploy",
      creator: run.actor,
      runId: run.id,
      jobId: job.id,
      productionEnvironment: environment.name.toLowerCase() === "production",
      state: "waiting",
      rework: isReworkDeployment({ ref: refOf(request, run), hotfixBranches: protectionOf(environment).hotfixBranches, inputs: dispatchInputsOf(request, run) }),
      ...(gate.rollback ? { description: "rollback", payload: { rollback: true } } : {}),
    });
    await queueHookEvent(store, run.repositoryId, { event: "deployment", deploymentId: deployment.id });
  }
  // Each custom protection rule is asked once per held job; its callback decides.
  for (const hookId of protectionOf(environment).customRules) {
    await queueHookEvent(store, run.repositoryId, { event: "deployment_protection_rule", hookId, runId: run.id, jobId: job.id, environment: environment.name, sha: gate.sha, ref: gate.ref });
  }
  // The environment's reviewers are asked (a rollback skips them when the environment says so).
  const protection = protectionOf(environment);
  if (protection.reviewers.length > 0 && !(gate.rollback && protection.skipReviewersOnRollback)) {
    await queueHookEvent(store, run.repositoryId, { event: "deployment_review", action: "requested", runId: run.id, jobId: job.id, environment: environment.name, requestor: run.actor, reviewers: protection.reviewers.map((r) => ({ type: r.type, id: r.id })) });
  }
  return "waiting";
}

/** The decision for one waiting gate, from the store's current records. */
async function assessGate(store: Store, gate: DeploymentGate, now: Date): Promise<GateDecision> {
  const environment = await store.getEnvironment(gate.repositoryId, gate.environment);
  if (!environment) return { state: "fail", message: `The environment ${gate.environment} does not exist any more.` };
  const protection = protectionOf(environment);
  if (!hasProtectionRules(protection)) return { state: "pass" };
  const patterns = protection.branchPolicy?.customBranchPolicies ? await store.listBranchPolicies(environment.id) : [];
  const reviews = (await store.listReviews(gate.runId)).filter((r) => r.environment.toLowerCase() === gate.environment.toLowerCase());
  const required = protection.requiresEnvironment;
  const requiredEnvironmentDeployed =
    required === null ||
    (await store.listDeployments(gate.repositoryId, { environment: required, sha: gate.sha }, { perPage: 100 })).items.some((d) => d.state === "success" || d.state === "inactive");
  const checks = await collectRequiredChecks(store, { repositoryId: gate.repositoryId, sha: gate.sha, names: protection.requiredChecks, deployJobId: gate.jobId, deployRunId: gate.runId });
  return decideGate({
    checks,
    environment: environment.name,
    protection,
    ref: gate.ref,
    sha: gate.sha,
    actor: gate.actor,
    reviewerUserIds: reviewerUserIds(protection),
    patterns,
    reviews,
    waitingSince: Date.parse(gate.createdAt),
    now: now.getTime(),
    requiredEnvironmentDeployed,
    rollback: gate.rollback,
  });
}

/** Sets the deployment of a gated job to `state` unless it is there already. */
async function followDeployment(store: Store, jobId: number, state: DeploymentState, description: string, environmentUrl?: string): Promise<void> {
  const deployment = await store.findJobDeployment(jobId);
  if (!deployment || (deployment.state === state && (environmentUrl === undefined || environmentUrl === deployment.environmentUrl))) return;
  if (["success", "failure", "error", "inactive"].includes(deployment.state) && deployment.state !== state) return;
  const status = await store.addDeploymentStatus(deployment.id, { state, description, ...(environmentUrl ? { environmentUrl } : {}) });
  if (status) await queueHookEvent(store, deployment.repositoryId, { event: "deployment_status", deploymentId: deployment.id, statusId: status.id });
  if (state === "success") await runDeploymentSuccessHooks(store, deployment);
}

/**
 * Looks at waiting gates (all, or those of one run or environment) and moves
 * each job whose decision is taken; returns how many moved.
 */
export async function reviewGates(store: Store, now: Date, filter: { runId?: number; repositoryId?: number; environment?: string } = {}): Promise<number> {
  let moved = await supersedeGates(store, await store.listWaitingGates(filter));
  for (const gate of await store.listWaitingGates(filter)) {
    const decision = await assessGate(store, gate, now);
    if (decision.state === "wait") continue;
    if (decision.state === "pass") {
      if (await store.decideGate(gate.jobId, { state: "passed", exclusive: true, ...(decision.bypassedBy ? { message: `bypassed by ${decision.bypassedBy}` } : {}) })) {
        moved += 1;
        await followDeployment(store, gate.jobId, "queued", "Waiting for a runner");
      }
    } else if (await store.decideGate(gate.jobId, { state: "failed", message: decision.message })) {
      moved += 1;
      await followDeployment(store, gate.jobId, "failure", decision.message.slice(0, 140));
    }
  }
  return moved;
}

/**
 * In environments that say `supersede`, a newer waiting deployment replaces
 * the older ones still waiting: their jobs end cancelled. Returns how many.
 */
async function supersedeGates(store: Store, gates: DeploymentGate[]): Promise<number> {
  let cancelled = 0;
  const keys = new Set(gates.map((g) => `${g.repositoryId}:${g.environment.toLowerCase()}`));
  for (const key of keys) {
    const [repositoryId, environment] = [Number(key.slice(0, key.indexOf(":"))), key.slice(key.indexOf(":") + 1)];
    const record = await store.getEnvironment(repositoryId, environment);
    if (!record || !protectionOf(record).supersede) continue;
    const waiting = await store.listWaitingGates({ repositoryId, environment });
    const newest = Math.max(...waiting.map((g) => g.jobId));
    for (const gate of waiting) {
      if (gate.jobId === newest) continue;
      const message = `Superseded by a newer deployment to ${record.name}`;
      if (await store.decideGate(gate.jobId, { state: "failed", conclusion: "cancelled", message })) {
        cancelled += 1;
        await followDeployment(store, gate.jobId, "inactive", message);
      }
    }
  }
  return cancelled;
}

/** Fails every job still waiting for the environment (it was deleted). */
export async function failEnvironmentGates(store: Store, repositoryId: number, environment: string, message: string): Promise<void> {
  for (const gate of await store.listWaitingGates({ repositoryId, environment })) {
    if (await store.decideGate(gate.jobId, { state: "failed", message })) await followDeployment(store, gate.jobId, "failure", message.slice(0, 140));
  }
}

const DEPLOYMENT_STATE_OF: Record<string, DeploymentState> = {
  success: "success",
  skipped: "inactive",
  neutral: "success",
  cancelled: "error",
};

/**
 * Makes a job's deployment follow the job: `in_progress` once a runner has
 * it, then `success`, `failure` or `error` (cancelled) when it ends, with the
 * environment URL the runner evaluated. When the deployment ended, the
 * environment's next waiting job may go.
 */
export async function followJob(store: Store, job: Job, now: Date, environmentUrl?: string): Promise<void> {
  if (!job.request?.environment) return;
  if (job.status === "in_progress") {
    await followDeployment(store, job.id, "in_progress", "Deploying");
    return;
  }
  if (job.status !== "completed") return;
  // A job that ended before its start was seen still went through in_progress, as its statuses on GitHub do.
  if (job.startedAt) await followDeployment(store, job.id, "in_progress", "Deploying");
  const state = DEPLOYMENT_STATE_OF[job.conclusion ?? ""] ?? "failure";
  await followDeployment(store, job.id, state, (job.error ?? `The job ended: ${job.conclusion ?? "failure"}`).slice(0, 140), environmentUrl);
  const run = await store.getRun(job.runId);
  if (run) await reviewGates(store, now, { repositoryId: run.repositoryId, environment: job.request.environment });
}

/**
 * Rollback without a rebuild: re-runs the job of an earlier successful
 * deployment of an environment — that job only, at its commit, as a new
 * attempt of its run, so it sees the run's other jobs' outputs and the run's
 * artifacts — through the environment's rules. The new deployment carries
 * `payload.rollback` and the deployment it replaced (`rolled_back_from`).
 *
 * Automatic rollback: in an environment with `auto_rollback`, the newest
 * deployment that ends `failure` (its job failed, its verification failed or
 * an operator set the status) is rolled back to the last successful
 * deployment before it. Every replica's sweep looks; the decision is recorded
 * on the failed deployment atomically, so exactly one replica acts on it.
 * Before deciding, every failed deployment, with or without `auto_rollback`,
 * halts the flag rollouts of its environment (see flag-halt.ts).
 */
import { SlipwayError, type MessageLogger } from "../../lib/index.js";
import type { DeploymentRecord, Store, WorkflowRun } from "../../store/index.js";
import type { RunControl } from "../context.js";
import { haltFlagRollouts } from "./flag-halt.js";
import { protectionOf } from "./protection.js";
import { queueHookEvent } from "../webhooks-out/index.js";

/** The login recorded as the actor of an automatic rollback. */
const AUTO_ROLLBACK_ACTOR = "slipway";

/** Whether a deployment succeeded at some point (it may be inactive since a newer one succeeded). */
async function succeeded(store: Store, deployment: DeploymentRecord): Promise<boolean> {
  if (deployment.state === "success") return true;
  if (deployment.state !== "inactive") return false;
  return (await store.listDeploymentStatuses(deployment.id)).some((s) => s.state === "success");
}

function refuse(environment: string, why: string): SlipwayError {
  return new SlipwayError("ROLLBACK_TARGET_NOT_FOUND", `Cannot roll back ${environment}: ${why}`);
}

/** The last deployment before `beforeId` (all, when null) that a workflow job made and that succeeded; null when none. */
async function lastSuccessBefore(store: Store, repositoryId: number, environment: string, beforeId: number | null): Promise<DeploymentRecord | null> {
  const history = (await store.listDeployments(repositoryId, { environment }, { perPage: 100 })).items;
  for (const d of history) {
    if (beforeId !== null && d.id >= beforeId) continue;
    if (d.jobId !== null && d.runId !== null && (await succeeded(store, d))) return d;
  }
  return null;
}

/** The deployment to roll back to: the one asked for, or the last successful one before the current one. */
export async function findRollbackTarget(store: Store, repositoryId: number, environment: string, asked: number | undefined): Promise<DeploymentRecord> {
  if (asked !== undefined) {
    const deployment = await store.getDeployment(repositoryId, asked);
    if (!deployment || deployment.environment.toLowerCase() !== environment.toLowerCase()) throw refuse(environment, `deployment ${asked} is not a deployment of ${environment}`);
    if (deployment.jobId === null || deployment.runId === null) throw refuse(environment, `deployment ${asked} was not made by a workflow job`);
    if (!(await succeeded(store, deployment))) throw refuse(environment, `deployment ${asked} never succeeded`);
    return deployment;
  }
  const current = (await store.listDeployments(repositoryId, { environment, state: "success" }, { perPage: 1 })).items[0];
  const target = await lastSuccessBefore(store, repositoryId, environment, current?.id ?? null);
  if (!target || !current) throw refuse(environment, current ? "no earlier successful deployment made by a workflow job" : "it has no current successful deployment");
  return target;
}

/**
 * Starts the rollback of `environment` to `target`: a new attempt of the
 * target's run with only its deployment job, held by the environment's gate
 * as a rollback, whose deployment links to `rolledBackFrom` (by default the
 * environment's newest deployment, the one being replaced).
 */
export async function startRollback(
  store: Store,
  runControl: RunControl,
  args: { repositoryId: number; environment: string; target: DeploymentRecord; actor: string; rolledBackFrom?: number | null },
): Promise<{ run: WorkflowRun; jobKey: string }> {
  const { repositoryId, environment, target, actor } = args;
  const job = await store.getJob(target.jobId!);
  const run = await store.getRun(target.runId!);
  if (!job || !run) throw refuse(environment, `the run of deployment ${target.id} no longer exists`);
  const original = await store.getGate(job.id);
  const rolledBackFrom = args.rolledBackFrom !== undefined ? args.rolledBackFrom : ((await store.listDeployments(repositoryId, { environment }, { perPage: 1 })).items[0]?.id ?? null);
  const ref = original?.ref ?? (run.headBranch ? `refs/heads/${run.headBranch}` : run.headSha);
  const next = await runControl.rerun(run.id, {
    onlyJob: job.key,
    prepare: async (jobs) => {
      const copy = jobs.find((j) => j.key === job.key)!;
      await store.createGate({ jobId: copy.id, runId: run.id, repositoryId, environment, sha: run.headSha, ref, actor, rollback: true });
      // Recorded here so the deployment carries its link; holding the job finds it and adds none.
      const deployment = await store.createDeployment({
        repositoryId,
        environment,
        sha: run.headSha,
        ref: ref.replace(/^refs\/(heads|tags)\//, ""),
        task: "deploy",
        creator: actor,
        runId: run.id,
        jobId: copy.id,
        productionEnvironment: environment.toLowerCase() === "production",
        state: "waiting",
        description: "rollback",
        payload: { rollback: true, ...(rolledBackFrom !== null ? { rollback_of: rolledBackFrom } : {}) },
        rolledBackFrom,
      });
      await queueHookEvent(store, repositoryId, { event: "deployment", deploymentId: deployment.id });
    },
  });
  return { run: next, jobKey: job.key };
}

function isRollback(d: DeploymentRecord): boolean {
  return d.rolledBackFrom !== null || (typeof d.payload === "object" && d.payload !== null && (d.payload as { rollback?: unknown }).rollback === true);
}

/**
 * Decides every failed deployment not decided yet: halts its environment's
 * flag rollouts, then rolls back those of
 * environments with `auto_rollback` (the newest deployment of its
 * environment, not itself a rollback, with an earlier success to return to)
 * and records why for the others. Returns how many rollbacks it started.
 */
export async function rollBackFailedDeployments(store: Store, runControl: RunControl, logger?: MessageLogger): Promise<number> {
  let started = 0;
  for (const failed of await store.listUndecidedFailures()) {
    await haltFlagRollouts(store, failed, logger);
    const environment = await store.getEnvironment(failed.repositoryId, failed.environment);
    if (!environment || !protectionOf(environment).autoRollback) {
      await store.decideAutoRollback(failed.id, "auto_rollback is off");
      continue;
    }
    const newest = (await store.listDeployments(failed.repositoryId, { environment: environment.name }, { perPage: 1 })).items[0];
    if (newest && newest.id !== failed.id) {
      await store.decideAutoRollback(failed.id, `a newer deployment (${newest.id}) replaced it`);
      continue;
    }
    if (isRollback(failed)) {
      await store.decideAutoRollback(failed.id, "a failed rollback is not rolled back");
      continue;
    }
    const target = await lastSuccessBefore(store, failed.repositoryId, environment.name, failed.id);
    if (!target) {
      await store.decideAutoRollback(failed.id, "no earlier successful deployment to roll back to");
      continue;
    }
    // The target's run may still be finishing (e.g. an earlier rollback's attempt): decide at a later sweep.
    if ((await store.getRun(target.runId!))?.status !== "completed") continue;
    if (!(await store.decideAutoRollback(failed.id, `rolled back to deployment ${target.id}`))) continue;
    try {
      await startRollback(store, runControl, { repositoryId: failed.repositoryId, environment: environment.name, target, actor: AUTO_ROLLBACK_ACTOR, rolledBackFrom: failed.id });
      started += 1;
    } catch (error) {
      logger?.warn(`automatic rollback of ${environment.name} (deployment ${failed.id}) to deployment ${target.id} failed: ${(error as Error).message}`);
    }
  }
  return started;
}

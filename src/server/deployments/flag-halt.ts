/**
 * A failed deployment halts the flag rollouts of its environment that started
 * with it or after it was created (and before it failed) and are still
 * rolling: each flag's split goes back to the split before the rollout's
 * last step (the split it started from, after one step), written as a new
 * version of the flag set like every flag change, audited as
 * `flags.rollout.halted` with the deployment and the reason. The flag keeps
 * its state (it is not disabled); a rollout that took its last step, or that
 * its runner already put back, is left alone. The rollout's row is re-read
 * under the flag set's lock, so a step landing meanwhile is halted from
 * where it got to, and a second halt of the same rollout does nothing.
 */
import type { MessageLogger } from "../../lib/index.js";
import { assertFlagSet } from "../../flags/index.js";
import { haltsFlagRollout, replaceFlagSplit } from "../../release/index.js";
import type { DeploymentRecord, FlagRolloutRecord, Store } from "../../store/index.js";

/** The actor recorded on a halt's flag-set version and audit entry. */
const HALT_ACTOR = "slipway";

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Thrown inside a change to leave the set as it is: the rollout moved on, or its flag is gone. */
class NothingToHalt extends Error {}

async function haltOne(store: Store, failed: DeploymentRecord, context: { environmentId: number; environment: string; target: string }, rollout: FlagRolloutRecord): Promise<boolean> {
  const why = `deployment ${failed.id} to ${context.environment} failed`;
  const key = rollout.flagKey;
  try {
    await store.changeFlagSet(context.environmentId, HALT_ACTOR, async (current, rollouts) => {
      const row = (await rollouts.readFlagRollouts({ flagKey: key, jobId: rollout.jobId })).find((r) => r.jobId === rollout.jobId);
      if (!row || row.state !== "rolling") throw new NothingToHalt();
      const document = (current?.document ?? { flags: {} }) as Json;
      const flags = isObject(document.flags) ? document.flags : {};
      const flag = flags[key];
      if (!isObject(flag)) throw new NothingToHalt();
      const next = replaceFlagSplit(key, flag, row.previousSplit);
      const nextDocument = { ...document, flags: { ...flags, [key]: next } };
      assertFlagSet(nextDocument, `flag set of ${context.target} environment ${context.environment}`);
      const reason = `rollout halted: ${why}; split back to its previous step`;
      return {
        document: nextDocument,
        reason,
        rollout: { ...row, split: row.previousSplit, state: "halted", halt: { deploymentId: failed.id, reason: why } },
        audit: {
          action: "flags.rollout.halted",
          target: context.target,
          details: { environment: context.environment, version: (current?.version ?? 0) + 1, reason: why, deployment: failed.id, run: row.runId, job: row.jobId, flags: { [key]: { before: flag, after: next } } },
        },
      };
    });
    return true;
  } catch (error) {
    if (error instanceof NothingToHalt) return false;
    throw error;
  }
}

/** Halts the rollouts `failed` halts; returns how many it halted. A rollout that cannot be halted is logged and the others go on. */
export async function haltFlagRollouts(store: Store, failed: DeploymentRecord, logger?: MessageLogger): Promise<number> {
  const environment = await store.getEnvironment(failed.repositoryId, failed.environment);
  const repository = await store.getRepository(failed.repositoryId);
  if (!environment || !repository) return 0;
  const rule = { jobId: failed.jobId, createdAt: failed.createdAt, failedAt: failed.updatedAt };
  const halting = (await store.listFlagRollouts(environment.id, { state: "rolling" })).filter((r) => haltsFlagRollout(rule, { jobId: r.jobId, state: "rolling", startedAt: r.startedAt }));
  const context = { environmentId: environment.id, environment: environment.name, target: `repo:${repository.fullName}` };
  let halted = 0;
  for (const rollout of halting) {
    try {
      if (!(await haltOne(store, failed, context, rollout))) continue;
      halted += 1;
      logger?.info(`deployment ${failed.id} to ${environment.name} failed: halted the rollout of flag ${rollout.flagKey} (job ${rollout.jobId}) at its previous step`);
    } catch (error) {
      logger?.warn(`halting the rollout of flag ${rollout.flagKey} in ${environment.name} (job ${rollout.jobId}) after deployment ${failed.id} failed: ${(error as Error).message}`);
    }
  }
  return halted;
}

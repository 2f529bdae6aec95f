/**
 * `schedule` triggers: once a minute every repository's workflows at the tip
 * of its default branch are checked, and each schedule due in that minute
 * starts a run. The store's schedule ticks make one replica fire each one.
 */
import type { Store } from "../../store/index.js";
import { cronFires, parseCron } from "./cron.js";
import type { RunCreator } from "./create-run.js";
import { readWorkflowFiles, resolveRef } from "./git-mirror.js";
import { parseWorkflowFiles, type RepositoryAccess } from "./repository-access.js";
import type { MessageLogger } from "../../lib/index.js";

export function createScheduleFirer(deps: { store: Store; access: RepositoryAccess; creator: RunCreator; logger: MessageLogger }) {
  const { store, access, creator, logger } = deps;

  /** Fires the schedules due in the minute containing `now`; returns how many runs it started. */
  return async function fireSchedules(now: Date): Promise<number> {
    const minute = new Date(Math.floor(now.getTime() / 60_000) * 60_000);
    let fired = 0;
    for (const repo of await access.allRepositories()) {
      try {
        const mirror = await access.mirrors.fetch(access.sourceOf(repo)).catch(() => access.mirrors.path(repo.id));
        const sha = await resolveRef(mirror, `refs/heads/${repo.defaultBranch}`);
        if (!sha) continue;
        const { valid } = parseWorkflowFiles(await readWorkflowFiles(mirror, sha));
        const disabled = new Set((await store.listWorkflowStates(repo.id)).filter((w) => w.state !== "active").map((w) => w.workflowFile));
        for (const workflow of valid.filter((w) => !disabled.has(w.file))) {
          for (const s of workflow.on.schedule ?? []) {
            let fires: boolean;
            try {
              fires = cronFires(parseCron(s.cron, { file: workflow.file, ...(s.timezone ? { timezone: s.timezone } : {}) }), minute);
            } catch (error) {
              logger.warn(`schedules of ${repo.fullName}: ${(error as Error).message}`);
              continue;
            }
            if (!fires) continue;
            if (!(await store.claimScheduleTick({ repositoryId: repo.id, workflowFile: workflow.file, cron: s.cron, minute }))) continue;
            fired += 1;
            await creator.createRunFor(repo, workflow, {
              event: "schedule",
              payload: { schedule: s.cron, ref: `refs/heads/${repo.defaultBranch}` },
              sha,
              branch: repo.defaultBranch,
              actor: null,
            });
          }
        }
      } catch (error) {
        logger.warn(`schedules of ${repo.fullName}: ${(error as Error).message}`);
      }
    }
    return fired;
  };
}

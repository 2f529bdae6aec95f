/** Schedule ticks claimed, so that each cron minute starts its workflow once across replicas. */
import { affected, nowIso, toIso, type StoreContext } from "./context.js";

interface ScheduleTick {
  repositoryId: number;
  workflowFile: string;
  cron: string;
  /** The minute the schedule fires for; seconds are dropped. */
  minute: Date;
}

export interface ScheduleTickStore {
  /** True for exactly one caller per (repository, workflow, cron, minute), across replicas. */
  claimScheduleTick(tick: ScheduleTick): Promise<boolean>;
  /** Forgets schedule ticks for minutes before `before`; returns how many. */
  deleteScheduleTicksBefore(before: Date): Promise<number>;
}

function truncateToMinute(date: Date): string {
  const d = new Date(date.getTime());
  d.setUTCSeconds(0, 0);
  return d.toISOString();
}

export function createScheduleTickStore(ctx: StoreContext): ScheduleTickStore {
  const { db } = ctx;
  return {
    async claimScheduleTick(tick) {
      const result = await db
        .insertInto("schedule_ticks")
        .values({
          repository_id: tick.repositoryId,
          workflow_file: tick.workflowFile,
          cron: tick.cron,
          minute: truncateToMinute(tick.minute),
          fired_at: nowIso(ctx),
        })
        .onConflict((oc) => oc.columns(["repository_id", "workflow_file", "cron", "minute"]).doNothing())
        .executeTakeFirst();
      return affected(result) === 1;
    },
    async deleteScheduleTicksBefore(before) {
      return affected(await db.deleteFrom("schedule_ticks").where("minute", "<", toIso(before)).executeTakeFirst());
    },
  };
}

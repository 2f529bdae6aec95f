/**
 * What slipway/test-shards and the server exchange, with the job's token:
 * recorded per-file durations, and the queue shard jobs pull files from.
 */

/** GET …/actions/test-shards/durations. */
export interface TestDurationsAnswer {
  /** `workflow`: the default branch's recent runs of the job's workflow; `repository`: any recent run of the repository; `none`: nothing recorded. */
  source: "workflow" | "repository" | "none";
  run_ids: number[];
  /** Longest first; `duration_ms` is the median of the file's total per run. */
  files: Array<{ file: string; duration_ms: number; samples: number }>;
}

/** POST …/actions/test-shards/queues/{key}: the files of the job's run attempt, with the time each is expected to take. */
export interface TestShardQueueBody {
  files: Array<{ file: string; duration_ms: number | null }>;
}

export interface TestShardQueueAnswer {
  key: string;
  run_id: number;
  run_attempt: number;
  /** False when another shard created the queue first (its list is kept). */
  created: boolean;
  total: number;
}

/** POST …/actions/test-shards/queues/{key}/next: a file, or wait and ask again, or done. */
export type TestShardNextAnswer =
  | { file: string; position: number; duration_ms: number | null; done: false }
  | { file: null; done: false; retry_after_ms: number }
  | { file: null; done: true; total: number };

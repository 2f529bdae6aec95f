/**
 * Splitting a test suite's files into shards of equal expected time, from
 * durations recorded in earlier reports: longest-processing-time-first — the
 * files, longest first, each go to the shard with the least time so far
 * (ties to the lower shard, then the file name, so the same input always
 * gives the same split). A file without a recorded duration is estimated
 * from its size at the suite's recorded time per byte when sizes are known,
 * else as the median recorded duration (1 when nothing is recorded: then
 * the split is by count). No shard is empty while files remain.
 */

export interface ShardFile {
  path: string;
  /** Recorded duration in ms (e.g. the file's total from the last reports). */
  durationMs?: number;
  /** Size in bytes, used to estimate files without a recorded duration. */
  sizeBytes?: number;
}

interface Shard {
  /** 1-based, as `--shard=i/n` counts. */
  index: number;
  files: string[];
  estimatedMs: number;
}

export interface ShardPlan {
  shards: Shard[];
  /** Files whose duration was estimated, not recorded. */
  estimated: string[];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function isKnown(ms: number | undefined): ms is number {
  return ms !== undefined && Number.isFinite(ms) && ms >= 0;
}

/** Splits `files` into at most `count` shards (fewer only when there are fewer files). */
export function planShards(files: readonly ShardFile[], count: number): ShardPlan {
  if (!Number.isInteger(count) || count < 1) throw new Error(`shard count ${count} is not a positive integer`);
  const unique = [...new Map(files.map((f) => [f.path, f])).values()];
  const known = unique.filter((f) => isKnown(f.durationMs));
  const perByte = (() => {
    const sized = known.filter((f) => f.sizeBytes !== undefined && f.sizeBytes > 0);
    const bytes = sized.reduce((sum, f) => sum + f.sizeBytes!, 0);
    return bytes > 0 ? sized.reduce((sum, f) => sum + f.durationMs!, 0) / bytes : undefined;
  })();
  const fallback = known.length > 0 ? median(known.map((f) => f.durationMs!)) : 1;
  const estimated: string[] = [];
  const weighted = unique.map((f) => {
    if (isKnown(f.durationMs)) return { path: f.path, ms: f.durationMs };
    estimated.push(f.path);
    const bySize = perByte !== undefined && f.sizeBytes !== undefined && f.sizeBytes > 0 ? f.sizeBytes * perByte : undefined;
    return { path: f.path, ms: bySize ?? fallback };
  });
  weighted.sort((a, b) => b.ms - a.ms || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const shards: Shard[] = Array.from({ length: Math.min(count, weighted.length) }, (_, i) => ({ index: i + 1, files: [], estimatedMs: 0 }));
  for (const file of weighted) {
    let target = shards[0]!;
    for (const shard of shards) if (shard.estimatedMs < target.estimatedMs) target = shard;
    target.files.push(file.path);
    target.estimatedMs += file.ms;
  }
  for (const shard of shards) shard.files.sort();
  return { shards, estimated: estimated.sort() };
}

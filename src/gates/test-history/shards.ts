/**
 * Splitting a test suite's files into shards of equal expected time, from
 * durations recorded in earlier reports: longest-processing-time-first — the
 * files, longest first, each go to the shard with the least time so far
 * (ties to the lower shard, then the file name, so the same input always
 * gives the same split). A file without a recorded duration is estimated
 * (see estimateDurations). No shard is empty while files remain.
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

/** A file with the time it is expected to take, recorded or estimated. */
interface WeightedFile {
  path: string;
  ms: number;
  estimated: boolean;
}

/**
 * Each file once (a path listed twice keeps its longest recorded duration),
 * with its expected time: the recorded duration; else its size at the
 * suite's recorded time per byte; else the median recorded duration; with
 * nothing recorded at all, its size relative to the average file size (so
 * sizes still weigh the split), else 1.
 */
export function estimateDurations(files: readonly ShardFile[]): WeightedFile[] {
  const byPath = new Map<string, ShardFile>();
  for (const f of files) {
    const seen = byPath.get(f.path);
    if (!seen || (isKnown(f.durationMs) && (!isKnown(seen.durationMs) || f.durationMs > seen.durationMs))) byPath.set(f.path, f);
  }
  const unique = [...byPath.values()];
  const known = unique.filter((f) => isKnown(f.durationMs));
  const hasSize = (f: ShardFile) => f.sizeBytes !== undefined && f.sizeBytes > 0;
  const perByte = (() => {
    const sized = known.filter(hasSize);
    const bytes = sized.reduce((sum, f) => sum + f.sizeBytes!, 0);
    return bytes > 0 ? sized.reduce((sum, f) => sum + f.durationMs!, 0) / bytes : undefined;
  })();
  const sizes = unique.filter(hasSize).map((f) => f.sizeBytes!);
  const meanSize = sizes.length > 0 ? sizes.reduce((a, b) => a + b, 0) / sizes.length : undefined;
  const fallback = known.length > 0 ? median(known.map((f) => f.durationMs!)) : 1;
  return unique.map((f) => {
    if (isKnown(f.durationMs)) return { path: f.path, ms: f.durationMs, estimated: false };
    let ms = fallback;
    if (hasSize(f) && perByte !== undefined) ms = f.sizeBytes! * perByte;
    else if (hasSize(f) && known.length === 0 && meanSize !== undefined) ms = f.sizeBytes! / meanSize;
    return { path: f.path, ms, estimated: true };
  });
}

/** Splits `files` into at most `count` shards (fewer only when there are fewer files). */
export function planShards(files: readonly ShardFile[], count: number): ShardPlan {
  if (!Number.isInteger(count) || count < 1) throw new Error(`shard count ${count} is not a positive integer`);
  const weighted = estimateDurations(files);
  const estimated = weighted.filter((f) => f.estimated).map((f) => f.path);
  weighted.sort((a, b) => b.ms - a.ms || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const shards: Shard[] = Array.from({ length: Math.min(count, weighted.length) }, (_, i) => ({ index: i + 1, files: [], estimatedMs: 0 }));
  for (const file of weighted) {
    let target = shards[0]!;
    // Ties (zero-length files included) go to the shard with fewer files, then the lower one: an empty shard is always filled first.
    for (const shard of shards) if (shard.estimatedMs < target.estimatedMs || (shard.estimatedMs === target.estimatedMs && shard.files.length < target.files.length)) target = shard;
    target.files.push(file.path);
    target.estimatedMs += file.ms;
  }
  for (const shard of shards) shard.files.sort();
  return { shards, estimated: estimated.sort() };
}

/**
 * The run's jobs grouped for the graph: matrix legs of one workflow job form
 * one group, and each group's depth is one more than the deepest group it
 * needs. Pure, so it runs under Node in tests too.
 */
import type { Job } from "../api/types.js";

export interface JobGroup {
  key: string;
  title: string;
  jobs: Job[];
  needs: string[];
  depth: number;
}

/** The workflow job a job belongs to: its key without a matrix suffix, else its name before " (". */
export function baseKeyOf(job: Job): string {
  if (job.key) return job.matrix ? job.key.replace(/-\d+$/, "") : job.key;
  return job.name.replace(/\s*\(.*\)\s*$/, "");
}

export function groupJobs(jobs: Job[]): JobGroup[] {
  const groups = new Map<string, JobGroup>();
  for (const job of jobs) {
    const key = baseKeyOf(job);
    let g = groups.get(key);
    if (!g) {
      g = { key, title: job.matrix || /\(.*\)$/.test(job.name) ? job.name.replace(/\s*\(.*\)\s*$/, "") : job.name, jobs: [], needs: [], depth: 0 };
      groups.set(key, g);
    }
    g.jobs.push(job);
    for (const n of job.needs ?? []) if (!g.needs.includes(n)) g.needs.push(n);
  }
  const depthOf = (key: string, seen: Set<string>): number => {
    const g = groups.get(key);
    if (!g || seen.has(key)) return 0;
    seen.add(key);
    const d = g.needs.length ? 1 + Math.max(...g.needs.map((n) => depthOf(n, seen))) : 0;
    seen.delete(key);
    return d;
  };
  for (const g of groups.values()) g.depth = depthOf(g.key, new Set());
  return [...groups.values()];
}

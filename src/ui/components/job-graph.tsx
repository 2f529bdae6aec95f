/**
 * The run's jobs as columns by dependency depth: a job sits one column right
 * of the deepest job it needs; matrix legs of one job form one group.
 * Edges are drawn as "needs" lists under each node, readable without a canvas
 * and by screen readers.
 */
import type { Job } from "../api/types.js";
import { groupJobs } from "../core/job-groups.js";
import { elapsed } from "../core/format.js";
import { Link } from "../core/router.js";
import { StatusIcon, stateLabel, stateOf, type State } from "./status.js";

function groupState(jobs: Job[]): State {
  const states = jobs.map((j) => stateOf(j.status, j.conclusion));
  for (const s of ["failure", "in_progress", "queued", "waiting", "cancelled", "success", "skipped"] as const) if (states.includes(s)) return s;
  return "neutral";
}

export function JobGraph({ jobs, repo, runId, selectedJobId, now, query = "" }: { jobs: Job[]; repo: string; runId: number; selectedJobId?: number; now: number; query?: string }) {
  const groups = groupJobs(jobs);
  const depth = Math.max(0, ...groups.map((g) => g.depth));
  const columns = Array.from({ length: depth + 1 }, (_, d) => groups.filter((g) => g.depth === d));
  const titleOf = new Map(groups.map((g) => [g.key, g.title]));
  return (
    <nav className="job-graph" aria-label="Jobs">
      {columns.map((col, i) => (
        <div className="graph-col" key={i}>
          {col.map((g) => {
            const state = groupState(g.jobs);
            return (
              <div className={`graph-node s-${state}`} key={g.key} data-testid="job-group">
                {g.jobs.length > 1 && (
                  <div className="graph-group-title">
                    <StatusIcon state={state} /> <span>{g.title}</span> <span className="muted small">{g.jobs.length} legs</span>
                  </div>
                )}
                <ul>
                  {g.jobs.map((job) => {
                    const s = stateOf(job.status, job.conclusion);
                    return (
                      <li key={job.id}>
                        <Link
                          to={`/${repo}/actions/runs/${runId}/job/${job.id}${query}`}
                          className={`job-link${selectedJobId === job.id ? " active" : ""}`}
                          aria-current={selectedJobId === job.id ? "page" : undefined}
                          data-testid="job-link"
                        >
                          <StatusIcon state={s} />
                          <span className="job-name">{job.name}</span>
                          <span className="visually-hidden">, {stateLabel(s)}</span>
                          <span className="muted small">{elapsed(job.started_at, job.completed_at, now)}</span>
                        </Link>
                      </li>
                    );
                  })}
                </ul>
                {g.needs.length > 0 && <div className="needs muted small">needs {g.needs.map((n) => titleOf.get(n) ?? n).join(", ")}</div>}
              </div>
            );
          })}
        </div>
      ))}
    </nav>
  );
}

/** A list of workflow runs with their state, trigger, branch, commit, actor and duration. */
import type { WorkflowRun } from "../api/types.js";
import { elapsed, formatRelative, shortSha } from "../core/format.js";
import { Link } from "../core/router.js";
import { useNow } from "../core/use-api.js";
import { StatusIcon, stateLabel, stateOf } from "./status.js";

function runHref(repo: string, id: number): string {
  return `/${repo}/actions/runs/${id}`;
}

function repoOf(run: WorkflowRun, fallback?: string): string {
  return run.repository?.full_name ?? fallback ?? "";
}

export function RunList({ runs, repo, showRepo }: { runs: WorkflowRun[]; repo?: string; showRepo?: boolean }) {
  const anyRunning = runs.some((r) => r.status !== "completed");
  const now = useNow(1000, anyRunning);
  return (
    <ul className="run-list" aria-label="Workflow runs">
      {runs.map((run) => {
        const full = repoOf(run, repo);
        const state = stateOf(run.status, run.conclusion);
        const workflow = run.name || run.path;
        const title = run.display_title || workflow;
        return (
          <li key={`${full}#${run.id}`} className="run-row" data-testid="run-row" data-state={state}>
            <StatusIcon state={state} size={18} />
            <div className="run-main">
              {/* A long title is cut with an ellipsis; the full one is its tooltip. The workflow's name leads the line below. */}
              <Link to={runHref(full, run.id)} className="run-title" title={title}>
                {title}
              </Link>
              <div className="run-meta muted">
                {showRepo && <span className="repo-name">{full} · </span>}
                <span>{workflow}</span> #{run.run_number}
                {run.run_attempt > 1 && <span> (attempt {run.run_attempt})</span>}: <span className="event">{run.event}</span>
                {run.actor && <> by <span className="actor">{run.actor.login}</span></>}
              </div>
            </div>
            <div className="run-ref">
              {run.head_branch && <span className="chip branch" title={`Branch ${run.head_branch}`}>{run.head_branch}</span>}
              <code className="sha" title={run.head_sha}>{shortSha(run.head_sha)}</code>
            </div>
            <div className="run-time muted">
              <time dateTime={run.created_at} title={new Date(run.created_at).toLocaleString()}>
                {formatRelative(run.created_at, now)}
              </time>
              <span className="duration" aria-label={`${stateLabel(state)}, duration`}>
                {elapsed(run.run_started_at ?? run.created_at, run.status === "completed" ? run.updated_at : null, now)}
              </span>
            </div>
          </li>
        );
      })}
    </ul>
  );
}

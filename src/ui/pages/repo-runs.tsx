/** A repository's runs with filters kept in the URL, refreshed live. */
import { useState, type FormEvent } from "react";
import { api, type RunFilters } from "../api/client.js";
import { ErrorBanner, Empty, Loading } from "../components/feedback.js";
import { RunList } from "../components/run-list.js";
import { navigate, useLocation } from "../core/router.js";
import { useApi } from "../core/use-api.js";

const STATUSES = ["", "queued", "in_progress", "completed", "success", "failure", "cancelled", "skipped"];
const EVENTS = ["", "push", "pull_request", "workflow_dispatch", "schedule", "release", "tag"];
const PER_PAGE = 25;

export function RepoRunsPage({ repo }: { repo: string }) {
  const { search } = useLocation();
  const filters: RunFilters = {
    workflow: search.get("workflow") ?? undefined,
    status: search.get("status") ?? undefined,
    branch: search.get("branch") ?? undefined,
    event: search.get("event") ?? undefined,
    actor: search.get("actor") ?? undefined,
    page: Number(search.get("page") ?? "1") || 1,
    per_page: PER_PAGE,
  };
  const key = JSON.stringify(filters);
  const runs = useApi((signal) => api.listRuns(repo, filters, signal), [repo, key], { pollMs: 3000 });
  const workflows = useApi((signal) => api.listWorkflows(repo, signal), [repo]);
  const [draft, setDraft] = useState({ branch: filters.branch ?? "", actor: filters.actor ?? "" });

  const apply = (changes: Partial<Record<keyof RunFilters, string>>) => {
    const next = new URLSearchParams(search);
    for (const [k, v] of Object.entries(changes)) {
      if (v) next.set(k, v);
      else next.delete(k);
    }
    if (!("page" in changes)) next.delete("page");
    const q = next.toString();
    navigate(`/${repo}${q ? `?${q}` : ""}`, { replace: true });
  };
  const submitText = (e: FormEvent) => {
    e.preventDefault();
    apply({ branch: draft.branch.trim(), actor: draft.actor.trim() });
  };
  const page = filters.page ?? 1;
  const total = runs.data?.total_count ?? 0;
  const filtered = Boolean(filters.workflow || filters.status || filters.branch || filters.event || filters.actor);

  return (
    <section aria-labelledby="runs-title">
      <div className="section-head">
        <h2 id="runs-title">
          Runs {runs.data && <span className="count">{total}</span>}
        </h2>
        <span className={`live muted small${runs.error ? " offline" : ""}`}>
          <span className="live-dot" aria-hidden="true" /> {runs.error ? "paused" : "live"}
        </span>
      </div>
      <form className="filters" onSubmit={submitText} role="search" aria-label="Filter runs">
        <label>
          <span>Workflow</span>
          <select aria-label="Workflow" value={filters.workflow ?? ""} onChange={(e) => apply({ workflow: e.target.value })}>
            <option value="">all</option>
            {workflows.data?.workflows.map((w) => {
              const file = w.path.split("/").pop() ?? w.path;
              return (
                <option key={w.id} value={file}>
                  {w.name}
                </option>
              );
            })}
            {filters.workflow && !workflows.data?.workflows.some((w) => w.path.endsWith(`/${filters.workflow}`)) && <option value={filters.workflow}>{filters.workflow}</option>}
          </select>
        </label>
        <label>
          <span>Status</span>
          <select aria-label="Status" value={filters.status ?? ""} onChange={(e) => apply({ status: e.target.value })}>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s ? s.replace("_", " ") : "any"}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span>Event</span>
          <select aria-label="Event" value={filters.event ?? ""} onChange={(e) => apply({ event: e.target.value })}>
            {EVENTS.map((s) => (
              <option key={s} value={s}>
                {s || "any"}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span>Branch</span>
          <input aria-label="Branch" value={draft.branch} onChange={(e) => setDraft({ ...draft, branch: e.target.value })} placeholder="main" onBlur={submitText} />
        </label>
        <label>
          <span>Actor</span>
          <input aria-label="Actor" value={draft.actor} onChange={(e) => setDraft({ ...draft, actor: e.target.value })} placeholder="login" onBlur={submitText} />
        </label>
        {filtered && (
          <button
            type="button"
            className="btn btn-small btn-plain"
            onClick={() => {
              setDraft({ branch: "", actor: "" });
              navigate(`/${repo}`, { replace: true });
            }}
          >
            Clear filters
          </button>
        )}
      </form>
      {runs.error && <ErrorBanner error={runs.error} onRetry={runs.reload} what="runs" />}
      {runs.loading && <Loading />}
      {runs.data && runs.data.workflow_runs.length === 0 && (
        <Empty title={filtered ? "No runs match these filters" : "No runs yet"}>{filtered ? "Try clearing a filter." : "Push a commit or dispatch a workflow."}</Empty>
      )}
      {runs.data && runs.data.workflow_runs.length > 0 && <RunList runs={runs.data.workflow_runs} repo={repo} />}
      {total > PER_PAGE && (
        <nav className="pager" aria-label="Pages">
          <button className="btn btn-small" disabled={page <= 1} onClick={() => apply({ page: String(page - 1) })}>
            Newer
          </button>
          <span className="muted small">
            Page {page} of {Math.ceil(total / PER_PAGE)}
          </span>
          <button className="btn btn-small" disabled={page * PER_PAGE >= total} onClick={() => apply({ page: String(page + 1) })}>
            Older
          </button>
        </nav>
      )}
    </section>
  );
}

/** The signed-in user's repositories and the latest runs across all of them. */
import { api } from "../api/client.js";
import type { Repository, WorkflowRun } from "../api/types.js";
import { ErrorBanner, Empty, Loading } from "../components/feedback.js";
import { RunList } from "../components/run-list.js";
import { formatRelative } from "../core/format.js";
import { Link } from "../core/router.js";
import { useApi, useTitle } from "../core/use-api.js";

const RUNS_PER_REPO = 15;
const RUNS_SHOWN = 40;

/** No server route lists runs across repositories, so the latest of each are merged here. */
async function loadAllRuns(repos: Repository[], signal: AbortSignal): Promise<WorkflowRun[]> {
  const pages = await Promise.all(
    repos.map(async (repo) => {
      const page = await api.listRuns(repo.full_name, { per_page: RUNS_PER_REPO }, signal);
      return page.workflow_runs.map((r) => ({ ...r, repository: r.repository ?? { full_name: repo.full_name, name: repo.name, owner: repo.owner } }));
    }),
  );
  return pages
    .flat()
    .sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at))
    .slice(0, RUNS_SHOWN);
}

export function HomePage() {
  useTitle("Recent runs");
  const repos = useApi((signal) => api.listRepositories(signal), [], { pollMs: 30_000 });
  // One request per repository per refresh: refresh less often when there are many.
  const pollMs = (repos.data?.length ?? 0) > 8 ? 15_000 : 4000;
  const runs = useApi((signal) => (repos.data ? loadAllRuns(repos.data, signal) : Promise.resolve(undefined)), [repos.data?.map((r) => r.full_name).join(",")], { pollMs });

  return (
    <main id="main" className="page home">
      <section className="repos-panel" aria-labelledby="repos-title">
        <h2 id="repos-title">Repositories</h2>
        {repos.error && <ErrorBanner error={repos.error} onRetry={repos.reload} what="repositories" />}
        {repos.loading && <Loading />}
        {repos.data && repos.data.length === 0 && <Empty title="No repositories yet">Add one with <code>slipway repo add</code> or the API.</Empty>}
        <ul className="repo-list">
          {repos.data?.map((repo) => (
            <li key={repo.id}>
              <Link to={`/${repo.full_name}`} className="repo-link">
                <span className="repo-owner">{repo.owner.login}/</span>
                <strong>{repo.name}</strong>
              </Link>
              {repo.updated_at && <span className="muted small">{formatRelative(repo.updated_at)}</span>}
            </li>
          ))}
        </ul>
      </section>
      <section className="runs-panel" aria-labelledby="all-runs-title">
        <h1 id="all-runs-title">Recent runs</h1>
        {runs.error && <ErrorBanner error={runs.error} onRetry={runs.reload} what="runs" />}
        {repos.data && runs.loading && <Loading />}
        {runs.data && runs.data.length === 0 && <Empty title="No runs yet">Push to a repository or dispatch a workflow to start one.</Empty>}
        {runs.data && runs.data.length > 0 && <RunList runs={runs.data} showRepo />}
      </section>
    </main>
  );
}

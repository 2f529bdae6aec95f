/** The signed-in user's repositories and the latest runs across all of them. */
import { api } from "../api/client.js";
import { ErrorBanner, Empty, Loading } from "../components/feedback.js";
import { RunList } from "../components/run-list.js";
import { formatRelative } from "../core/format.js";
import { Link } from "../core/router.js";
import { useApi, useTitle } from "../core/use-api.js";

const RUNS_SHOWN = 40;

export function HomePage() {
  useTitle("Recent runs");
  const repos = useApi((signal) => api.listRepositories(signal), [], { pollMs: 30_000 });
  // One request for every repository the user can read.
  const runs = useApi(async (signal) => (await api.listAllRuns({ per_page: RUNS_SHOWN }, signal)).workflow_runs, [], { pollMs: 4000 });

  return (
    <main id="main" className="page home">
      <section className="repos-panel" aria-labelledby="repos-title">
        <div className="section-head">
          <h2 id="repos-title">Repositories</h2>
          <Link to="/new" className="btn btn-small">
            New
          </Link>
        </div>
        {repos.error && <ErrorBanner error={repos.error} onRetry={repos.reload} what="repositories" />}
        {repos.loading && <Loading />}
        {repos.data && repos.data.length === 0 && <Empty title="No repositories yet"><Link to="/new">Add one</Link>, or use <code>slipway repo add</code> or the API.</Empty>}
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
        {runs.loading && <Loading />}
        {runs.data && runs.data.length === 0 && <Empty title="No runs yet">Push to a repository or dispatch a workflow to start one.</Empty>}
        {runs.data && runs.data.length > 0 && <RunList runs={runs.data} showRepo />}
      </section>
    </main>
  );
}

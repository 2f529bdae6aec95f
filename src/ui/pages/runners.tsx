/** Runners: state, labels, current job; a registration token with the command that starts a runner. */
import { useState } from "react";
import { ApiError, api } from "../api/client.js";
import { ErrorBanner, Empty, Loading, Notice } from "../components/feedback.js";
import { formatRelative } from "../core/format.js";
import { Link } from "../core/router.js";
import { useApi } from "../core/use-api.js";

export function RunnersPage({ repo }: { repo: string }) {
  const runners = useApi((signal) => api.listRunners(repo, signal), [repo], { pollMs: 5000 });
  const [token, setToken] = useState<{ token: string; expires_at: string }>();
  const [error, setError] = useState<string>();
  const [copied, setCopied] = useState(false);
  const command = token ? `SLIPWAY_RUNNER_TOKEN=${token.token} slipway runner --server ${window.location.origin}` : "";

  const issue = async () => {
    setError(undefined);
    setCopied(false);
    try {
      setToken(await api.createRegistrationToken(repo));
    } catch (e) {
      setError((e as ApiError).message);
    }
  };
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(command);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  };

  return (
    <section aria-labelledby="runners-title">
      <div className="section-head">
        <h2 id="runners-title">Runners</h2>
        <button className="btn btn-primary btn-small" onClick={issue}>
          New runner
        </button>
      </div>
      {error && <Notice tone="error">{error}</Notice>}
      {token && (
        <div className="card token-card" data-testid="registration">
          <p>Start a runner on the machine that should run jobs. The token works once and expires at {new Date(token.expires_at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })}.</p>
          <pre className="command" tabIndex={0} aria-label="Command to start a runner">
            <code>{command}</code>
          </pre>
          <button className="btn btn-small" onClick={copy}>
            {copied ? "Copied" : "Copy command"}
          </button>
        </div>
      )}
      {runners.error && <ErrorBanner error={runners.error} onRetry={runners.reload} what="runners" />}
      {runners.loading && <Loading />}
      {runners.data?.runners.length === 0 && <Empty title="No runners registered">Use “New runner” to get the command that starts one.</Empty>}
      {runners.data && runners.data.runners.length > 0 && (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Runner</th>
                <th scope="col">State</th>
                <th scope="col">Labels</th>
                <th scope="col">Current job</th>
                <th scope="col">Last seen</th>
              </tr>
            </thead>
            <tbody>
              {runners.data.runners.map((r) => (
                <tr key={r.id} data-testid="runner">
                  <td>
                    <strong>{r.name}</strong>
                    <div className="muted small">
                      {r.os}
                      {r.version ? ` · v${r.version}` : ""}
                    </div>
                  </td>
                  <td>
                    <span className={`pill ${r.status === "online" ? (r.busy ? "pill-busy" : "pill-online") : "pill-offline"}`}>{r.status === "online" ? (r.busy ? "busy" : "idle") : r.status}</span>
                  </td>
                  <td>
                    {r.labels.map((l) => (
                      <span key={l.name} className="chip">
                        {l.name}
                      </span>
                    ))}
                  </td>
                  <td>
                    {r.current_job ? (
                      <Link to={`/${r.current_job.repository ?? repo}/actions/runs/${r.current_job.run_id}/job/${r.current_job.id}`}>{r.current_job.name}</Link>
                    ) : r.busy ? (
                      "busy"
                    ) : (
                      <span className="muted">—</span>
                    )}
                  </td>
                  <td className="muted small">{formatRelative(r.last_seen_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

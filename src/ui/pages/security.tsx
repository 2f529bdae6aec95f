/** Security: the repository's open secret-scanning alerts, each resolvable; the secret itself is never shown (the server does not keep it). */
import { useState } from "react";
import { ApiError, api } from "../api/client.js";
import type { SecretAlert } from "../api/types.js";
import { ErrorBanner, Empty, Loading, Notice } from "../components/feedback.js";
import { formatRelative } from "../core/format.js";
import { useApi } from "../core/use-api.js";

const RESOLUTIONS: { value: NonNullable<SecretAlert["resolution"]>; label: string }[] = [
  { value: "revoked", label: "Revoked" },
  { value: "false_positive", label: "False positive" },
  { value: "used_in_tests", label: "Used in tests" },
  { value: "wont_fix", label: "Won't fix" },
];

export function SecurityPage({ repo }: { repo: string }) {
  const alerts = useApi((signal) => api.listOpenSecretAlerts(repo, signal), [repo], { pollMs: 10_000 });
  const [error, setError] = useState<string>();

  const resolve = async (number: number, resolution: NonNullable<SecretAlert["resolution"]>) => {
    setError(undefined);
    try {
      await api.resolveSecretAlert(repo, number, resolution);
      alerts.reload();
    } catch (e) {
      setError((e as ApiError).message);
    }
  };

  return (
    <section aria-labelledby="security-title">
      <div className="section-head">
        <h2 id="security-title">Secret scanning alerts</h2>
      </div>
      {error && <Notice tone="error">{error}</Notice>}
      {alerts.error && <ErrorBanner error={alerts.error} onRetry={alerts.reload} what="secret-scanning alerts" />}
      {alerts.loading && <Loading />}
      {alerts.data?.length === 0 && <Empty title="No open alerts">Every push is scanned for credentials; what it finds shows here.</Empty>}
      {alerts.data && alerts.data.length > 0 && (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Alert</th>
                <th scope="col">Where</th>
                <th scope="col">Found</th>
                <th scope="col">Resolve as</th>
              </tr>
            </thead>
            <tbody>
              {alerts.data.map((a) => (
                <tr key={a.number} data-testid="secret-alert">
                  <td>
                    <strong>#{a.number}</strong> {a.secret_type_display_name}
                    <div className="muted small">{a.secret_type}</div>
                  </td>
                  <td>
                    {a.first_location_detected ? (
                      <>
                        <code>
                          {a.first_location_detected.path}:{a.first_location_detected.start_line}
                        </code>
                        <div className="muted small">commit {a.first_location_detected.commit_sha.slice(0, 12)}</div>
                      </>
                    ) : (
                      <span className="muted">—</span>
                    )}
                  </td>
                  <td className="muted small">{formatRelative(a.created_at)}</td>
                  <td>
                    <select aria-label={`Resolve alert ${a.number} as`} defaultValue="" onChange={(e) => e.target.value && void resolve(a.number, e.target.value as NonNullable<SecretAlert["resolution"]>)}>
                      <option value="" disabled>
                        Resolve…
                      </option>
                      {RESOLUTIONS.map((r) => (
                        <option key={r.value} value={r.value}>
                          {r.label}
                        </option>
                      ))}
                    </select>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

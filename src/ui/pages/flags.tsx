/**
 * Feature flags of one deployment environment: the flag list with state and
 * variants and a kill switch per flag, the whole flagd document in an editor
 * that the server validates as you type (every error with its JSON path),
 * a targeting preview ("which variant does this context get?", evaluated by
 * the server), the version history with one-step restore, and the changes
 * held for review (in environments that require it) as diffs with approve
 * and reject. A flag not evaluated for a week is marked stale.
 */
import { useEffect, useState } from "react";
import { ApiError, api, requestText } from "../api/client.js";
import { ErrorBanner, Empty, Loading, Notice } from "../components/feedback.js";
import { formatRelative } from "../core/format.js";
import { useApi } from "../core/use-api.js";

type Json = Record<string, unknown>;

interface FlagVersion {
  version: number;
  actor: string | null;
  reason: string | null;
  created_at: string;
}

interface Evaluation {
  key: string;
  value?: unknown;
  variant?: string;
  reason?: string;
  errorCode?: string;
  errorDetails?: string;
}

interface FlagUsageRow {
  key: string;
  evaluations: number;
  last_evaluated: string | null;
}

interface PendingChange {
  id: number;
  author: string;
  reason: string | null;
  base_version: number;
  outdated: boolean;
  required_approvals: number;
  reviews: Array<{ user: string; state: string }>;
  diff: { flags: Record<string, { before: unknown; after: unknown }>; set_fields_changed: boolean };
}

const STALE_DAYS = 7;

function lastEvaluated(row: FlagUsageRow | undefined): { text: string; stale: boolean } {
  if (!row?.last_evaluated) return { text: "never", stale: true };
  const age = (Date.now() - Date.parse(`${row.last_evaluated}T00:00:00Z`)) / 86_400_000;
  return { text: `${row.last_evaluated} (${row.evaluations} in 30 d)`, stale: age > STALE_DAYS };
}

const envPath = (repo: string, environment: string) => `/repos/${repo.split("/").map(encodeURIComponent).join("/")}/environments/${encodeURIComponent(environment)}`;

async function call<T>(path: string, options: { method?: string; body?: unknown; signal?: AbortSignal } = {}): Promise<T> {
  const text = await requestText(path, options);
  return (text ? JSON.parse(text) : undefined) as T;
}

function flagsOf(document: unknown): Array<[string, Json]> {
  const flags = document && typeof document === "object" ? (document as Json).flags : undefined;
  return flags && typeof flags === "object" ? (Object.entries(flags) as Array<[string, Json]>) : [];
}

/** The problems of a draft: JSON syntax here, the schema by the server (dry run); an empty list when valid. */
function useDraftCheck(repo: string, environment: string, draft: string, dirty: boolean): { problems: string[]; checking: boolean } {
  const [problems, setProblems] = useState<string[]>([]);
  const [checking, setChecking] = useState(false);
  useEffect(() => {
    if (!dirty) {
      setProblems([]);
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(draft);
    } catch (error) {
      setProblems([`Not JSON: ${(error as Error).message}`]);
      return;
    }
    const controller = new AbortController();
    setChecking(true);
    const timer = setTimeout(() => {
      call(`${envPath(repo, environment)}/flags?dry_run=true`, { method: "PUT", body: parsed, signal: controller.signal })
        .then(() => setProblems([]))
        .catch((error: unknown) => {
          if ((error as Error).name === "AbortError") return;
          const message = (error as Error).message;
          const i = message.indexOf("): ");
          setProblems(i >= 0 ? message.slice(i + 3).split("; ") : [message]);
        })
        .finally(() => setChecking(false));
    }, 250);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [repo, environment, draft, dirty]);
  return { problems, checking };
}

function Preview({ repo, environment, keys }: { repo: string; environment: string; keys: string[] }) {
  const [key, setKey] = useState(keys[0] ?? "");
  const [context, setContext] = useState('{\n  "targetingKey": "user-1"\n}');
  const [result, setResult] = useState<Evaluation>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    if (!keys.includes(key)) setKey(keys[0] ?? "");
  }, [keys, key]);
  const run = async () => {
    setError(undefined);
    setResult(undefined);
    let parsed: unknown;
    try {
      parsed = JSON.parse(context);
    } catch (e) {
      setError(`The context is not JSON: ${(e as Error).message}`);
      return;
    }
    try {
      setResult(await call<Evaluation>(`${envPath(repo, environment)}/flags/${encodeURIComponent(key)}/preview`, { method: "POST", body: { context: parsed } }));
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <section aria-label="Targeting preview" className="card">
      <h2>Which variant does this context get?</h2>
      <div className="field">
        <label htmlFor="preview-flag">Flag</label>
        <select id="preview-flag" value={key} onChange={(e) => setKey(e.target.value)}>
          {keys.map((k) => (
            <option key={k}>{k}</option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="preview-context">Context (JSON)</label>
        <textarea id="preview-context" rows={4} value={context} onChange={(e) => setContext(e.target.value)} spellCheck={false} />
      </div>
      <button type="button" className="btn" onClick={() => void run()} disabled={!key}>
        Evaluate
      </button>
      {error && <Notice tone="error">{error}</Notice>}
      {result && (
        <p data-testid="preview-result">
          {result.errorCode ? (
            <>
              error <code>{result.errorCode}</code> {result.errorDetails}
            </>
          ) : result.variant !== undefined ? (
            <>
              variant <code>{result.variant}</code> = <code>{JSON.stringify(result.value)}</code> ({result.reason})
            </>
          ) : (
            <>the code default ({result.reason})</>
          )}
        </p>
      )}
    </section>
  );
}

/** One flag's before and after as a two-column diff; a side without the flag says so. */
function FlagDiff({ name, before, after }: { name: string; before: unknown; after: unknown }) {
  const side = (value: unknown, empty: string) => (value === null ? <span className="muted small">{empty}</span> : <pre className="small">{JSON.stringify(value, null, 2)}</pre>);
  const kind = before === null ? "added" : after === null ? "removed" : "changed";
  return (
    <tr data-testid="change-flag" data-flag={name} data-kind={kind}>
      <td>
        <code>{name}</code> <span className="badge">{kind}</span>
      </td>
      <td>{side(before, "absent")}</td>
      <td>{side(after, "removed")}</td>
    </tr>
  );
}

function PendingChanges({ changes, onReview }: { changes: PendingChange[]; onReview: (id: number, state: "approved" | "rejected") => void }) {
  if (changes.length === 0) return null;
  return (
    <section aria-label="Pending changes" className="card">
      <h2>Waiting for review</h2>
      {changes.map((c) => {
        const approvals = c.reviews.filter((r) => r.state === "approved").length;
        return (
          <div key={c.id} data-testid="pending-change" data-change={c.id}>
            <p>
              <strong>Change #{c.id}</strong> by {c.author} <span className="muted small">({approvals}/{c.required_approvals} approvals, against v{c.base_version})</span> {c.reason && <span className="small">{c.reason}</span>}
              {c.outdated && <span className="badge">outdated: the set changed since</span>}
            </p>
            <table className="table" aria-label={`Diff of change ${c.id}`}>
              <thead>
                <tr>
                  <th>Flag</th>
                  <th>Current</th>
                  <th>Proposed</th>
                </tr>
              </thead>
              <tbody>
                {Object.entries(c.diff.flags).map(([key, d]) => (
                  <FlagDiff key={key} name={key} before={d.before} after={d.after} />
                ))}
              </tbody>
            </table>
            {c.diff.set_fields_changed && <p className="muted small">The set&apos;s other fields ($evaluators, metadata) change too.</p>}
            <button type="button" className="btn btn-primary btn-small" aria-label={`Approve change ${c.id}`} onClick={() => onReview(c.id, "approved")}>
              Approve
            </button>{" "}
            <button type="button" className="btn btn-small btn-danger-plain" aria-label={`Reject change ${c.id}`} onClick={() => onReview(c.id, "rejected")}>
              Reject
            </button>
          </div>
        );
      })}
    </section>
  );
}

function FlagSetEditor({ repo, environment }: { repo: string; environment: string }) {
  const document = useApi((signal) => call<Json>(`${envPath(repo, environment)}/flags`, { signal }), [repo, environment]);
  const versions = useApi((signal) => call<{ versions: FlagVersion[] }>(`${envPath(repo, environment)}/flags/versions?per_page=20`, { signal }), [repo, environment]);
  const usage = useApi((signal) => call<{ flags: FlagUsageRow[] }>(`${envPath(repo, environment)}/flags/usage`, { signal }), [repo, environment]);
  const changes = useApi((signal) => call<{ changes: PendingChange[] }>(`${envPath(repo, environment)}/flags/changes`, { signal }), [repo, environment]);
  const [draft, setDraft] = useState("");
  const [dirty, setDirty] = useState(false);
  const [message, setMessage] = useState<{ tone: "success" | "error"; text: string }>();
  const { problems, checking } = useDraftCheck(repo, environment, draft, dirty);
  const reload = () => {
    document.reload();
    versions.reload();
    changes.reload();
  };
  useEffect(() => {
    if (document.data && !dirty) setDraft(JSON.stringify(document.data, null, 2));
  }, [document.data, dirty]);

  const act = async (what: () => Promise<unknown>, done: string) => {
    setMessage(undefined);
    try {
      const answer = await what();
      const held = answer && typeof answer === "object" ? (answer as { pending_change?: { id: number } }).pending_change : undefined;
      setMessage({ tone: "success", text: held ? `This environment reviews flag changes: the change waits for approval as change #${held.id}.` : typeof answer === "string" ? answer : done });
      setDirty(false);
      reload();
    } catch (e) {
      setMessage({ tone: "error", text: e instanceof ApiError ? e.message : String(e) });
    }
  };

  if (document.error) return <ErrorBanner error={document.error} onRetry={reload} what="the flags" />;
  if (!document.data) return <Loading />;
  const flags = flagsOf(document.data);
  return (
    <>
      {message && <Notice tone={message.tone}>{message.text}</Notice>}
      <PendingChanges
        changes={changes.data?.changes ?? []}
        onReview={(id, state) =>
          void act(
            async () => {
              const change = await call<{ state: string; applied_version: number | null }>(`${envPath(repo, environment)}/flags/changes/${id}/reviews`, { method: "POST", body: { state, comment: "" } });
              if (change.state === "applied") return `Change #${id} is applied as version ${String(change.applied_version)}.`;
              return change.state === "rejected" ? `Change #${id} is rejected.` : `Your approval of change #${id} is recorded; it waits for more.`;
            },
            "",
          )
        }
      />
      {flags.length === 0 ? (
        <Empty title="No flags yet">Write a flagd document below, or use `slipway flags set`.</Empty>
      ) : (
        <table className="table" aria-label="Flags">
          <thead>
            <tr>
              <th>Key</th>
              <th>State</th>
              <th>Default</th>
              <th>Variants</th>
              <th>Last evaluated</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {flags.map(([key, flag]) => (
              <tr key={key} data-testid="flag-row" data-flag={key} data-state={String(flag.state)}>
                <td>
                  <code>{key}</code>
                </td>
                <td>{String(flag.state)}</td>
                <td>{flag.defaultVariant === undefined || flag.defaultVariant === null ? <span className="muted">code default</span> : <code>{String(flag.defaultVariant)}</code>}</td>
                <td>{flag.variants && typeof flag.variants === "object" ? Object.keys(flag.variants).join(", ") : ""}</td>
                <td data-testid="flag-usage">
                  {(() => {
                    const used = lastEvaluated(usage.data?.flags.find((u) => u.key === key));
                    return (
                      <>
                        {used.text} {used.stale && <span className="badge">stale</span>}
                      </>
                    );
                  })()}
                </td>
                <td>
                  {flag.state === "ENABLED" && (
                    <button
                      type="button"
                      className="btn btn-small btn-danger-plain"
                      aria-label={`Kill flag ${key}`}
                      onClick={() => void act(() => call(`${envPath(repo, environment)}/flags/${encodeURIComponent(key)}/kill`, { method: "POST", body: {} }), `Flag ${key} is disabled.`)}
                    >
                      Kill
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <section aria-label="Flag set editor" className="card">
        <h2>Flag set (flagd JSON)</h2>
        <textarea
          aria-label="Flag set document"
          rows={16}
          value={draft}
          spellCheck={false}
          onChange={(e) => {
            setDraft(e.target.value);
            setDirty(true);
          }}
          aria-invalid={problems.length > 0}
          aria-describedby="flag-problems"
        />
        <div id="flag-problems" aria-live="polite">
          {checking && <span className="muted small">Checking…</span>}
          {!checking && dirty && problems.length === 0 && <span className="muted small" data-testid="draft-valid">Valid</span>}
          {problems.length > 0 && (
            <ul className="field-error" data-testid="draft-problems">
              {problems.map((p) => (
                <li key={p}>{p}</li>
              ))}
            </ul>
          )}
        </div>
        <button
          type="button"
          className="btn btn-primary"
          disabled={!dirty || checking || problems.length > 0}
          onClick={() => void act(() => call(`${envPath(repo, environment)}/flags`, { method: "PUT", body: JSON.parse(draft) }), "Saved a new version.")}
        >
          Save
        </button>{" "}
        <button type="button" className="btn btn-plain" disabled={!dirty} onClick={() => setDirty(false)}>
          Discard changes
        </button>
      </section>

      <Preview repo={repo} environment={environment} keys={flags.map(([k]) => k)} />

      <section aria-label="History" className="card">
        <h2>History</h2>
        {versions.data?.versions.length ? (
          <ul className="secret-list">
            {versions.data.versions.map((v, i) => (
              <li key={v.version} data-testid="flag-version">
                <code>v{v.version}</code> <span className="muted small">{v.actor ?? "?"}, {formatRelative(v.created_at)}</span> {v.reason && <span className="small">{v.reason}</span>}
                {i > 0 && (
                  <button
                    type="button"
                    className="btn btn-small btn-plain"
                    aria-label={`Restore version ${v.version}`}
                    onClick={() => void act(() => call(`${envPath(repo, environment)}/flags/versions/${v.version}/restore`, { method: "POST", body: {} }), `Version ${v.version} is restored.`)}
                  >
                    Restore
                  </button>
                )}
              </li>
            ))}
          </ul>
        ) : (
          <p className="muted">No versions yet.</p>
        )}
      </section>
    </>
  );
}

export function FlagsPage({ repo }: { repo: string }) {
  const environments = useApi((signal) => api.listEnvironments(repo, signal), [repo]);
  const [environment, setEnvironment] = useState<string>();
  const names = environments.data?.environments.map((e) => e.name) ?? [];
  const chosen = environment ?? names[0];
  if (environments.error) return <ErrorBanner error={environments.error} onRetry={environments.reload} what="the environments" />;
  if (!environments.data) return <Loading />;
  if (names.length === 0) return <Empty title="No environments">Flags live in a deployment environment; create one under Secrets and variables.</Empty>;
  return (
    <>
      <div className="field">
        <label htmlFor="flags-environment">Environment</label>
        <select id="flags-environment" value={chosen} onChange={(e) => setEnvironment(e.target.value)}>
          {names.map((n) => (
            <option key={n}>{n}</option>
          ))}
        </select>
      </div>
      {chosen && <FlagSetEditor key={chosen} repo={repo} environment={chosen} />}
    </>
  );
}

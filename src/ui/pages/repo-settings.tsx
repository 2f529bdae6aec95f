/**
 * Repository settings: where the repository comes from (URL, default branch,
 * polling); collaborators and their roles; the webhook URLs a forge calls and
 * the webhook secret; deleting the repository.
 */
import { useState, type FormEvent } from "react";
import { ApiError, api } from "../api/client.js";
import type { ConnectionTest, Repository } from "../api/types.js";
import { ErrorBanner, Empty, Loading, Notice } from "../components/feedback.js";
import { ConnectionResult, RepositoryFieldset, RepositoryForm, repositoryInputOf, type RepositoryFields } from "../components/repository-form.js";
import { navigate } from "../core/router.js";
import { useApi } from "../core/use-api.js";

const ROLES = ["read", "write", "maintain", "admin"];

function roleOf(c: { role_name?: string; permissions?: Record<string, boolean> }): string {
  if (c.role_name) return c.role_name;
  const p = c.permissions ?? {};
  return ROLES.slice().reverse().find((r) => p[r] || (r === "read" && p.pull) || (r === "write" && p.push)) ?? "read";
}

function Collaborators({ repo }: { repo: string }) {
  const list = useApi((signal) => api.listCollaborators(repo, signal), [repo]);
  const [login, setLogin] = useState("");
  const [role, setRole] = useState("write");
  const [message, setMessage] = useState<{ tone: "success" | "error"; text: string }>();
  const run = async (action: () => Promise<void>, done: string) => {
    setMessage(undefined);
    try {
      await action();
      setMessage({ tone: "success", text: done });
      list.reload();
    } catch (e) {
      setMessage({ tone: "error", text: (e as ApiError).message });
    }
  };
  const add = (e: FormEvent) => {
    e.preventDefault();
    if (login.trim()) void run(() => api.setCollaborator(repo, login.trim(), role), `${login.trim()} is now ${role}.`).then(() => setLogin(""));
  };
  return (
    <section aria-labelledby="collab-title" className="settings-section">
      <h3 id="collab-title">People and roles</h3>
      {list.error && <ErrorBanner error={list.error} onRetry={list.reload} what="collaborators" />}
      {list.loading && <Loading />}
      {list.data && list.data.length === 0 && <Empty title="Only instance admins have access" />}
      {list.data && list.data.length > 0 && (
        <ul className="plain-list">
          {list.data.map((c) => (
            <li key={c.login}>
              <strong>{c.login}</strong>
              <label className="visually-hidden" htmlFor={`role-${c.login}`}>
                Role of {c.login}
              </label>
              <select id={`role-${c.login}`} value={roleOf(c)} onChange={(e) => run(() => api.setCollaborator(repo, c.login, e.target.value), `${c.login} is now ${e.target.value}.`)}>
                {ROLES.map((r) => (
                  <option key={r}>{r}</option>
                ))}
              </select>
              <button className="btn btn-small btn-danger-plain" onClick={() => run(() => api.removeCollaborator(repo, c.login), `Removed ${c.login}.`)}>
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
      <form className="inline-form" onSubmit={add} aria-label="Add a person">
        <div className="field">
          <label htmlFor="collab-login">Login</label>
          <input id="collab-login" value={login} onChange={(e) => setLogin(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="collab-role">Role</label>
          <select id="collab-role" value={role} onChange={(e) => setRole(e.target.value)}>
            {ROLES.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
        </div>
        <button className="btn" type="submit">
          Add
        </button>
      </form>
      {message && <Notice tone={message.tone}>{message.text}</Notice>}
    </section>
  );
}

const FORGES: Array<{ key: "github" | "gitea" | "forgejo" | "gitlab"; label: string; signature: string }> = [
  { key: "github", label: "GitHub", signature: "Secret (signs X-Hub-Signature-256)" },
  { key: "gitea", label: "Gitea", signature: "Secret (signs X-Gitea-Signature)" },
  { key: "forgejo", label: "Forgejo", signature: "Secret (signs X-Forgejo-Signature)" },
  { key: "gitlab", label: "GitLab", signature: "Secret token (X-Gitlab-Token)" },
];

/**
 * Incoming webhooks: the URL to give the forge for push and pull request
 * events, and the secret that signs them. The server shows a secret only
 * when it generates one, so a new one is shown here once, until the page
 * is left.
 */
function Webhooks({ repo }: { repo: string }) {
  const settings = useApi((signal) => api.incomingWebhooks(repo, signal), [repo]);
  const [secret, setSecret] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ tone: "success" | "error"; text: string }>();
  const rotate = async () => {
    const replacing = settings.data?.secret_configured ?? false;
    if (replacing && !window.confirm("Generate a new webhook secret? Deliveries signed with the current one will be refused until the forge is updated.")) return;
    setBusy(true);
    setMessage(undefined);
    try {
      const answer = await api.rotateWebhookSecret(repo);
      setSecret(answer.webhook_secret);
      setMessage({ tone: "success", text: "New webhook secret generated. Copy it into the forge's webhook settings now: it is not shown again." });
      settings.reload();
    } catch (e) {
      setMessage({ tone: "error", text: (e as ApiError).message });
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="hooks-title" className="settings-section">
      <h3 id="hooks-title">Webhooks</h3>
      <p className="muted small">Add a webhook in the forge for push and pull request events, with content type application/json, the URL below and the webhook secret.</p>
      {settings.error && <ErrorBanner error={settings.error} onRetry={settings.reload} what="webhook settings" />}
      {settings.loading && <Loading />}
      {settings.data && (
        <>
          <dl className="webhook-urls" data-testid="webhook-urls">
            {FORGES.map((f) => (
              <div key={f.key} className="webhook-url">
                <dt>{f.label}</dt>
                <dd>
                  <code data-testid={`webhook-url-${f.key}`}>{settings.data!.urls[f.key]}</code>
                  <span className="muted small"> · {f.signature}</span>
                </dd>
              </div>
            ))}
          </dl>
          <p data-testid="webhook-secret-state">
            {settings.data.secret_configured ? "A webhook secret is set." : "No webhook secret is set: deliveries cannot be verified."}
          </p>
        </>
      )}
      {secret && (
        <div className="once" role="status">
          <label htmlFor="hook-secret">New webhook secret</label>
          <input id="hook-secret" data-testid="webhook-secret" readOnly value={secret} onFocus={(e) => e.currentTarget.select()} />
        </div>
      )}
      <button className="btn" disabled={busy || !settings.data} onClick={() => void rotate()}>
        {busy ? "Generating…" : settings.data?.secret_configured ? "Rotate webhook secret" : "Generate webhook secret"}
      </button>
      {message && <Notice tone={message.tone}>{message.text}</Notice>}
    </section>
  );
}

/** "every 5 minutes", "every 90 seconds": how often the server checks the remote. */
function describeInterval(seconds: number): string {
  const units: Array<[number, string]> = [
    [86_400, "day"],
    [3600, "hour"],
    [60, "minute"],
    [1, "second"],
  ];
  const [size, unit] = units.find(([n]) => seconds % n === 0 && seconds >= n) ?? [1, "second"];
  const count = seconds / size;
  return count === 1 ? `every ${unit}` : `every ${count} ${unit}s`;
}

function fieldsOf(repository: Repository): RepositoryFields {
  const polling = repository.polling_interval;
  return { gitUrl: repository.clone_url ?? "", defaultBranch: repository.default_branch, polling: polling ? String(polling) : "", credentials: "", clearCredentials: false };
}

/** Changing where the repository comes from; the connection is tested after each change. */
function EditSource({ repo, repository, onSaved }: { repo: string; repository: Repository; onSaved: (repository: Repository, test: ConnectionTest) => void }) {
  const initial = fieldsOf(repository);
  const [fields, setFields] = useState(initial);
  const [error, setError] = useState<string>();
  const save = async () => {
    setError(undefined);
    try {
      const saved = await api.updateRepository(repo, repositoryInputOf(fields, initial));
      onSaved(saved, await api.testConnection(repo));
    } catch (err) {
      setError(err instanceof ApiError ? `${err.message}${err.hint ? ` ${err.hint}` : ""}` : String(err));
    }
  };
  return (
    <>
      <RepositoryForm label="Change the repository's source" submitLabel="Save" onSubmit={save}>
        <RepositoryFieldset fields={fields} onChange={setFields} hasCredentials={repository.has_credentials} idPrefix="edit" />
      </RepositoryForm>
      {error && <Notice tone="error">{error}</Notice>}
    </>
  );
}

function About({ repo, repository: given, admin }: { repo: string; repository?: Repository; admin: boolean }) {
  const [saved, setSaved] = useState<Repository>();
  const [editing, setEditing] = useState(false);
  const [testing, setTesting] = useState(false);
  const [test, setTest] = useState<ConnectionTest>();
  const repository = saved ?? given;
  if (!repository) return <Loading />;
  const polling = repository.polling_interval;
  const runTest = async () => {
    setTesting(true);
    setTest(undefined);
    try {
      setTest(await api.testConnection(repo));
    } catch (err) {
      setTest({ reachable: false, duration_ms: 0, message: (err as Error).message });
    } finally {
      setTesting(false);
    }
  };
  return (
    <section aria-labelledby="about-title" className="settings-section">
      <div className="section-head">
        <h3 id="about-title">Repository</h3>
        {admin && (
          <div className="btn-row">
            <button className="btn btn-small" disabled={testing} onClick={() => void runTest()}>
              {testing ? "Testing…" : "Test connection"}
            </button>
            <button className="btn btn-small btn-plain" onClick={() => setEditing(!editing)} aria-expanded={editing}>
              {editing ? "Cancel" : "Edit"}
            </button>
          </div>
        )}
      </div>
      {editing && (
        <EditSource
          repo={repo}
          repository={repository}
          onSaved={(next, result) => {
            setSaved(next);
            setTest(result);
            setEditing(false);
          }}
        />
      )}
      {test && <ConnectionResult result={test} />}
      <dl className="repo-facts" data-testid="repo-facts">
        <div>
          <dt>Git URL</dt>
          <dd>{repository.clone_url ? <code>{repository.clone_url}</code> : <span className="muted">not given by the server</span>}</dd>
        </div>
        <div>
          <dt>Default branch</dt>
          <dd>
            <span className="chip branch">{repository.default_branch}</span>
          </dd>
        </div>
        <div>
          <dt>Polling</dt>
          <dd>
            {polling === undefined ? (
              <span className="muted">not given by the server</span>
            ) : polling === null || polling <= 0 ? (
              "not polled: runs start from webhooks and dispatches"
            ) : (
              `checked for new commits ${describeInterval(polling)}`
            )}
          </dd>
        </div>
        {repository.has_credentials !== undefined && (
          <div>
            <dt>Credentials</dt>
            <dd>{repository.has_credentials ? "set (never shown)" : "none: the repository is fetched anonymously"}</dd>
          </div>
        )}
      </dl>
    </section>
  );
}

/** Deleting needs the repository's full name typed out, as on GitHub. */
function DeleteRepository({ repo }: { repo: string }) {
  const [open, setOpen] = useState(false);
  const [typed, setTyped] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const remove = async (e: FormEvent) => {
    e.preventDefault();
    if (typed !== repo) return;
    setBusy(true);
    setError(undefined);
    try {
      await api.deleteRepository(repo);
      navigate("/");
    } catch (err) {
      setError((err as ApiError).message);
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="danger-title" className="settings-section danger-zone">
      <h3 id="danger-title">Delete this repository</h3>
      <p className="muted small">Its runs, logs, artifacts, secrets, variables and environments are deleted with it. The remote repository is not touched.</p>
      {!open ? (
        <button className="btn btn-danger-plain" onClick={() => setOpen(true)}>
          Delete this repository
        </button>
      ) : (
        <form className="inline-form" onSubmit={(e) => void remove(e)} aria-label="Delete the repository">
          <div className="field grow">
            <label htmlFor="delete-confirm">Type {repo} to confirm</label>
            <input id="delete-confirm" autoComplete="off" spellCheck={false} value={typed} onChange={(e) => setTyped(e.target.value)} autoFocus />
          </div>
          <button className="btn btn-danger" type="submit" disabled={busy || typed !== repo}>
            {busy ? "Deleting…" : `Delete ${repo}`}
          </button>
          <button className="btn btn-plain" type="button" onClick={() => { setOpen(false); setTyped(""); }}>
            Cancel
          </button>
        </form>
      )}
      {error && <Notice tone="error">{error}</Notice>}
    </section>
  );
}

export function RepoSettingsPage({ repo, repository }: { repo: string; repository?: Repository }) {
  // The server answers `role` for the caller; without it, the delete action is offered and the server decides.
  const admin = repository?.role === undefined || repository.role === "admin";
  return (
    <section aria-labelledby="settings-title">
      <h2 id="settings-title">Settings</h2>
      <About repo={repo} repository={repository} admin={admin} />
      <Collaborators repo={repo} />
      <Webhooks repo={repo} />
      {admin && <DeleteRepository repo={repo} />}
    </section>
  );
}

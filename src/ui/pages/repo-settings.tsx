/** Repository settings: collaborators and their roles; the webhook URLs a forge calls and the webhook secret. */
import { useState, type FormEvent } from "react";
import { ApiError, api } from "../api/client.js";
import { ErrorBanner, Empty, Loading, Notice } from "../components/feedback.js";
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

export function RepoSettingsPage({ repo }: { repo: string }) {
  return (
    <section aria-labelledby="settings-title">
      <h2 id="settings-title">Settings</h2>
      <Collaborators repo={repo} />
      <Webhooks repo={repo} />
    </section>
  );
}

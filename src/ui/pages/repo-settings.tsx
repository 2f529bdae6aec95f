/** Repository settings: collaborators and their roles, webhooks with their URLs and secrets. */
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

function Webhooks({ repo }: { repo: string }) {
  const hooks = useApi((signal) => api.listWebhooks(repo, signal), [repo]);
  const [url, setUrl] = useState("");
  const [secret, setSecret] = useState("");
  const [message, setMessage] = useState<{ tone: "success" | "error"; text: string }>();
  const add = async (e: FormEvent) => {
    e.preventDefault();
    setMessage(undefined);
    try {
      new URL(url);
    } catch {
      setMessage({ tone: "error", text: "Enter a full URL, like https://example.com/hook." });
      return;
    }
    try {
      await api.createWebhook(repo, url, secret, ["workflow_run", "workflow_job"]);
      setUrl("");
      setMessage({ tone: "success", text: "Webhook added." });
      hooks.reload();
    } catch (err) {
      setMessage({ tone: "error", text: (err as ApiError).message });
    } finally {
      setSecret("");
    }
  };
  const remove = async (id: number) => {
    try {
      await api.deleteWebhook(repo, id);
      hooks.reload();
    } catch (err) {
      setMessage({ tone: "error", text: (err as ApiError).message });
    }
  };
  return (
    <section aria-labelledby="hooks-title" className="settings-section">
      <h3 id="hooks-title">Webhooks</h3>
      <p className="muted small">Slipway posts run and job events to these URLs, signed with the secret (X-Hub-Signature-256).</p>
      {hooks.error && hooks.error.kind === "not-found" && <p className="muted">This server does not offer outgoing webhooks yet.</p>}
      {hooks.error && hooks.error.kind !== "not-found" && <ErrorBanner error={hooks.error} onRetry={hooks.reload} what="webhooks" />}
      {hooks.data && hooks.data.length > 0 && (
        <ul className="plain-list">
          {hooks.data.map((h) => (
            <li key={h.id}>
              <code>{h.config.url}</code>
              <span className="muted small">{h.events.join(", ")}</span>
              <span className={`pill ${h.active ? "pill-online" : "pill-offline"}`}>{h.active ? "active" : "inactive"}</span>
              <button className="btn btn-small btn-danger-plain" onClick={() => remove(h.id)} aria-label={`Delete webhook ${h.config.url}`}>
                Delete
              </button>
            </li>
          ))}
        </ul>
      )}
      {hooks.error?.kind !== "not-found" && (
      <form className="inline-form" onSubmit={add} aria-label="Add a webhook">
        <div className="field grow">
          <label htmlFor="hook-url">Payload URL</label>
          <input id="hook-url" type="url" value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://" />
        </div>
        <div className="field">
          <label htmlFor="hook-secret">Secret</label>
          <input id="hook-secret" type="password" value={secret} onChange={(e) => setSecret(e.target.value)} autoComplete="new-password" />
        </div>
        <button className="btn" type="submit">
          Add webhook
        </button>
      </form>
      )}
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

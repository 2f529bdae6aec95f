/** The user's password and personal API tokens, and for instance admins the user list. */
import { useState, type FormEvent } from "react";
import { ApiError, api } from "../api/client.js";
import type { User } from "../api/types.js";
import { ErrorBanner, Empty, Loading, Notice } from "../components/feedback.js";
import { formatRelative } from "../core/format.js";
import { useApi } from "../core/use-api.js";

const SCOPES = ["read", "write", "admin"];

function Tokens() {
  const tokens = useApi((signal) => api.listTokens(signal), []);
  const [name, setName] = useState("");
  const [scope, setScope] = useState("read");
  const [days, setDays] = useState("90");
  const [created, setCreated] = useState<string>();
  const [message, setMessage] = useState<{ tone: "success" | "error"; text: string }>();
  const create = async (e: FormEvent) => {
    e.preventDefault();
    setMessage(undefined);
    try {
      const t = await api.createToken(name.trim(), [scope], days ? Number(days) : null);
      // Shown once, in this component's memory only; gone on navigation.
      setCreated(t.token);
      setName("");
      tokens.reload();
    } catch (err) {
      setMessage({ tone: "error", text: (err as ApiError).message });
    }
  };
  const remove = async (id: number) => {
    try {
      await api.deleteToken(id);
      tokens.reload();
    } catch (err) {
      setMessage({ tone: "error", text: (err as ApiError).message });
    }
  };
  return (
    <section aria-labelledby="tokens-title" className="settings-section">
      <h3 id="tokens-title">API tokens</h3>
      {created && (
        <div className="card token-card" role="status">
          <p>Copy the token now; it will not be shown again.</p>
          <pre className="command">
            <code>{created}</code>
          </pre>
          <button className="btn btn-small" onClick={() => { void navigator.clipboard?.writeText(created); }}>
            Copy
          </button>{" "}
          <button className="btn btn-small btn-plain" onClick={() => setCreated(undefined)}>
            Done
          </button>
        </div>
      )}
      {tokens.error && <ErrorBanner error={tokens.error} onRetry={tokens.reload} what="tokens" />}
      {tokens.loading && <Loading />}
      {tokens.data?.tokens.length === 0 && <Empty title="No tokens" />}
      {tokens.data && tokens.data.tokens.length > 0 && (
        <ul className="plain-list">
          {tokens.data.tokens.map((t) => (
            <li key={t.id}>
              <strong>{t.name}</strong>
              <span className="chip">{t.scopes.join(", ")}</span>
              <span className="muted small">
                {t.last_used_at ? `used ${formatRelative(t.last_used_at)}` : "never used"} · {t.expires_at ? `expires ${new Date(t.expires_at).toLocaleDateString()}` : "no expiry"}
              </span>
              <button className="btn btn-small btn-danger-plain" onClick={() => remove(t.id)} aria-label={`Revoke ${t.name}`}>
                Revoke
              </button>
            </li>
          ))}
        </ul>
      )}
      <form className="inline-form" onSubmit={create} aria-label="Create a token">
        <div className="field grow">
          <label htmlFor="token-name">Name</label>
          <input id="token-name" value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} />
        </div>
        <div className="field">
          <label htmlFor="token-scope">Scope</label>
          <select id="token-scope" value={scope} onChange={(e) => setScope(e.target.value)}>
            {SCOPES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="token-days">Expires in (days)</label>
          <input id="token-days" type="number" min={1} max={3650} value={days} onChange={(e) => setDays(e.target.value)} />
        </div>
        <button className="btn btn-primary" type="submit" disabled={!name.trim()}>
          Create token
        </button>
      </form>
      {message && <Notice tone={message.tone}>{message.text}</Notice>}
    </section>
  );
}

function Password() {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [message, setMessage] = useState<{ tone: "success" | "error"; text: string }>();
  const change = async (e: FormEvent) => {
    e.preventDefault();
    setMessage(undefined);
    try {
      await api.changePassword(next, current);
      setMessage({ tone: "success", text: "Password changed. Sign in with it from now on." });
    } catch (err) {
      setMessage({ tone: "error", text: (err as ApiError).message });
    } finally {
      setCurrent("");
      setNext("");
    }
  };
  return (
    <section aria-labelledby="password-title" className="settings-section">
      <h3 id="password-title">Password</h3>
      <form className="inline-form" onSubmit={change} aria-label="Change your password">
        <div className="field">
          <label htmlFor="current-password">Current password</label>
          <input id="current-password" type="password" value={current} onChange={(e) => setCurrent(e.target.value)} autoComplete="current-password" placeholder="none yet? leave empty" />
        </div>
        <div className="field">
          <label htmlFor="new-password">New password</label>
          <input id="new-password" type="password" minLength={8} value={next} onChange={(e) => setNext(e.target.value)} required autoComplete="new-password" />
        </div>
        <button className="btn" type="submit">
          Change password
        </button>
      </form>
      {message && <Notice tone={message.tone}>{message.text}</Notice>}
    </section>
  );
}

function Users({ self }: { self: User }) {
  const users = useApi((signal) => api.listUsers(signal), []);
  const [login, setLogin] = useState("");
  const [password, setPassword] = useState("");
  const [admin, setAdmin] = useState(false);
  const [message, setMessage] = useState<{ tone: "success" | "error"; text: string }>();
  const create = async (e: FormEvent) => {
    e.preventDefault();
    setMessage(undefined);
    try {
      await api.createUser(login.trim(), password, admin);
      setMessage({ tone: "success", text: `Created ${login.trim()}.` });
      setLogin("");
      setAdmin(false);
      users.reload();
    } catch (err) {
      setMessage({ tone: "error", text: (err as ApiError).message });
    } finally {
      setPassword("");
    }
  };
  const remove = async (login: string) => {
    if (!window.confirm(`Delete user ${login}? Their sessions and tokens stop working.`)) return;
    setMessage(undefined);
    try {
      await api.deleteUser(login);
      setMessage({ tone: "success", text: `Deleted ${login}.` });
      users.reload();
    } catch (err) {
      setMessage({ tone: "error", text: (err as ApiError).message });
    }
  };
  return (
    <section aria-labelledby="users-title" className="settings-section">
      <h3 id="users-title">Users</h3>
      {users.error && <ErrorBanner error={users.error} onRetry={users.reload} what="users" />}
      {users.loading && <Loading />}
      {users.data && (
        <ul className="plain-list">
          {users.data.users.map((u) => (
            <li key={u.id}>
              <strong>{u.login}</strong>
              {u.site_admin && <span className="chip">admin</span>}
              <span className="muted small">joined {formatRelative(u.created_at)}</span>
              {u.login !== self.login && (
                <button className="btn btn-small btn-danger-plain" onClick={() => remove(u.login)} aria-label={`Delete user ${u.login}`}>
                  Delete
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      <form className="inline-form" onSubmit={create} aria-label="Add a user">
        <div className="field">
          <label htmlFor="user-login">Login</label>
          <input id="user-login" value={login} onChange={(e) => setLogin(e.target.value)} required autoComplete="off" />
        </div>
        <div className="field">
          <label htmlFor="user-password">Password</label>
          <input id="user-password" type="password" minLength={8} value={password} onChange={(e) => setPassword(e.target.value)} required autoComplete="new-password" />
        </div>
        <label className="checkbox">
          <input type="checkbox" checked={admin} onChange={(e) => setAdmin(e.target.checked)} /> Instance admin
        </label>
        <button className="btn" type="submit">
          Add user
        </button>
      </form>
      {message && <Notice tone={message.tone}>{message.text}</Notice>}
    </section>
  );
}

export function UserSettingsPage({ user }: { user: User }) {
  return (
    <main id="main" className="page">
      <h1>Settings</h1>
      <p className="muted">
        Signed in as <strong>{user.login}</strong>
        {user.site_admin ? " (instance admin)" : ""}.
      </p>
      <Password />
      <Tokens />
      {user.site_admin && <Users self={user} />}
    </main>
  );
}

/**
 * Sign-in with a Slipway account's password, or with an API token that has the
 * admin scope (the first start prints one before anyone has a password); the
 * server sets an HttpOnly session cookie either way.
 */
import { useState, type FormEvent } from "react";
import { ApiError, api } from "../api/client.js";
import type { User } from "../api/types.js";

export function SignInPage({ onSignedIn, reason }: { onSignedIn: (user: User) => void; reason?: string }) {
  const [login, setLogin] = useState("");
  const [password, setPassword] = useState("");
  const [withToken, setWithToken] = useState(false);
  const [token, setToken] = useState("");
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      onSignedIn(withToken ? await api.signInWithToken(token.trim()) : await api.signIn(login.trim(), password));
    } catch (err) {
      const apiError = err as ApiError;
      setError(apiError.kind === "offline" ? "Cannot reach the Slipway server. Is it running?" : apiError.message);
      setPassword("");
      setToken("");
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="sign-in" id="main">
      <form className="card sign-in-card" onSubmit={submit} aria-labelledby="sign-in-title">
        <div className="brand brand-large" aria-hidden="true">
          <Logo /> Slipway
        </div>
        <h1 id="sign-in-title">Sign in</h1>
        {reason && (
          <div className="banner banner-warn" role="status">
            {reason}
          </div>
        )}
        {error && (
          <div className="banner banner-error" role="alert">
            {error}
          </div>
        )}
        {withToken ? (
          <>
            <label htmlFor="api-token">API token</label>
            <input id="api-token" name="api-token" type="password" autoComplete="off" spellCheck={false} required autoFocus placeholder="slp_…" value={token} onChange={(e) => setToken(e.target.value)} />
            <p className="muted small sign-in-note">A token with the admin scope, such as the one the server printed at its first start.</p>
          </>
        ) : (
          <>
            <label htmlFor="login">Login</label>
            <input id="login" name="login" autoComplete="username" required autoFocus value={login} onChange={(e) => setLogin(e.target.value)} />
            <label htmlFor="password">Password</label>
            <input id="password" name="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
          </>
        )}
        <button className="btn btn-primary" type="submit" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
        <button
          className="btn btn-plain"
          type="button"
          onClick={() => {
            setWithToken(!withToken);
            setError(undefined);
          }}
        >
          {withToken ? "Use a password instead" : "Use an API token instead"}
        </button>
      </form>
    </main>
  );
}

export function Logo() {
  return (
    <svg width="22" height="22" viewBox="0 0 16 16" aria-hidden="true">
      <path d="M1.5 12.5h13L8 2.5z" fill="var(--accent)" />
      <path d="M1 14h14" stroke="var(--accent)" strokeWidth="1.4" strokeLinecap="round" />
    </svg>
  );
}

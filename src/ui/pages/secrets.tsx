/**
 * Repository secrets: names and dates only. A value is typed into a password
 * field, sent once with PUT, and cleared from the form; it is never shown.
 * The repository's configuration variables follow (see variables.tsx).
 */
import { useState, type FormEvent } from "react";
import { ApiError, api } from "../api/client.js";
import { ErrorBanner, Empty, Loading, Notice } from "../components/feedback.js";
import { formatRelative } from "../core/format.js";
import { useApi } from "../core/use-api.js";
import { VariablesSection } from "./variables.js";

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function SecretsPage({ repo }: { repo: string }) {
  const secrets = useApi((signal) => api.listSecrets(repo, signal), [repo]);
  const [name, setName] = useState("");
  const [value, setValue] = useState("");
  const [message, setMessage] = useState<{ tone: "success" | "error"; text: string }>();
  const [busy, setBusy] = useState(false);
  const nameError = name && (!NAME.test(name) ? "Letters, digits and underscores; not starting with a digit." : /^GITHUB_/i.test(name) ? "Names starting with GITHUB_ are reserved." : undefined);

  const save = async (e: FormEvent) => {
    e.preventDefault();
    if (nameError || !name || !value) return;
    setBusy(true);
    setMessage(undefined);
    const upper = name.toUpperCase();
    try {
      await api.putSecret(repo, upper, value);
      setMessage({ tone: "success", text: `Saved secret ${upper}.` });
      setName("");
      secrets.reload();
    } catch (err) {
      setMessage({ tone: "error", text: (err as ApiError).message });
    } finally {
      setValue("");
      setBusy(false);
    }
  };

  const remove = async (secretName: string) => {
    if (!window.confirm(`Delete secret ${secretName}? Workflows that use it will get an empty value.`)) return;
    try {
      await api.deleteSecret(repo, secretName);
      setMessage({ tone: "success", text: `Deleted secret ${secretName}.` });
      secrets.reload();
    } catch (err) {
      setMessage({ tone: "error", text: (err as ApiError).message });
    }
  };

  return (
    <>
    <section aria-labelledby="secrets-title">
      <h2 id="secrets-title">Secrets</h2>
      <p className="muted">Secrets are encrypted on the server and masked in logs. Values can be replaced but never read back.</p>
      <form className="card inline-form" onSubmit={save} aria-label="Set a secret">
        <div className="field">
          <label htmlFor="secret-name">Name</label>
          <input id="secret-name" value={name} onChange={(e) => setName(e.target.value.toUpperCase())} autoComplete="off" spellCheck={false} aria-invalid={!!nameError} aria-describedby={nameError ? "secret-name-e" : undefined} />
          {nameError && (
            <div className="field-error" id="secret-name-e">
              {nameError}
            </div>
          )}
        </div>
        <div className="field grow">
          <label htmlFor="secret-value">Value</label>
          <input id="secret-value" type="password" value={value} onChange={(e) => setValue(e.target.value)} autoComplete="new-password" spellCheck={false} />
        </div>
        <button className="btn btn-primary" type="submit" disabled={busy || !name || !value || !!nameError}>
          {busy ? "Saving…" : "Save secret"}
        </button>
      </form>
      {message && <Notice tone={message.tone}>{message.text}</Notice>}
      {secrets.error && <ErrorBanner error={secrets.error} onRetry={secrets.reload} what="secrets" />}
      {secrets.loading && <Loading />}
      {secrets.data?.secrets.length === 0 && <Empty title="No secrets yet" />}
      {secrets.data && secrets.data.secrets.length > 0 && (
        <ul className="secret-list" aria-label="Secrets">
          {secrets.data.secrets.map((s) => (
            <li key={s.name} data-testid="secret">
              <code className="secret-name">{s.name}</code>
              <span className="muted small">updated {formatRelative(s.updated_at)}</span>
              <button className="btn btn-small btn-plain" onClick={() => { setName(s.name); document.getElementById("secret-value")?.focus(); }} aria-label={`Update ${s.name}`}>
                Update
              </button>
              <button className="btn btn-small btn-danger-plain" onClick={() => remove(s.name)} aria-label={`Delete ${s.name}`}>
                Delete
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
    <VariablesSection repo={repo} />
    </>
  );
}

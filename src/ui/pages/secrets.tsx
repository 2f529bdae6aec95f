/**
 * Secrets and variables, for the repository or one of its deployment
 * environments, chosen with the scope picker at the top (which also creates
 * environments). Secrets show names and dates only: a value is typed into a
 * password field, sent once with PUT, and cleared from the form; it is never
 * shown. The scope's configuration variables follow (see variables.tsx).
 */
import { useState, type FormEvent, type KeyboardEvent } from "react";
import { ApiError, api } from "../api/client.js";
import { ErrorBanner, Empty, Loading, Notice } from "../components/feedback.js";
import { formatRelative } from "../core/format.js";
import { useApi } from "../core/use-api.js";
import { VariablesSection } from "./variables.js";

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** What is wrong with an environment name, as the server would say it. */
function environmentProblem(name: string): string | undefined {
  if (!name) return undefined;
  if (name.trim() !== name) return "No spaces at the start or end.";
  if (name.includes("/")) return "No '/'.";
  if (name.length > 255) return "At most 255 characters.";
  return undefined;
}

/**
 * The scope picker: Repository or one of the environments (a native select,
 * so keyboards and screen readers work as everywhere), and a form that
 * creates an environment and selects it. Escape closes the form.
 */
function ScopePicker({ repo, environment, onChange }: { repo: string; environment?: string; onChange: (environment?: string) => void }) {
  const environments = useApi((signal) => api.listEnvironments(repo, signal), [repo]);
  const [creating, setCreating] = useState(false);
  const [name, setName] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const problem = environmentProblem(name);
  const names = environments.data?.environments.map((e) => e.name) ?? [];
  if (environment !== undefined && !names.includes(environment)) names.push(environment);

  const close = () => {
    setCreating(false);
    setName("");
    setError(undefined);
    document.getElementById("new-environment")?.focus();
  };

  const create = async (e: FormEvent) => {
    e.preventDefault();
    if (!name || problem) return;
    setBusy(true);
    setError(undefined);
    try {
      const created = await api.putEnvironment(repo, name);
      environments.reload();
      onChange(created.name);
      close();
      document.getElementById("scope")?.focus();
    } catch (err) {
      setError((err as ApiError).message);
    } finally {
      setBusy(false);
    }
  };

  const remove = async () => {
    if (environment === undefined) return;
    if (!window.confirm(`Delete the environment ${environment} with its secrets and variables? Jobs naming it get none until it is set up again.`)) return;
    setError(undefined);
    try {
      await api.deleteEnvironment(repo, environment);
      environments.reload();
      onChange(undefined);
      document.getElementById("scope")?.focus();
    } catch (err) {
      setError((err as ApiError).message);
    }
  };

  const onFormKey = (e: KeyboardEvent) => {
    if (e.key === "Escape") {
      e.preventDefault();
      close();
    }
  };

  return (
    <div className="scope-picker">
      <div className="inline-form">
        <div className="field">
          <label htmlFor="scope">Scope</label>
          <select id="scope" value={environment ?? ""} onChange={(e) => onChange(e.target.value === "" ? undefined : e.target.value)} aria-describedby="scope-help">
            <option value="">Repository</option>
            {names.map((n) => (
              <option key={n} value={n}>
                Environment: {n}
              </option>
            ))}
          </select>
        </div>
        <button id="new-environment" type="button" className="btn" onClick={() => setCreating(true)} aria-expanded={creating} aria-controls="environment-form">
          New environment
        </button>
        {environment !== undefined && (
          <button type="button" className="btn btn-danger-plain" onClick={() => void remove()}>
            Delete environment
          </button>
        )}
      </div>
      <p className="muted small" id="scope-help">
        {environment === undefined
          ? "Repository secrets and variables reach every job."
          : `Only jobs with environment: ${environment} get these, over repository secrets and variables of the same name.`}
      </p>
      {environments.error && <ErrorBanner error={environments.error} onRetry={environments.reload} what="environments" />}
      {creating && (
        <form id="environment-form" className="card inline-form" onSubmit={create} onKeyDown={onFormKey} aria-label="New environment form">
          <div className="field grow">
            <label htmlFor="environment-name">Environment name</label>
            <input
              id="environment-name"
              value={name}
              onChange={(e) => setName(e.target.value)}
              autoComplete="off"
              spellCheck={false}
              autoFocus
              aria-invalid={!!problem}
              aria-describedby={problem ? "environment-name-e" : undefined}
            />
            {problem && (
              <div className="field-error" id="environment-name-e">
                {problem}
              </div>
            )}
          </div>
          <button className="btn btn-primary" type="submit" disabled={busy || !name || !!problem}>
            {busy ? "Creating…" : "Create environment"}
          </button>
          <button className="btn btn-plain" type="button" onClick={close}>
            Cancel
          </button>
        </form>
      )}
      {error && <Notice tone="error">{error}</Notice>}
    </div>
  );
}

export function SecretsPage({ repo }: { repo: string }) {
  const [environment, setEnvironment] = useState<string>();
  return (
    <>
      <ScopePicker repo={repo} environment={environment} onChange={setEnvironment} />
      <SecretsSection key={`s:${environment ?? ""}`} repo={repo} environment={environment} />
      <VariablesSection key={`v:${environment ?? ""}`} repo={repo} environment={environment} />
    </>
  );
}

function SecretsSection({ repo, environment }: { repo: string; environment?: string }) {
  const secrets = useApi((signal) => api.listSecrets(repo, signal, environment), [repo, environment]);
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
      await api.putSecret(repo, upper, value, environment);
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
      await api.deleteSecret(repo, secretName, environment);
      setMessage({ tone: "success", text: `Deleted secret ${secretName}.` });
      secrets.reload();
    } catch (err) {
      setMessage({ tone: "error", text: (err as ApiError).message });
    }
  };

  return (
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
  );
}

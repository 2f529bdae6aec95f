/**
 * Configuration variables (the `vars` context) of the repository or of the
 * environment chosen on the page, shown next to the secrets. Variables are not secret: values are listed and edited in the open.
 * The form opens for a new variable or to edit one (renaming included), and
 * is keyboard-driven: it takes focus when it opens, Escape closes it, and
 * focus goes back to the button that opened it.
 */
import { useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import { ApiError, api } from "../api/client.js";
import { ErrorBanner, Empty, Loading, Notice } from "../components/feedback.js";
import { formatRelative } from "../core/format.js";
import { useApi } from "../core/use-api.js";

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_VALUE_BYTES = 48 * 1024;

function nameProblem(name: string): string | undefined {
  if (!name) return undefined;
  if (!NAME.test(name)) return "Letters, digits and underscores; not starting with a digit.";
  if (/^GITHUB_/i.test(name)) return "Names starting with GITHUB_ are reserved.";
  return undefined;
}

export function VariablesSection({ repo, environment }: { repo: string; environment?: string }) {
  const variables = useApi((signal) => api.listVariables(repo, signal, environment), [repo, environment]);
  /** null: the form is closed; "" : a new variable; otherwise the name of the variable being edited. */
  const [editing, setEditing] = useState<string | null>(null);
  const [name, setName] = useState("");
  const [value, setValue] = useState("");
  const [message, setMessage] = useState<{ tone: "success" | "error"; text: string }>();
  const [busy, setBusy] = useState(false);
  const opener = useRef<HTMLElement | null>(null);
  const nameError = nameProblem(name);
  const valueError = new TextEncoder().encode(value).length > MAX_VALUE_BYTES ? "At most 48 KB." : undefined;

  const open = (variable: { name: string; value: string } | null, from: HTMLElement) => {
    opener.current = from;
    setEditing(variable ? variable.name : "");
    setName(variable?.name ?? "");
    setValue(variable?.value ?? "");
    setMessage(undefined);
  };

  const close = () => {
    setEditing(null);
    setName("");
    setValue("");
    opener.current?.focus();
  };

  const save = async (e: FormEvent) => {
    e.preventDefault();
    if (editing === null || nameError || valueError || !name) return;
    setBusy(true);
    setMessage(undefined);
    const upper = name.toUpperCase();
    try {
      if (editing === "") await api.createVariable(repo, upper, value, environment);
      else await api.updateVariable(repo, editing, value, upper, environment);
      setMessage({ tone: "success", text: editing === "" || editing === upper ? `Saved variable ${upper}.` : `Renamed variable ${editing} to ${upper} and saved it.` });
      variables.reload();
      close();
    } catch (err) {
      setMessage({ tone: "error", text: (err as ApiError).message });
    } finally {
      setBusy(false);
    }
  };

  const remove = async (variableName: string) => {
    if (!window.confirm(`Delete variable ${variableName}? Workflows that use it will get an empty value.`)) return;
    try {
      await api.deleteVariable(repo, variableName, environment);
      setMessage({ tone: "success", text: `Deleted variable ${variableName}.` });
      if (editing === variableName) close();
      variables.reload();
    } catch (err) {
      setMessage({ tone: "error", text: (err as ApiError).message });
    }
  };

  const onFormKey = (e: KeyboardEvent) => {
    if (e.key === "Escape") {
      e.preventDefault();
      close();
    }
  };

  return (
    <section aria-labelledby="variables-title" style={{ marginTop: 32 }}>
      <h2 id="variables-title">Variables</h2>
      <p className="muted">
        Variables hold configuration that workflows read as <code>{"${{ vars.NAME }}"}</code>. They are not secret: values are shown here and can appear in logs. Use secrets for credentials.
        {environment !== undefined && (
          <>
            {" "}
            These belong to environment <strong>{environment}</strong>: only jobs with <code>environment: {environment}</code> see them, over repository variables of the same name.
          </>
        )}
      </p>
      <button type="button" className="btn" style={{ marginBottom: 12 }} onClick={(e) => open(null, e.currentTarget)} aria-expanded={editing === ""} aria-controls="variable-form">
        New variable
      </button>
      {editing !== null && (
        <form id="variable-form" className="card inline-form" onSubmit={save} onKeyDown={onFormKey} aria-label={editing === "" ? "New variable form" : `Edit variable ${editing}`}>
          <div className="field">
            <label htmlFor="variable-name">Variable name</label>
            <input
              id="variable-name"
              value={name}
              onChange={(e) => setName(e.target.value.toUpperCase())}
              autoComplete="off"
              spellCheck={false}
              autoFocus
              aria-invalid={!!nameError}
              aria-describedby={nameError ? "variable-name-e" : undefined}
            />
            {nameError && (
              <div className="field-error" id="variable-name-e">
                {nameError}
              </div>
            )}
          </div>
          <div className="field grow">
            <label htmlFor="variable-value">Variable value</label>
            <textarea
              id="variable-value"
              value={value}
              onChange={(e) => setValue(e.target.value)}
              rows={Math.min(8, Math.max(1, value.split("\n").length))}
              spellCheck={false}
              style={{ width: "100%", fontFamily: "var(--mono, monospace)" }}
              aria-invalid={!!valueError}
              aria-describedby={valueError ? "variable-value-e" : undefined}
            />
            {valueError && (
              <div className="field-error" id="variable-value-e">
                {valueError}
              </div>
            )}
          </div>
          <button className="btn btn-primary" type="submit" disabled={busy || !name || !!nameError || !!valueError}>
            {busy ? "Saving…" : "Save variable"}
          </button>
          <button className="btn btn-plain" type="button" onClick={close}>
            Cancel
          </button>
        </form>
      )}
      {message && <Notice tone={message.tone}>{message.text}</Notice>}
      {variables.error && <ErrorBanner error={variables.error} onRetry={variables.reload} what="variables" />}
      {variables.loading && <Loading />}
      {variables.data?.variables.length === 0 && <Empty title="No variables yet" />}
      {variables.data && variables.data.variables.length > 0 && (
        <ul className="secret-list" aria-label="Variables">
          {variables.data.variables.map((v) => (
            <li key={v.name} data-testid="variable">
              <code className="secret-name">{v.name}</code>
              <code data-testid="variable-value" style={{ whiteSpace: "pre-wrap", wordBreak: "break-all", flex: "1 1 200px" }}>
                {v.value}
              </code>
              <span className="muted small">updated {formatRelative(v.updated_at)}</span>
              <button className="btn btn-small btn-plain" onClick={(e) => open(v, e.currentTarget)} aria-label={`Edit variable ${v.name}`}>
                Edit
              </button>
              <button className="btn btn-small btn-danger-plain" onClick={() => remove(v.name)} aria-label={`Delete variable ${v.name}`}>
                Delete
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

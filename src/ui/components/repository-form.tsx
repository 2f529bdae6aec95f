/**
 * Where a repository comes from — git URL, default branch, polling and
 * credentials — as one form used to add a repository and to change one, and
 * the finding of a connection test.
 */
import { useState, type FormEvent, type ReactNode } from "react";
import type { ConnectionTest, RepositoryInput } from "../api/types.js";
import { Notice } from "./feedback.js";

export interface RepositoryFields {
  gitUrl: string;
  defaultBranch: string;
  /** Seconds as typed; empty means webhooks and dispatches only. */
  polling: string;
  /** Typed credentials; empty keeps what is stored (or none). */
  credentials: string;
  clearCredentials: boolean;
}

/** What changed in `fields` against `initial`, as the API's body; a new repository sends everything given. */
export function repositoryInputOf(fields: RepositoryFields, initial?: RepositoryFields): RepositoryInput {
  const input: RepositoryInput = {};
  if (!initial || fields.gitUrl !== initial.gitUrl) input.git_url = fields.gitUrl.trim();
  if (!initial || fields.defaultBranch !== initial.defaultBranch) input.default_branch = fields.defaultBranch.trim() || "main";
  if (!initial || fields.polling !== initial.polling) input.polling_interval = fields.polling.trim() === "" ? null : Number(fields.polling);
  if (fields.clearCredentials) input.credentials = null;
  else if (fields.credentials !== "") input.credentials = fields.credentials;
  return input;
}

/** The form's fields; `idPrefix` keeps labels unique when two forms share a page. */
export function RepositoryFieldset({
  fields,
  onChange,
  hasCredentials,
  idPrefix = "repo",
}: {
  fields: RepositoryFields;
  onChange: (fields: RepositoryFields) => void;
  hasCredentials?: boolean;
  idPrefix?: string;
}) {
  const set = (patch: Partial<RepositoryFields>) => onChange({ ...fields, ...patch });
  const pollingValid = fields.polling.trim() === "" || /^\d+$/.test(fields.polling.trim());
  return (
    <>
      <div className="field grow">
        <label htmlFor={`${idPrefix}-url`}>Git URL</label>
        <input
          id={`${idPrefix}-url`}
          required
          spellCheck={false}
          autoComplete="off"
          placeholder="https://git.example.com/acme/widgets.git"
          value={fields.gitUrl}
          onChange={(e) => set({ gitUrl: e.target.value })}
        />
        <span className="muted small">An https://, http://, ssh:// or git@host:path URL.</span>
      </div>
      <div className="field">
        <label htmlFor={`${idPrefix}-branch`}>Default branch</label>
        <input id={`${idPrefix}-branch`} spellCheck={false} placeholder="main" value={fields.defaultBranch} onChange={(e) => set({ defaultBranch: e.target.value })} />
      </div>
      <div className="field">
        <label htmlFor={`${idPrefix}-polling`}>Poll every (seconds)</label>
        <input
          id={`${idPrefix}-polling`}
          inputMode="numeric"
          placeholder="off"
          aria-invalid={!pollingValid}
          value={fields.polling}
          onChange={(e) => set({ polling: e.target.value })}
        />
        <span className="muted small">{pollingValid ? "Empty: runs start from webhooks and dispatches only." : "A whole number of seconds, or empty."}</span>
      </div>
      <div className="field grow">
        <label htmlFor={`${idPrefix}-credentials`}>Credentials</label>
        <input
          id={`${idPrefix}-credentials`}
          type="password"
          autoComplete="new-password"
          placeholder={hasCredentials ? "stored (never shown): type to replace" : "a token, or user:password (optional)"}
          value={fields.credentials}
          disabled={fields.clearCredentials}
          onChange={(e) => set({ credentials: e.target.value })}
        />
        {hasCredentials && (
          <label className="checkbox small">
            <input type="checkbox" checked={fields.clearCredentials} onChange={(e) => set({ clearCredentials: e.target.checked, credentials: "" })} /> Remove the stored
            credentials
          </label>
        )}
      </div>
    </>
  );
}

/** A form around the fieldset with a submit button and its pending state. */
export function RepositoryForm({
  label,
  submitLabel,
  onSubmit,
  children,
}: {
  label: string;
  submitLabel: string;
  onSubmit: () => Promise<void>;
  children: ReactNode;
}) {
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    try {
      await onSubmit();
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="stack-form" aria-label={label} onSubmit={(e) => void submit(e)}>
      {children}
      <div>
        <button className="btn btn-primary" type="submit" disabled={busy}>
          {busy ? "Saving…" : submitLabel}
        </button>
      </div>
    </form>
  );
}

/** What a connection test found, in a sentence. */
export function ConnectionResult({ result }: { result: ConnectionTest }) {
  if (result.reachable) {
    return (
      <Notice tone="success">
        The server reached the repository in {result.duration_ms} ms
        {result.remote_default_branch ? (
          <>
            {" "}
            — default branch <code>{result.remote_default_branch}</code>
            {result.head_sha ? (
              <>
                {" "}
                at <code>{result.head_sha.slice(0, 7)}</code>
              </>
            ) : null}
          </>
        ) : null}
        , {result.branches ?? 0} branch{result.branches === 1 ? "" : "es"}.{result.warning ? ` ${result.warning}` : ""}
      </Notice>
    );
  }
  return (
    <Notice tone="error">
      {result.message ?? "The server cannot reach the repository."}
      {result.hint ? <span className="block small">{result.hint}</span> : null}
      {result.detail ? <pre className="small">{result.detail}</pre> : null}
    </Notice>
  );
}

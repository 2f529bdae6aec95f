/**
 * Adding a repository: owner, name and where it comes from. After saving,
 * the server's connection test runs at once, so a URL the server cannot
 * reach is said here rather than discovered later as an empty Workflows tab;
 * the webhook secret the server generated is shown once.
 */
import { useState } from "react";
import { ApiError, api } from "../api/client.js";
import type { ConnectionTest } from "../api/types.js";
import { Notice } from "../components/feedback.js";
import { ConnectionResult, RepositoryFieldset, RepositoryForm, repositoryInputOf, type RepositoryFields } from "../components/repository-form.js";
import { Link } from "../core/router.js";
import { useTitle } from "../core/use-api.js";

const NAME = /^[A-Za-z0-9_.-]{1,100}$/;

interface Created {
  fullName: string;
  webhookSecret?: string;
  connection?: ConnectionTest;
}

export function NewRepositoryPage({ defaultOwner }: { defaultOwner: string }) {
  useTitle("New repository");
  const [owner, setOwner] = useState(defaultOwner);
  const [name, setName] = useState("");
  const [fields, setFields] = useState<RepositoryFields>({ gitUrl: "", defaultBranch: "main", polling: "", credentials: "", clearCredentials: false });
  const [error, setError] = useState<string>();
  const [created, setCreated] = useState<Created>();

  const submit = async () => {
    setError(undefined);
    if (!NAME.test(owner) || !NAME.test(name)) {
      setError("Owner and name: 1 to 100 letters, digits, '.', '-' or '_'.");
      return;
    }
    try {
      const repo = await api.createRepository({ owner, name, ...repositoryInputOf(fields) });
      const next: Created = { fullName: repo.full_name, webhookSecret: repo.webhook_secret };
      setCreated(next);
      setCreated({ ...next, connection: await api.testConnection(repo.full_name) });
    } catch (err) {
      setError(err instanceof ApiError ? `${err.message}${err.hint ? ` ${err.hint}` : ""}` : String(err));
    }
  };

  if (created) {
    return (
      <main id="main" className="page narrow">
        <h1>{created.fullName} added</h1>
        {created.connection ? <ConnectionResult result={created.connection} /> : <p className="muted">Testing the connection…</p>}
        {created.webhookSecret && (
          <Notice>
            Webhook secret, shown only now: <code data-testid="webhook-secret">{created.webhookSecret}</code>. The webhook URLs are under the repository's Settings.
          </Notice>
        )}
        <p>
          <Link to={`/${created.fullName}`}>Go to {created.fullName}</Link> · <Link to={`/${created.fullName}/settings`}>Settings</Link>
        </p>
      </main>
    );
  }

  return (
    <main id="main" className="page narrow">
      <h1>New repository</h1>
      <p className="muted">Slipway mirrors the repository and runs its workflows on pushes (webhooks or polling) and dispatches.</p>
      <RepositoryForm label="New repository" submitLabel="Add repository" onSubmit={submit}>
        <div className="field">
          <label htmlFor="new-owner">Owner</label>
          <input id="new-owner" required spellCheck={false} value={owner} onChange={(e) => setOwner(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="new-name">Name</label>
          <input id="new-name" required spellCheck={false} value={name} onChange={(e) => setName(e.target.value)} />
        </div>
        <RepositoryFieldset fields={fields} onChange={setFields} idPrefix="new" />
      </RepositoryForm>
      {error && <Notice tone="error">{error}</Notice>}
    </main>
  );
}

/**
 * The only door to the server: JSON over `/api/v3` with the session cookie.
 * Failures become an ApiError whose `kind` tells the page what to say:
 * the server is unreachable, the session ended, or the server refused.
 */
import type {
  Annotation, ApiToken, Artifact, CheckRun, Collaborator, IncomingWebhooks, Job, Repository, Runner, Secret, User, Variable, Workflow, WorkflowRun,
} from "./types.js";
import type { ConnectionTest, Environment, RepositoryInput } from "./types.js";
import type { Deployment, Dora, EnvironmentDetail, PendingDeployment, Rollback, Rollout } from "./types.js";
import type { SecretAlert } from "./types.js";

const API = "/api/v3";

export type ApiErrorKind = "offline" | "unauthenticated" | "forbidden" | "not-found" | "invalid" | "server";

export class ApiError extends Error {
  constructor(
    readonly kind: ApiErrorKind,
    message: string,
    readonly status: number,
    readonly hint?: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

type Listener = () => void;
const unauthenticatedListeners = new Set<Listener>();

/** Called whenever the server answers 401: the session expired or was revoked. */
export function onUnauthenticated(listener: Listener): () => void {
  unauthenticatedListeners.add(listener);
  return () => unauthenticatedListeners.delete(listener);
}

function kindOf(status: number): ApiErrorKind {
  if (status === 401) return "unauthenticated";
  if (status === 403) return "forbidden";
  if (status === 404) return "not-found";
  if (status === 422 || status === 400 || status === 409) return "invalid";
  return "server";
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  signal?: AbortSignal;
  /** A 401 here is an answer (wrong password), not an expired session. */
  quietUnauthenticated?: boolean;
}

async function send(path: string, options: RequestOptions = {}): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(API + path, {
      method: options.method ?? "GET",
      credentials: "same-origin",
      headers: {
        accept: "application/json",
        ...(options.body !== undefined ? { "content-type": "application/json" } : {}),
      },
      body: options.body !== undefined ? JSON.stringify(options.body) : undefined,
      signal: options.signal,
    });
  } catch (error) {
    if ((error as Error).name === "AbortError") throw error;
    throw new ApiError("offline", "The Slipway server cannot be reached.", 0, "Check that `slipway server` is running and your network is up; this page retries on its own.");
  }
  if (response.ok) return response;
  let message = `The server answered ${response.status} ${response.statusText}`.trim();
  let hint: string | undefined;
  try {
    const body = (await response.json()) as { message?: string; hint?: string; errors?: Array<{ message: string }> };
    if (body.message) message = body.message;
    if (body.errors?.length) message += ": " + body.errors.map((e) => e.message).join("; ");
    hint = body.hint;
  } catch {
    // Not JSON (a proxy's error page): keep the status line.
  }
  if (response.status >= 502 && response.status <= 504) {
    throw new ApiError("offline", "The Slipway server is not answering.", response.status, "It may be restarting; this page retries on its own.");
  }
  const kind = kindOf(response.status);
  if (kind === "unauthenticated" && !options.quietUnauthenticated) for (const l of unauthenticatedListeners) l();
  throw new ApiError(kind, message, response.status, hint);
}

async function requestJson<T>(path: string, options?: RequestOptions): Promise<T> {
  const response = await send(path, options);
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export async function requestText(path: string, options?: RequestOptions): Promise<string> {
  return (await send(path, options)).text();
}

function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "") q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : "";
}

const repoPath = (repo: string) => `/repos/${repo.split("/").map(encodeURIComponent).join("/")}`;
/** Where secrets and variables live: the repository's `actions`, or one of its environments. */
const levelPath = (repo: string, environment?: string) =>
  environment === undefined ? `${repoPath(repo)}/actions` : `${repoPath(repo)}/environments/${encodeURIComponent(environment)}`;

export interface RunFilters {
  /** A workflow file name (`ci.yml`): only that workflow's runs. */
  workflow?: string;
  status?: string;
  branch?: string;
  event?: string;
  actor?: string;
  page?: number;
  per_page?: number;
}

export interface RunPage {
  total_count: number;
  workflow_runs: WorkflowRun[];
}

export const api = {
  signIn: (login: string, password: string) => requestJson<User>("/session", { method: "POST", body: { login, password }, quietUnauthenticated: true }),
  /** A session from an API token with the admin scope (e.g. the one printed at the server's first start). */
  signInWithToken: (token: string) => requestJson<User>("/session", { method: "POST", body: { token }, quietUnauthenticated: true }),
  signOut: () => requestJson<void>("/session", { method: "DELETE", quietUnauthenticated: true }),
  currentUser: (signal?: AbortSignal) => requestJson<User>("/user", { signal, quietUnauthenticated: true }),
  getRepository: (repo: string, signal?: AbortSignal) => requestJson<Repository>(repoPath(repo), { signal }),
  /** Adds a repository; the answer carries the webhook secret, shown only now. */
  createRepository: (input: RepositoryInput) => requestJson<Repository & { webhook_secret?: string }>("/repos", { method: "POST", body: input }),
  updateRepository: (repo: string, input: RepositoryInput) => requestJson<Repository>(repoPath(repo), { method: "PATCH", body: input }),
  /** Asks the remote for its refs as a fetch would; an unreachable remote is a finding, not an error. */
  testConnection: (repo: string) => requestJson<ConnectionTest>(`${repoPath(repo)}/connection-test`, { method: "POST" }),
  /** Deletes the repository with its runs, logs, secrets and settings. */
  deleteRepository: (repo: string) => requestJson<void>(repoPath(repo), { method: "DELETE" }),
  listRepositories: (signal?: AbortSignal) => requestJson<Repository[]>("/user/repos?per_page=100", { signal }),

  /** Runs of every repository the user can read (Slipway-only), newest first. */
  listAllRuns: (filters: Omit<RunFilters, "workflow">, signal?: AbortSignal) => requestJson<RunPage>(`/runs${query({ ...filters })}`, { signal }),
  listRuns: (repo: string, { workflow, ...filters }: RunFilters, signal?: AbortSignal) =>
    requestJson<RunPage>(`${repoPath(repo)}/actions/${workflow ? `workflows/${encodeURIComponent(workflow)}/` : ""}runs${query({ ...filters })}`, { signal }),
  getRun: (repo: string, id: number, signal?: AbortSignal) => requestJson<WorkflowRun>(`${repoPath(repo)}/actions/runs/${id}`, { signal }),
  listJobs: (repo: string, runId: number, signal?: AbortSignal) => requestJson<{ total_count: number; jobs: Job[] }>(`${repoPath(repo)}/actions/runs/${runId}/jobs?per_page=100`, { signal }),
  listAttemptJobs: (repo: string, runId: number, attempt: number, signal?: AbortSignal) =>
    requestJson<{ total_count: number; jobs: Job[] }>(`${repoPath(repo)}/actions/runs/${runId}/attempts/${attempt}/jobs?per_page=100`, { signal }),
  jobLogUrl: (repo: string, jobId: number) => `${API}${repoPath(repo)}/actions/jobs/${jobId}/logs`,
  /** Server-sent events of a job's log; resumable by Last-Event-ID. */
  jobLogStreamUrl: (repo: string, jobId: number) => `${API}${repoPath(repo)}/actions/jobs/${jobId}/logs/stream`,
  /**
   * A job's check run (it has the job's id): `output.summary` is the job's summary, null when it wrote none.
   * Asked instead of `/actions/jobs/{id}/summary`, whose 404 for "no summary" the browser logs as an error.
   */
  getCheckRun: (repo: string, jobId: number, signal?: AbortSignal) => requestJson<CheckRun>(`${repoPath(repo)}/check-runs/${jobId}`, { signal }),
  /** A job's annotations, kept when it completed; its check run has the job's id (GitHub's check-run annotations). */
  listAnnotations: (repo: string, jobId: number, signal?: AbortSignal) => requestJson<Annotation[]>(`${repoPath(repo)}/check-runs/${jobId}/annotations?per_page=100`, { signal }),
  cancelRun: (repo: string, id: number) => requestJson<void>(`${repoPath(repo)}/actions/runs/${id}/cancel`, { method: "POST" }),
  rerunRun: (repo: string, id: number) => requestJson<void>(`${repoPath(repo)}/actions/runs/${id}/rerun`, { method: "POST", body: {} }),
  /** Re-runs one job of a completed run, with the jobs that need it, as a new attempt. */
  rerunJob: (repo: string, jobId: number) => requestJson<void>(`${repoPath(repo)}/actions/jobs/${jobId}/rerun`, { method: "POST", body: {} }),
  rerunFailedJobs: (repo: string, id: number) => requestJson<void>(`${repoPath(repo)}/actions/runs/${id}/rerun-failed-jobs`, { method: "POST", body: {} }),
  listArtifacts: (repo: string, runId: number, signal?: AbortSignal) => requestJson<{ total_count: number; artifacts: Artifact[] }>(`${repoPath(repo)}/actions/runs/${runId}/artifacts`, { signal }),

  listWorkflows: (repo: string, signal?: AbortSignal) => requestJson<{ total_count: number; workflows: Workflow[] }>(`${repoPath(repo)}/actions/workflows`, { signal }),
  dispatchWorkflow: (repo: string, file: string, ref: string, inputs: Record<string, string>) =>
    // GitHub answers 204; Slipway also returns the new run's id.
    requestJson<{ workflow_run_id?: number } | undefined>(`${repoPath(repo)}/actions/workflows/${encodeURIComponent(file)}/dispatches`, { method: "POST", body: { ref, inputs } }),

  listOpenSecretAlerts: (repo: string, signal?: AbortSignal) => requestJson<SecretAlert[]>(`${repoPath(repo)}/secret-scanning/alerts?state=open&per_page=100`, { signal }),
  resolveSecretAlert: (repo: string, number: number, resolution: NonNullable<SecretAlert["resolution"]>) =>
    requestJson<SecretAlert>(`${repoPath(repo)}/secret-scanning/alerts/${number}`, { method: "PATCH", body: { state: "resolved", resolution } }),

  listRunners: (repo: string, signal?: AbortSignal) => requestJson<{ total_count: number; runners: Runner[] }>(`${repoPath(repo)}/actions/runners`, { signal }),
  createRegistrationToken: (repo: string) => requestJson<{ token: string; expires_at: string }>(`${repoPath(repo)}/actions/runners/registration-token`, { method: "POST" }),

  // Secrets and variables of the repository, or of one of its environments when `environment` is given.
  listSecrets: (repo: string, signal?: AbortSignal, environment?: string) =>
    requestJson<{ total_count: number; secrets: Secret[] }>(`${levelPath(repo, environment)}/secrets?per_page=100`, { signal }),
  putSecret: (repo: string, name: string, value: string, environment?: string) =>
    requestJson<void>(`${levelPath(repo, environment)}/secrets/${encodeURIComponent(name)}`, { method: "PUT", body: { value } }),
  deleteSecret: (repo: string, name: string, environment?: string) => requestJson<void>(`${levelPath(repo, environment)}/secrets/${encodeURIComponent(name)}`, { method: "DELETE" }),
  listVariables: (repo: string, signal?: AbortSignal, environment?: string) =>
    requestJson<{ total_count: number; variables: Variable[] }>(`${levelPath(repo, environment)}/variables?per_page=100`, { signal }),
  createVariable: (repo: string, name: string, value: string, environment?: string) =>
    requestJson<void>(`${levelPath(repo, environment)}/variables`, { method: "POST", body: { name, value } }),
  /** Changes the value; a different `newName` renames the variable too. */
  updateVariable: (repo: string, name: string, value: string, newName?: string, environment?: string) =>
    requestJson<void>(`${levelPath(repo, environment)}/variables/${encodeURIComponent(name)}`, {
      method: "PATCH",
      body: { value, ...(newName !== undefined && newName !== name ? { name: newName } : {}) },
    }),
  deleteVariable: (repo: string, name: string, environment?: string) => requestJson<void>(`${levelPath(repo, environment)}/variables/${encodeURIComponent(name)}`, { method: "DELETE" }),
  listEnvironments: (repo: string, signal?: AbortSignal) => requestJson<{ total_count: number; environments: Environment[] }>(`${repoPath(repo)}/environments?per_page=100`, { signal }),
  /** Creates the environment (or leaves an existing one as it is, touching its update time). */
  putEnvironment: (repo: string, name: string) => requestJson<Environment>(`${repoPath(repo)}/environments/${encodeURIComponent(name)}`, { method: "PUT", body: {} }),
  /** Deletes an environment with its secrets and variables. */
  deleteEnvironment: (repo: string, name: string) => requestJson<void>(`${repoPath(repo)}/environments/${encodeURIComponent(name)}`, { method: "DELETE" }),

  listUsers: (signal?: AbortSignal) => requestJson<{ total_count: number; users: User[] }>("/users?per_page=100", { signal }),
  /** Sets the signed-in user's password; `current` is needed once one is set. */
  changePassword: (password: string, current: string) =>
    requestJson<User>("/user", { method: "PATCH", body: { password, ...(current ? { current_password: current } : {}) } }),
  createUser: (login: string, password: string, siteAdmin: boolean) => requestJson<User>("/users", { method: "POST", body: { login, password, site_admin: siteAdmin } }),
  deleteUser: (login: string) => requestJson<void>(`/users/${encodeURIComponent(login)}`, { method: "DELETE" }),
  listCollaborators: (repo: string, signal?: AbortSignal) => requestJson<Collaborator[]>(`${repoPath(repo)}/collaborators`, { signal }),
  setCollaborator: (repo: string, login: string, permission: string) => requestJson<void>(`${repoPath(repo)}/collaborators/${encodeURIComponent(login)}`, { method: "PUT", body: { permission } }),
  removeCollaborator: (repo: string, login: string) => requestJson<void>(`${repoPath(repo)}/collaborators/${encodeURIComponent(login)}`, { method: "DELETE" }),
  listTokens: (signal?: AbortSignal) => requestJson<{ total_count: number; tokens: ApiToken[] }>("/user/tokens", { signal }),
  createToken: (name: string, scopes: string[], expiresInDays: number | null) =>
    requestJson<ApiToken & { token: string }>("/user/tokens", { method: "POST", body: { name, scopes, expires_in_days: expiresInDays } }),
  deleteToken: (id: number) => requestJson<void>(`/user/tokens/${id}`, { method: "DELETE" }),
  incomingWebhooks: (repo: string, signal?: AbortSignal) => requestJson<IncomingWebhooks>(`${repoPath(repo)}/incoming-webhooks`, { signal }),
  /** A new webhook secret, returned this once; the previous one stops working. */
  rotateWebhookSecret: (repo: string) => requestJson<{ webhook_secret: string }>(`${repoPath(repo)}/webhook-secret`, { method: "POST" }),

  /** The environments with their protection rules (the same list as `listEnvironments`, read in full). */
  listEnvironmentDetails: (repo: string, signal?: AbortSignal) =>
    requestJson<{ total_count: number; environments: EnvironmentDetail[] }>(`${repoPath(repo)}/environments?per_page=100`, { signal }),
  /** Deployments newest first: all, or one environment's. */
  listDeployments: (repo: string, filters: { environment?: string; per_page?: number }, signal?: AbortSignal) =>
    requestJson<Deployment[]>(`${repoPath(repo)}/deployments${query({ ...filters })}`, { signal }),
  /** The environments a run waits for, with whether the signed-in user may review each. */
  listPendingDeployments: (repo: string, runId: number, signal?: AbortSignal) => requestJson<PendingDeployment[]>(`${repoPath(repo)}/actions/runs/${runId}/pending_deployments`, { signal }),
  reviewPendingDeployments: (repo: string, runId: number, environmentIds: number[], state: "approved" | "rejected", comment: string) =>
    requestJson<Deployment[]>(`${repoPath(repo)}/actions/runs/${runId}/pending_deployments`, { method: "POST", body: { environment_ids: environmentIds, state, comment } }),
  /** Redeploys an earlier successful deployment of the environment by re-running its job at its commit. */
  rollbackEnvironment: (repo: string, environment: string, deploymentId: number) =>
    requestJson<Rollback>(`${repoPath(repo)}/environments/${encodeURIComponent(environment)}/rollback`, { method: "POST", body: { deployment_id: deploymentId } }),
  /** The rollouts and analyses recorded on a deployment, with their steps, events and measurements. */
  listRollouts: (repo: string, deploymentId: number, signal?: AbortSignal) => requestJson<Rollout[]>(`${repoPath(repo)}/deployments/${deploymentId}/rollouts`, { signal }),
  /** Promotes (full: to 100% at once), aborts, pauses or resumes a running rollout. */
  commandRollout: (repo: string, deploymentId: number, rolloutId: number, action: "promote" | "abort" | "pause" | "resume", full = false) =>
    requestJson<Rollout>(`${repoPath(repo)}/deployments/${deploymentId}/rollouts/${rolloutId}/${action}`, { method: "POST", body: full ? { full: true } : {} }),
  /** DORA's metrics over `since`..`until` (ISO times), for one environment or all; `bucket: "week"` adds a weekly series. */
  getDora: (repo: string, filters: { environment?: string; since?: string; until?: string; bucket?: "week" }, signal?: AbortSignal) => requestJson<Dora>(`${repoPath(repo)}/dora${query({ ...filters })}`, { signal }),
};

/**
 * The `github` context of a run, as GitHub sets it, built from the event and
 * what the caller knows of the repository and the run. `slipway run` and the
 * server both build it here. The engine adds `event`, `event_name`,
 * `workflow` and `job`; the runner adds `workspace` and `event_path`.
 */

export interface GithubContextInput {
  event: string;
  payload: Record<string, unknown>;
  /** `owner/name`. */
  repository: string;
  owner: string;
  defaultBranch: string;
  /** Where the repository is served, e.g. `https://github.com`. */
  serverUrl: string;
  /** The commit the run checks out. */
  sha: string;
  /** The ref when the event names none (e.g. a local run's HEAD). */
  fallbackRef: string;
  actor: string;
  run: { id: string; number: string; attempt: string };
  token?: string;
  /** `Actions` when the run gets repository secrets, `None` otherwise (e.g. a pull request from a fork). */
  secretSource: "Actions" | "None";
}

function record(value: unknown): Record<string, unknown> {
  return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function fullRef(ref: string): string {
  return ref.startsWith("refs/") ? ref : `refs/heads/${ref}`;
}

/**
 * `ref`, `ref_name`, `ref_type`, `head_ref` and `base_ref` for an event:
 * - pull_request: `refs/pull/<n>/merge` (ref_name `<n>/merge`), with the
 *   pull request's head and base branches;
 * - pull_request_target: the base branch, with head and base set as well;
 * - schedule: the default branch;
 * - others (push, workflow_dispatch, ...): the payload's `ref`, else the fallback.
 */
function resolveEventRef(input: Pick<GithubContextInput, "event" | "payload" | "defaultBranch" | "fallbackRef">): {
  ref: string;
  ref_name: string;
  ref_type: "branch" | "tag";
  head_ref: string;
  base_ref: string;
} {
  const { event, payload } = input;
  if (event === "pull_request" || event === "pull_request_target") {
    const pr = record(payload.pull_request);
    const headRef = String(record(pr.head).ref ?? "");
    const baseRef = String(record(pr.base).ref ?? input.defaultBranch);
    if (event === "pull_request") {
      const number = Number(payload.number ?? pr.number ?? 0);
      return { ref: `refs/pull/${number}/merge`, ref_name: `${number}/merge`, ref_type: "branch", head_ref: headRef, base_ref: baseRef };
    }
    return { ref: `refs/heads/${baseRef}`, ref_name: baseRef, ref_type: "branch", head_ref: headRef, base_ref: baseRef };
  }
  let ref: string;
  if (event === "schedule") ref = `refs/heads/${input.defaultBranch}`;
  else if (typeof payload.ref === "string" && payload.ref !== "") ref = fullRef(payload.ref);
  else ref = input.fallbackRef;
  const tag = ref.startsWith("refs/tags/");
  return { ref, ref_name: ref.replace(/^refs\/(heads|tags)\//, ""), ref_type: tag ? "tag" : "branch", head_ref: "", base_ref: "" };
}

/** GitHub's API endpoints for a server: api.github.com for github.com, `/api/v3` elsewhere (GitHub Enterprise Server's layout). */
function apiUrlsOf(serverUrl: string): { api_url: string; graphql_url: string } {
  const server = serverUrl.replace(/\/+$/, "");
  if (server === "https://github.com") return { api_url: "https://api.github.com", graphql_url: "https://api.github.com/graphql" };
  return { api_url: `${server}/api/v3`, graphql_url: `${server}/api/graphql` };
}

export function buildGithubContext(input: GithubContextInput): Record<string, unknown> {
  const server = input.serverUrl.replace(/\/+$/, "");
  const refs = resolveEventRef(input);
  return {
    repository: input.repository,
    repository_owner: input.owner,
    repositoryUrl: `git://${server.replace(/^[a-z][a-z0-9+.-]*:\/\//i, "")}/${input.repository}.git`,
    sha: input.sha,
    ...refs,
    ref_protected: false,
    actor: input.actor,
    triggering_actor: input.actor,
    run_id: input.run.id,
    run_number: input.run.number,
    run_attempt: input.run.attempt,
    retention_days: "90",
    server_url: server,
    ...apiUrlsOf(server),
    token: input.token ?? "",
    secret_source: input.secretSource,
  };
}

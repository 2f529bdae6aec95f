/**
 * The `github` context and default event payloads of a local run, built from
 * the repository (origin remote, HEAD) and the event given on the command line.
 */
import type { RepoInfo } from "./repo-info.js";

export function buildDefaultPayload(event: string, info: RepoInfo, inputs: Record<string, string>): Record<string, unknown> {
  const repository = {
    full_name: info.repository,
    name: info.repository.split("/")[1],
    owner: { login: info.owner, name: info.owner },
    default_branch: info.defaultBranch,
    html_url: `${info.serverUrl}/${info.repository}`,
    clone_url: `${info.serverUrl}/${info.repository}.git`,
  };
  const sender = { login: info.actor };
  switch (event) {
    case "push":
      return {
        ref: info.ref,
        before: info.before,
        after: info.sha,
        created: false,
        deleted: false,
        forced: false,
        base_ref: null,
        repository,
        pusher: { name: info.actor },
        sender,
        head_commit: { id: info.sha },
        commits: [],
      };
    case "pull_request":
    case "pull_request_target":
      return {
        action: "opened",
        number: 1,
        pull_request: {
          number: 1,
          head: { ref: info.refName, sha: info.sha, repo: repository },
          base: { ref: info.defaultBranch, sha: info.before, repo: repository },
        },
        repository,
        sender,
      };
    case "workflow_dispatch":
      return { inputs, ref: info.ref, repository, sender };
    default:
      return { repository, sender };
  }
}

export function buildGithubContext(
  event: string,
  payload: Record<string, unknown>,
  info: RepoInfo,
  extra: { workspace: string; runId: string; token?: string },
): Record<string, unknown> {
  let ref = info.ref;
  let sha = info.sha;
  let headRef = "";
  let baseRef = "";
  if (event === "pull_request" || event === "pull_request_target") {
    const pr = (payload.pull_request ?? {}) as { number?: number; head?: { ref?: string }; base?: { ref?: string } };
    const number = (payload.number as number | undefined) ?? pr.number ?? 1;
    headRef = pr.head?.ref ?? info.refName;
    baseRef = pr.base?.ref ?? info.defaultBranch;
    if (event === "pull_request") ref = `refs/pull/${number}/merge`;
    else ref = `refs/heads/${baseRef}`;
  } else if (typeof payload.ref === "string" && payload.ref) {
    ref = payload.ref.startsWith("refs/") ? payload.ref : `refs/heads/${payload.ref}`;
    if (typeof payload.after === "string" && /^[0-9a-f]{40}$/.test(payload.after)) sha = payload.after;
  }
  const refType = ref.startsWith("refs/tags/") ? "tag" : "branch";
  const refName = ref.replace(/^refs\/(heads|tags)\//, "");
  const server = info.serverUrl;
  const apiUrl = server === "https://github.com" ? "https://api.github.com" : `${server}/api/v3`;
  return {
    event_name: event,
    event: payload,
    repository: info.repository,
    repository_owner: info.owner,
    repositoryUrl: `git://${server.replace(/^https?:\/\//, "")}/${info.repository}.git`,
    sha,
    ref,
    ref_name: refName,
    ref_type: refType,
    ref_protected: false,
    head_ref: headRef,
    base_ref: baseRef,
    actor: info.actor,
    triggering_actor: info.actor,
    workspace: extra.workspace,
    run_id: extra.runId,
    run_number: "1",
    run_attempt: "1",
    retention_days: "90",
    server_url: server,
    api_url: apiUrl,
    graphql_url: `${apiUrl.replace(/\/v3$/, "")}/graphql`,
    token: extra.token ?? "",
    secret_source: "None",
  };
}

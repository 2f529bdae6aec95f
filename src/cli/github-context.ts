/**
 * What a local run's `github` context and default event payloads are built
 * from: the repository (origin remote, HEAD) and the event given on the
 * command line.
 */
import { buildGithubContext } from "../protocol/index.js";
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

/**
 * The `github` context of a local run: the repository's origin and HEAD
 * (or the payload's `after` for a push) fed to the one builder the server
 * uses too. There is one run, attempt 1.
 */
export function localGithubContext(
  event: string,
  payload: Record<string, unknown>,
  info: RepoInfo,
  extra: { runId: string; token?: string },
): Record<string, unknown> {
  const after = payload.after;
  const sha = event === "push" && typeof after === "string" && /^[0-9a-f]{40}$/.test(after) ? after : info.sha;
  return buildGithubContext({
    event,
    payload,
    repository: info.repository,
    owner: info.owner,
    defaultBranch: info.defaultBranch,
    serverUrl: info.serverUrl,
    sha,
    fallbackRef: info.ref,
    actor: info.actor,
    run: { id: extra.runId, number: "1", attempt: "1" },
    ...(extra.token === undefined ? {} : { token: extra.token }),
    secretSource: "None",
  });
}

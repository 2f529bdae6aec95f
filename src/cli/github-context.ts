/**
 * What a local run's `github` context and default event payloads are built
 * from: the repository (origin remote, HEAD) and the event given on the
 * command line.
 */
import { buildGithubContext } from "../protocol/index.js";
import { readPushCommits, readTagBaseRef, type CommitInfo, type RepoInfo } from "./repo-info.js";

const ZERO_SHA = "0000000000000000000000000000000000000000";

/** A GitHub login is known locally only from a `users.noreply.github.com` address (`12345+login@...` or `login@...`). */
function loginOfEmail(email: string): string | undefined {
  const m = /^(?:\d+\+)?([^@+]+)@users\.noreply\.github\.com$/i.exec(email);
  return m?.[1];
}

function personOf(person: { name: string; email: string }): Record<string, string> {
  const username = loginOfEmail(person.email);
  return { name: person.name, email: person.email, ...(username ? { username } : {}) };
}

/** A commit as GitHub's push payload spells it (`commits[]`, `head_commit`). */
function pushedCommit(commit: CommitInfo, htmlUrl: string): Record<string, unknown> {
  return {
    id: commit.id,
    tree_id: commit.treeId,
    distinct: true,
    message: commit.message,
    timestamp: commit.timestamp,
    url: `${htmlUrl}/commit/${commit.id}`,
    author: personOf(commit.author),
    committer: personOf(commit.committer),
    added: commit.added,
    removed: commit.removed,
    modified: commit.modified,
  };
}

/**
 * The push GitHub would send for HEAD: `before` its parent (zeros for a
 * first commit, then `created`), the commits in between, HEAD as
 * `head_commit`, the local git identity as pusher and sender.
 */
function buildPushPayload(info: RepoInfo, repository: Record<string, unknown>, sender: Record<string, unknown>): Record<string, unknown> {
  const htmlUrl = String(repository.html_url);
  const commits = readPushCommits(info).map((c) => pushedCommit(c, htmlUrl));
  const head = commits.find((c) => c.id === info.sha) ?? null;
  const short = (sha: string) => sha.slice(0, 12);
  return {
    ref: info.ref,
    before: info.before,
    after: info.sha,
    created: info.before === ZERO_SHA,
    deleted: false,
    forced: false,
    base_ref: readTagBaseRef(info),
    compare: `${htmlUrl}/compare/${short(info.before)}...${short(info.sha)}`,
    commits,
    head_commit: head,
    repository: { ...repository, master_branch: info.defaultBranch },
    pusher: { name: info.actor, ...(info.actorEmail ? { email: info.actorEmail } : {}) },
    sender,
  };
}

export function buildDefaultPayload(event: string, info: RepoInfo, inputs: Record<string, string>): Record<string, unknown> {
  const repository = {
    full_name: info.repository,
    name: info.repository.split("/")[1],
    owner: { login: info.owner, name: info.owner },
    private: false,
    fork: false,
    default_branch: info.defaultBranch,
    html_url: `${info.serverUrl}/${info.repository}`,
    clone_url: `${info.serverUrl}/${info.repository}.git`,
    git_url: `${info.serverUrl.replace(/^https?:/, "git:")}/${info.repository}.git`,
    ssh_url: `git@${info.serverUrl.replace(/^https?:\/\//, "")}:${info.repository}.git`,
  };
  const sender = { login: loginOfEmail(info.actorEmail) ?? info.actor, type: "User" };
  switch (event) {
    case "push":
      return buildPushPayload(info, repository, sender);
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

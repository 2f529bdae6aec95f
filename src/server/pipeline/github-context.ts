/**
 * The `github` context of a server run, built from the run record, its
 * repository and the server's public URL by the one builder `slipway run`
 * uses too (protocol's), so both give a job the same `github.*`.
 */
import { buildGithubContext } from "../../protocol/index.js";
import type { Repository, WorkflowRun } from "../../store/index.js";
import { isFromFork } from "../webhooks.js";

/** `main` for `refs/heads/main`, `v1` for `refs/tags/v1`; other refs unchanged. */
export function refName(ref: string): string {
  return ref.replace(/^refs\/(heads|tags)\//, "");
}

/** The value when it is a plain object, else an empty one. */
export function asObject(v: unknown): Record<string, unknown> {
  return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/**
 * `publicUrl` is the server's: `server_url` and the API urls point at it.
 * The token is empty: each job gets its own when a runner claims it.
 */
export function githubContextOfRun(repo: Repository, run: WorkflowRun, publicUrl: string): Record<string, unknown> {
  return buildGithubContext({
    event: run.event,
    payload: asObject(run.eventPayload),
    repository: repo.fullName,
    owner: repo.owner,
    defaultBranch: repo.defaultBranch,
    serverUrl: publicUrl,
    sha: run.headSha,
    fallbackRef: `refs/heads/${run.headBranch ?? repo.defaultBranch}`,
    actor: run.actor ?? "",
    run: { id: String(run.id), number: String(run.runNumber), attempt: String(run.runAttempt) },
    secretSource: isFromFork(run.eventPayload) ? "None" : "Actions",
  });
}

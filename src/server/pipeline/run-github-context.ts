/** The `github` context of a run on the server, from its stored repository and run. */
import { buildGithubContext } from "../../protocol/index.js";
import type { Repository, WorkflowRun } from "../../store/index.js";
import { isFromFork } from "../webhooks.js";

/**
 * `publicUrl` is the server's: `server_url` and the API urls point at it.
 * The token is empty: each job gets its own when a runner claims it.
 */
export function githubContextOfRun(repo: Repository, run: WorkflowRun, publicUrl: string): Record<string, unknown> {
  const payload = run.eventPayload && typeof run.eventPayload === "object" ? (run.eventPayload as Record<string, unknown>) : {};
  return buildGithubContext({
    event: run.event,
    payload,
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

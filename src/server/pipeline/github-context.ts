/**
 * The `github` context of a server run, built from the run record, its
 * repository and the server's public URL. One function so the pipeline has
 * one place that decides what a job sees as `github.*`.
 */
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

export function buildGithubContext(repo: Repository, run: WorkflowRun, publicUrl: string): Record<string, unknown> {
  const payload = asObject(run.eventPayload);
  const pr = asObject(payload.pull_request);
  let ref: string;
  if (run.event === "pull_request") {
    const number = (payload.number as number | undefined) ?? (pr.number as number | undefined) ?? 0;
    ref = `refs/pull/${number}/merge`;
  } else if (typeof payload.ref === "string" && payload.ref !== "") {
    ref = payload.ref.startsWith("refs/") ? payload.ref : `refs/heads/${payload.ref}`;
  } else {
    ref = `refs/heads/${run.headBranch ?? repo.defaultBranch}`;
  }
  const api = `${publicUrl}/api/v3`;
  return {
    repository: repo.fullName,
    repository_owner: repo.owner,
    repositoryUrl: repo.gitUrl.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]*@/i, "$1"),
    sha: run.headSha,
    ref,
    ref_name: run.event === "pull_request" ? `${ref.split("/")[2]}/merge` : refName(ref),
    ref_type: ref.startsWith("refs/tags/") ? "tag" : "branch",
    ref_protected: false,
    head_ref: run.event === "pull_request" ? String(asObject(pr.head).ref ?? "") : "",
    base_ref: run.event === "pull_request" ? String(asObject(pr.base).ref ?? "") : "",
    actor: run.actor ?? "",
    triggering_actor: run.actor ?? "",
    run_id: String(run.id),
    run_number: String(run.runNumber),
    run_attempt: String(run.runAttempt),
    retention_days: "90",
    server_url: publicUrl,
    api_url: api,
    graphql_url: `${publicUrl}/api/graphql`,
    token: "",
    secret_source: isFromFork(run.eventPayload) ? "None" : "Actions",
  };
}

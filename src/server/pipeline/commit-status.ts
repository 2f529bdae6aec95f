/**
 * Commit statuses back to the forge: GitHub and Gitea/Forgejo
 * (`POST /repos/{owner}/{repo}/statuses/{sha}`) and GitLab
 * (`POST /projects/{id}/statuses/{sha}`). Best effort: a failure is logged
 * (without the token) and never affects the run.
 */
import type { Repository } from "../../store/index.js";

type ForgeKind = "github" | "gitea" | "gitlab";

export interface ForgeTarget {
  kind: ForgeKind;
  /** API root, e.g. `https://api.github.com`, `https://gitea.example/api/v1`, `https://gitlab.example/api/v4`. */
  apiUrl: string;
  token: string;
}

export type StatusState = "pending" | "running" | "success" | "failure" | "cancelled" | "error";

export interface CommitStatus {
  owner: string;
  name: string;
  sha: string;
  state: StatusState;
  /** The status's name on the forge, e.g. `slipway/CI`. */
  context: string;
  description: string;
  targetUrl?: string;
}

/**
 * Where a repository's statuses go, from its git URL: github.com uses
 * api.github.com, a host named like GitLab uses `/api/v4`, any other host is
 * taken for Gitea/Forgejo (`/api/v1`). Null without a token or for a local URL.
 */
export function inferForgeTarget(repo: Pick<Repository, "gitUrl">, token: string | null | undefined): ForgeTarget | null {
  if (!token) return null;
  let url: URL;
  try {
    url = new URL(repo.gitUrl);
  } catch {
    return null;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return null;
  const origin = `${url.protocol}//${url.host}`;
  if (url.hostname === "github.com") return { kind: "github", apiUrl: "https://api.github.com", token };
  if (url.hostname.includes("gitlab")) return { kind: "gitlab", apiUrl: `${origin}/api/v4`, token };
  return { kind: "gitea", apiUrl: `${origin}/api/v1`, token };
}

const GITHUB_STATES: Record<StatusState, string> = {
  pending: "pending",
  running: "pending",
  success: "success",
  failure: "failure",
  cancelled: "error",
  error: "error",
};
const GITLAB_STATES: Record<StatusState, string> = {
  pending: "pending",
  running: "running",
  success: "success",
  failure: "failed",
  cancelled: "canceled",
  error: "failed",
};

/** Sends one status; resolves to whether the forge accepted it. Never throws. */
export async function postCommitStatus(
  target: ForgeTarget,
  status: CommitStatus,
  options: { fetch?: typeof fetch; timeoutMs?: number; onError?: (message: string) => void } = {},
): Promise<boolean> {
  const doFetch = options.fetch ?? fetch;
  const api = target.apiUrl.replace(/\/+$/, "");
  const sha = encodeURIComponent(status.sha);
  let url: string;
  let headers: Record<string, string>;
  let body: Record<string, string>;
  if (target.kind === "gitlab") {
    url = `${api}/projects/${encodeURIComponent(`${status.owner}/${status.name}`)}/statuses/${sha}`;
    headers = { "private-token": target.token };
    body = { state: GITLAB_STATES[status.state], name: status.context, description: status.description };
  } else {
    url = `${api}/repos/${encodeURIComponent(status.owner)}/${encodeURIComponent(status.name)}/statuses/${sha}`;
    headers = { authorization: `${target.kind === "github" ? "Bearer" : "token"} ${target.token}`, accept: "application/vnd.github+json" };
    body = { state: GITHUB_STATES[status.state], context: status.context, description: status.description };
  }
  if (status.targetUrl) body.target_url = status.targetUrl;
  try {
    const response = await doFetch(url, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json", "user-agent": "slipway" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
    if (!response.ok) {
      options.onError?.(`commit status for ${status.owner}/${status.name}@${status.sha.slice(0, 12)}: HTTP ${response.status}`);
      return false;
    }
    await response.arrayBuffer().catch(() => undefined);
    return true;
  } catch (error) {
    const message = String((error as Error).message ?? error).split(target.token).join("***");
    options.onError?.(`commit status for ${status.owner}/${status.name}@${status.sha.slice(0, 12)}: ${message}`);
    return false;
  }
}

/**
 * Where things live on the API: repository names and paths, the level a
 * secret or variable belongs to, and finding which of the caller's
 * repositories holds a run or a job.
 */
import { httpStatusOfError, SlipwayError } from "../../lib/index.js";
import type { ApiClient, Job, Repo, Run } from "../api-client.js";

export const enc = encodeURIComponent;

/** `OWNER/NAME`, validated; a usage error otherwise. */
export function parseRepoName(value: string): { owner: string; name: string; fullName: string } {
  const m = /^([A-Za-z0-9_.-]{1,100})\/([A-Za-z0-9_.-]{1,100})$/.exec(value);
  if (!m) throw new SlipwayError("CLI_USAGE", `'${value}' is not a repository name`, { hint: "Name repositories as OWNER/NAME, e.g. acme/widgets." });
  return { owner: m[1]!, name: m[2]!, fullName: `${m[1]}/${m[2]}` };
}

export function repoPath(fullName: string): string {
  const { owner, name } = parseRepoName(fullName);
  return `/api/v3/repos/${enc(owner)}/${enc(name)}`;
}

/** Where a repository's secrets and variables live (`.../actions`), or those of one of its environments. */
export function levelPath(fullName: string, environment: string | undefined): string {
  return environment === undefined ? `${repoPath(fullName)}/actions` : `${repoPath(fullName)}/environments/${enc(environment)}`;
}

/** `--env`: the environment, created when it does not exist yet (as a job naming it would). */
export async function ensureEnvironment(client: ApiClient, fullName: string, environment: string | undefined): Promise<void> {
  if (environment !== undefined) await client.request("PUT", `${repoPath(fullName)}/environments/${enc(environment)}`, {});
}

export function parseId(value: string, what: string): number {
  if (!/^[1-9]\d{0,15}$/.test(value)) throw new SlipwayError("CLI_USAGE", `'${value}' is not a ${what} id`, { hint: `Pass the numeric ${what} id (see \`slipway runs\`).` });
  return Number(value);
}

/** Every repository the caller can read, page by page. */
export async function listRepos(client: ApiClient): Promise<Repo[]> {
  const all: Repo[] = [];
  for (let page = 1; ; page++) {
    const batch = await client.request<Repo[]>("GET", `/api/v3/user/repos?per_page=100&page=${page}`);
    all.push(...batch);
    if (batch.length < 100) return all;
  }
}

/** The repository named, else all of the caller's. */
export async function candidateRepos(client: ApiClient, fullName: string | undefined): Promise<string[]> {
  return fullName ? [parseRepoName(fullName).fullName] : (await listRepos(client)).map((r) => r.full_name);
}

/** The first candidate repository whose `get` does not answer 404, with what it answered; null when none has it. */
async function findIn<T>(client: ApiClient, fullName: string | undefined, get: (repo: string) => Promise<T>): Promise<{ repo: string; found: T } | null> {
  for (const repo of await candidateRepos(client, fullName)) {
    try {
      return { repo, found: await get(repo) };
    } catch (error) {
      if (!(error instanceof SlipwayError) || httpStatusOfError(error) !== 404) throw error;
    }
  }
  return null;
}

/** The repository a run belongs to: the one named, else the first of the caller's repositories that has it. */
export async function locateRun(client: ApiClient, runId: number, fullName?: string): Promise<{ repo: string; run: Run }> {
  const hit = await findIn(client, fullName, (repo) => client.request<Run>("GET", `${repoPath(repo)}/actions/runs/${runId}`));
  if (!hit) throw new SlipwayError("RUN_NOT_FOUND", `no run ${runId}${fullName ? ` in ${fullName}` : " in your repositories"}`, { hint: "List runs with `slipway runs`." });
  return { repo: hit.repo, run: hit.found };
}

/** The repository a job belongs to, as for a run; null when none has it. */
export async function locateJob(client: ApiClient, jobId: number, fullName?: string): Promise<{ repo: string; job: Job } | null> {
  const hit = await findIn(client, fullName, (repo) => client.request<Job>("GET", `${repoPath(repo)}/actions/jobs/${jobId}`));
  return hit && { repo: hit.repo, job: hit.found };
}

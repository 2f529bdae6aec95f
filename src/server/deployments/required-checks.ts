/**
 * Where an environment's required checks stand on the commit a job deploys.
 * A check is, by default, a workflow job: any job of any run of the
 * repository on that commit whose name or key is the check's name
 * (case-insensitive). One that concluded `success` (or `skipped` never
 * counts) passes; one still to run keeps the deployment waiting; when every
 * such job ended otherwise the check failed. With no such job, the check is
 * pending while another run on the commit is still going (it may yet run it),
 * else missing.
 *
 * Checks that are not jobs come from check providers: `CHECK_PROVIDERS` maps
 * a check's name (e.g. `slipway/secret-scan`, recorded per commit by the
 * server's push scanning) to a function answering its state; a provider
 * answering null falls back to jobs of that name.
 */
import type { RequiredCheckState } from "../../release/index.js";
import type { Job, Store } from "../../store/index.js";
import { secretScanConclusion } from "../secret-scanning/index.js";

/** What a provider is asked: the check on one commit of one repository. */
interface CheckQuery {
  store: Store;
  repositoryId: number;
  sha: string;
  name: string;
}

export type CheckProvider = (query: CheckQuery) => Promise<RequiredCheckState | null>;

/**
 * Check providers by check name (lower case): the seam where checks that are
 * not jobs plug in, e.g. `["slipway/secret-scan", <the push scan's result on
 * the commit>]`. A name without a provider is looked up as jobs.
 */
const CHECK_PROVIDERS: ReadonlyMap<string, CheckProvider> = new Map<string, CheckProvider>([["slipway/secret-scan", secretScanCheck]]);

/** The server's push scan of the commit: failed while an alert it raised (or inherited) is open; jobs of that name when it never scanned the commit. */
async function secretScanCheck(query: CheckQuery): Promise<RequiredCheckState | null> {
  const conclusion = await secretScanConclusion(query.store, query.repositoryId, query.sha);
  if (conclusion === "none") return null;
  if (conclusion === "failure") return { name: query.name, state: "failure", detail: "open secret-scanning alerts" };
  return { name: query.name, state: conclusion };
}

const PASSED = new Set(["success"]);

/** Runs on the commit inspected at most (newest first). */
const MAX_RUNS = 100;

function stateOfJobs(name: string, jobs: readonly Job[]): RequiredCheckState | null {
  if (jobs.length === 0) return null;
  if (jobs.some((j) => j.status === "completed" && PASSED.has(j.conclusion ?? ""))) return { name, state: "success" };
  if (jobs.some((j) => j.status !== "completed")) return { name, state: "pending" };
  const last = jobs.at(-1)!;
  return { name, state: "failure", detail: `job ${last.name}: ${last.conclusion ?? "failure"}` };
}

/**
 * The state of each named check on `sha`, for the job `deployJobId` (which
 * never counts as a check of its own deployment).
 */
export async function collectRequiredChecks(
  store: Store,
  args: { repositoryId: number; sha: string; names: readonly string[]; deployJobId: number; deployRunId: number },
  providers: ReadonlyMap<string, CheckProvider> = CHECK_PROVIDERS,
): Promise<RequiredCheckState[]> {
  if (args.names.length === 0) return [];
  const runs = (await store.listRuns({ repositoryId: args.repositoryId, headSha: args.sha, perPage: MAX_RUNS })).items;
  const jobs: Job[] = [];
  for (const run of runs) jobs.push(...(await store.listJobs(run.id)).filter((j) => j.id !== args.deployJobId));
  // Another run on the commit still going may yet run a check; the deploying run's own pending jobs are in `jobs`.
  const othersRunning = runs.some((r) => r.id !== args.deployRunId && r.status !== "completed");
  const out: RequiredCheckState[] = [];
  for (const name of args.names) {
    const provider = providers.get(name.toLowerCase());
    const provided = provider ? await provider({ store, repositoryId: args.repositoryId, sha: args.sha, name }) : null;
    if (provided) {
      out.push({ ...provided, name });
      continue;
    }
    const key = name.toLowerCase();
    const named = jobs.filter((j) => j.name.toLowerCase() === key || j.key.toLowerCase() === key).sort((a, b) => a.id - b.id);
    out.push(stateOfJobs(name, named) ?? { name, state: othersRunning ? "pending" : "missing" });
  }
  return out;
}

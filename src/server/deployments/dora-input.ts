/**
 * DORA's inputs from Slipway's deployment records: when each deployment
 * ended and how, whether it was a rollback or was rolled back, and the
 * commits it shipped first (read from the repository's mirror: the commits
 * reachable from its commit and not from the environment's previous
 * successful deployment). A period's figures need only the deployments from
 * the oldest one that ended in it on, and the commit each environment last
 * deployed successfully before them: that is all a request reads.
 *
 * Commits are immutable, so the commits between two known commits never
 * change: each (mirror, commit, previous commit) pair is asked of git once
 * per process and remembered (a bounded cache), and the pairs not yet known
 * are asked a few at a time. The inputs themselves are remembered per
 * repository, environment and mirror with the store's deployments stamp, and
 * read again only when the stamp has changed (or git could not tell a pair,
 * which the mirror may fetch later).
 */
import { execFile } from "node:child_process";
import type { DoraDeployment } from "../../release/index.js";
import type { DeploymentOutcome, Store } from "../../store/index.js";

type Commit = { sha: string; committedAt: number };

/** Pairs remembered; the oldest are forgotten first. */
const CACHE_LIMIT = 20_000;
/** git processes at once. */
const GIT_CONCURRENCY = 4;
const commitCache = new Map<string, readonly Commit[]>();
/** Inputs remembered per store (repository, environment and mirror); the oldest are forgotten first. */
const INPUT_LIMIT = 16;
const inputCaches = new WeakMap<Store, Map<string, { stamp: string; since: number; deployments: DoraDeployment[] }>>();

/** `sha` and commit time (ms) of the commits in `head` and not in `base`; null when git cannot tell (unknown commit). */
function runGitLog(mirror: string, head: string, base: string | null): Promise<Commit[] | null> {
  const args = ["log", "--format=%H %ct", "--max-count=1000", head, ...(base ? [`^${base}`] : [])];
  return new Promise((resolve) => {
    execFile("git", args, { cwd: mirror, encoding: "utf8", maxBuffer: 8 * 1024 * 1024 }, (error, stdout) => {
      if (error) {
        resolve(null);
        return;
      }
      resolve(
        stdout
          .split("\n")
          .filter((line) => line.trim() !== "")
          .map((line) => {
            const [sha, seconds] = line.split(" ");
            return { sha: sha!, committedAt: Number(seconds) * 1000 };
          }),
      );
    });
  });
}

/** The commits of each pair; none for a pair git cannot tell (not remembered: the mirror may fetch the commit later), and then `complete` is false. */
async function commitsOfPairs(mirror: string, pairs: readonly { head: string; base: string | null }[]): Promise<{ commits: (readonly Commit[])[]; complete: boolean }> {
  const out: (readonly Commit[])[] = new Array(pairs.length);
  let complete = true;
  let next = 0;
  const work = async () => {
    while (next < pairs.length) {
      const i = next++;
      const { head, base } = pairs[i]!;
      const key = `${mirror}\0${head}\0${base ?? ""}`;
      const known = commitCache.get(key);
      if (known !== undefined) {
        out[i] = known;
        continue;
      }
      const commits = await runGitLog(mirror, head, base);
      out[i] = commits ?? [];
      if (commits === null) {
        complete = false;
        continue;
      }
      commitCache.set(key, commits);
      if (commitCache.size > CACHE_LIMIT) commitCache.delete(commitCache.keys().next().value!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(GIT_CONCURRENCY, pairs.length) }, work));
  return { commits: out, complete };
}

const NO_COMMITS: readonly Commit[] = Object.freeze([]);

function isRollback(d: DeploymentOutcome): boolean {
  return d.rolledBackFrom !== null || d.rollbackPayload;
}

/**
 * The deployments of the repository (of one environment when named) as DORA
 * sees them, oldest first; callers must not change them. With `since` (ms),
 * only those that matter to periods starting then or later: from the oldest
 * deployment that ended at or after `since` on, each with exactly the values
 * a read of every deployment gives it.
 */
export async function collectDoraDeployments(store: Store, repositoryId: number, environment: string | undefined, mirror: string | null, since?: number): Promise<DoraDeployment[]> {
  const key = `${repositoryId}\0${environment?.toLowerCase() ?? ""}\0${mirror ?? ""}`;
  const from = since ?? -Infinity;
  const stamp = await store.getDeploymentsStamp(repositoryId);
  let inputCache = inputCaches.get(store);
  if (inputCache === undefined) {
    inputCache = new Map();
    inputCaches.set(store, inputCache);
  }
  const known = inputCache.get(key);
  // Inputs read from an earlier `since` serve a later one: they hold every deployment it needs.
  if (known !== undefined && known.stamp === stamp && known.since <= from) return known.deployments;
  const { deployments, complete } = await readDoraDeployments(store, repositoryId, environment, mirror, since);
  inputCache.delete(key);
  // A write between the stamp and the read would label newer records with the older stamp.
  if (complete && (await store.getDeploymentsStamp(repositoryId)) === stamp) {
    inputCache.set(key, { stamp, since: from, deployments });
    if (inputCache.size > INPUT_LIMIT) inputCache.delete(inputCache.keys().next().value!);
  }
  return deployments;
}

async function readDoraDeployments(store: Store, repositoryId: number, environment: string | undefined, mirror: string | null, since: number | undefined): Promise<{ deployments: DoraDeployment[]; complete: boolean }> {
  const finishedSince = since === undefined ? undefined : new Date(since).toISOString();
  const { deployments: outcomes, earlierSuccesses } = await store.listDeploymentOutcomes(repositoryId, { environment, finishedSince });
  const out: DoraDeployment[] = [];
  const indexOf = new Map<number, number>();
  // The commit and index of each environment key's last success; one before the deployments read has no index (nothing read to mark rolled back).
  const lastSha = new Map<string, string>(earlierSuccesses);
  const lastIndex = new Map<string, number>();
  const pairs: { head: string; base: string | null; index: number }[] = [];
  for (const d of outcomes) {
    const finalState = d.finalState;
    const finalAt = d.finalAt;
    if (finalState === null || finalAt === null) continue;
    const key = d.environmentKey;
    // A deployment that succeeded and was marked failed afterwards (by an operator or a verification) deployed, and failed when marked.
    const succeededAt = finalState === "failure" ? d.succeededAt : null;
    const outcome = finalState === "success" || succeededAt !== null ? "success" : "failure";
    const rollback = isRollback(d);
    if (rollback) {
      // The deployment it replaced was rolled back: the linked one, else the environment's last success.
      const replaced = d.rolledBackFrom !== null ? indexOf.get(d.rolledBackFrom) : lastIndex.get(key);
      if (replaced !== undefined) out[replaced]!.rolledBack = true;
    }
    const previous = lastSha.get(key) ?? null;
    if (mirror !== null && outcome === "success" && !rollback && previous !== d.sha) pairs.push({ head: d.sha, base: previous, index: out.length });
    out.push({
      environment: d.environment,
      finishedAt: succeededAt ?? finalAt,
      outcome,
      isRollback: rollback,
      rolledBack: false,
      markedFailedAt: succeededAt !== null ? finalAt : null,
      rework: d.rework,
      commits: NO_COMMITS,
    });
    indexOf.set(d.id, out.length - 1);
    if (outcome === "success") {
      lastSha.set(key, d.sha);
      lastIndex.set(key, out.length - 1);
    }
  }
  let complete = true;
  if (mirror !== null && pairs.length > 0) {
    const found = await commitsOfPairs(mirror, pairs);
    pairs.forEach((p, i) => (out[p.index]!.commits = found.commits[i]!));
    complete = found.complete;
  }
  return { deployments: out, complete };
}

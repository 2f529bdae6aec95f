/**
 * DORA's inputs from Slipway's deployment records: when each deployment
 * ended and how, whether it was a rollback or was rolled back, and the
 * commits it shipped first (read from the repository's mirror: the commits
 * reachable from its commit and not from the environment's previous
 * successful deployment).
 */
import { execFile } from "node:child_process";
import type { DoraDeployment } from "../../release/index.js";
import type { DeploymentRecord, Store } from "../../store/index.js";

/** `sha` and commit time (ms) of the commits in `head` and not in `base`; none when git cannot tell (no mirror, unknown commit). */
function commitsBetween(mirror: string | null, head: string, base: string | null): Promise<{ sha: string; committedAt: number }[]> {
  if (mirror === null) return Promise.resolve([]);
  const args = ["log", "--format=%H %ct", "--max-count=1000", head, ...(base ? [`^${base}`] : [])];
  return new Promise((resolve) => {
    execFile("git", args, { cwd: mirror, encoding: "utf8", maxBuffer: 8 * 1024 * 1024 }, (error, stdout) => {
      if (error) {
        resolve([]);
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

function isRollback(d: DeploymentRecord): boolean {
  return d.rolledBackFrom !== null || (typeof d.payload === "object" && d.payload !== null && (d.payload as { rollback?: unknown }).rollback === true);
}

/** Every deployment of the repository (of one environment when named) as DORA sees it, oldest first. */
export async function collectDoraDeployments(store: Store, repositoryId: number, environment: string | undefined, mirror: string | null): Promise<DoraDeployment[]> {
  const history = await store.listDeploymentHistory(repositoryId, environment);
  const out: DoraDeployment[] = [];
  const indexOf = new Map<number, number>();
  const lastSuccess = new Map<string, { sha: string; index: number }>();
  for (const { deployment: d, statuses } of history) {
    const final = statuses.find((s) => s.state === "success" || s.state === "failure" || s.state === "error");
    if (!final) continue;
    const key = d.environment.toLowerCase();
    // A deployment that succeeded and was marked failed afterwards (by an operator or a verification) deployed, and failed when marked.
    const succeededAt = final.state === "failure" ? statuses.find((s) => s.state === "success") : undefined;
    const outcome = final.state === "success" || succeededAt ? "success" : "failure";
    const rollback = isRollback(d);
    if (rollback) {
      // The deployment it replaced was rolled back: the linked one, else the environment's last success.
      const replaced = d.rolledBackFrom !== null ? indexOf.get(d.rolledBackFrom) : lastSuccess.get(key)?.index;
      if (replaced !== undefined) out[replaced]!.rolledBack = true;
    }
    const previous = lastSuccess.get(key)?.sha ?? null;
    const commits = outcome === "success" && !rollback && previous !== d.sha ? await commitsBetween(mirror, d.sha, previous) : [];
    out.push({
      environment: d.environment,
      finishedAt: Date.parse((succeededAt ?? final).createdAt),
      outcome,
      isRollback: rollback,
      rolledBack: false,
      markedFailedAt: succeededAt ? Date.parse(final.createdAt) : null,
      rework: d.rework,
      commits,
    });
    indexOf.set(d.id, out.length - 1);
    if (outcome === "success") lastSuccess.set(key, { sha: d.sha, index: out.length - 1 });
  }
  return out;
}

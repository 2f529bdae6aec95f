/**
 * Polling: repositories with a polling interval are fetched that often, and
 * each branch head that moved since the last look becomes a push trigger.
 * The heads seen last are kept next to the mirror; the first look only
 * learns them (history is not replayed). The store's schedule ticks make
 * one replica fire each new head.
 */
import { execFile } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Store } from "../../store/index.js";
import { RepositoryFetchError } from "../repository-url.js";
import type { Trigger } from "../webhooks.js";
import type { RepositoryAccess } from "./repository-access.js";
import type { MessageLogger } from "../../lib/index.js";

function listHeads(mirror: string): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    execFile("git", ["for-each-ref", "--format=%(refname) %(objectname)", "refs/heads"], { cwd: mirror }, (error, stdout) => {
      if (error) return reject(error);
      const out: Record<string, string> = {};
      for (const line of stdout.split("\n")) {
        const [ref, sha] = line.trim().split(" ");
        if (ref && sha) out[ref] = sha;
      }
      resolve(out);
    });
  });
}

function commitMinute(mirror: string, sha: string): Promise<Date> {
  return new Promise((resolve) => {
    execFile("git", ["show", "-s", "--format=%ct", sha], { cwd: mirror }, (error, stdout) => {
      const seconds = error ? 0 : Number(stdout.trim());
      resolve(new Date(Math.floor(seconds / 60) * 60_000));
    });
  });
}

export function createPoller(deps: { store: Store; access: RepositoryAccess; dataDir: string; logger: MessageLogger; onTrigger: (trigger: Trigger) => Promise<void> }) {
  const { store, access, logger } = deps;
  const lastPolled = new Map<number, number>();
  const headsFile = (repoId: number) => path.join(deps.dataDir, "mirrors", `${repoId}.heads.json`);

  /** Checks the repositories whose interval has passed at `now`; returns how many triggers it fired. */
  return async function pollRepositories(now: Date): Promise<number> {
    let fired = 0;
    for (const repo of await access.allRepositories()) {
      if (repo.pollingIntervalSeconds === null || repo.pollingIntervalSeconds <= 0) continue;
      const last = lastPolled.get(repo.id);
      if (last !== undefined && now.getTime() - last < repo.pollingIntervalSeconds * 1000) continue;
      lastPolled.set(repo.id, now.getTime());
      try {
        const mirror = await access.mirrors.fetch(access.sourceOf(repo));
        const heads = await listHeads(mirror);
        let known: Record<string, string> | null = null;
        try {
          known = JSON.parse(await readFile(headsFile(repo.id), "utf8")) as Record<string, string>;
        } catch {
          known = null;
        }
        await mkdir(path.dirname(headsFile(repo.id)), { recursive: true, mode: 0o700 });
        await writeFile(headsFile(repo.id), JSON.stringify(heads), { mode: 0o600 });
        if (known === null) continue;
        for (const [ref, sha] of Object.entries(heads)) {
          if (known[ref] === sha) continue;
          const committed = await commitMinute(mirror, sha);
          if (!(await store.claimScheduleTick({ repositoryId: repo.id, workflowFile: `poll:${ref}@${sha}`, cron: "poll", minute: committed }))) continue;
          fired += 1;
          const before = known[ref] ?? null;
          await deps.onTrigger({
            provider: "github",
            deliveryId: `poll-${repo.id}-${sha}`,
            repo: repo.fullName,
            repositoryId: repo.id,
            event: "push",
            action: null,
            ref,
            sha,
            before,
            payload: { ref, before: before ?? "0".repeat(40), after: sha, repository: { full_name: repo.fullName, default_branch: repo.defaultBranch }, created: before === null },
            changedFiles: null,
            fromFork: false,
          });
        }
      } catch (error) {
        const detail = error instanceof RepositoryFetchError ? ` (git: ${error.adminDetail})` : "";
        logger.warn(`polling ${repo.fullName}: ${(error as Error).message}${detail}`);
      }
    }
    return fired;
  };
}

/** A SQLite store in a temp dir, a git repository reachable by file:// URL, pipelines and fake runners over the store. */
import { randomBytes } from "node:crypto";
import { afterEach } from "vitest";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  createPipeline,
  createSecretBox,
  type Pipeline,
  type PipelineConfig,
  type SecretBox,
} from "../../../src/server/index.js";
import { openStore, type Job, type QueuedJobClaim, type Repository, type Store } from "../../../src/store/index.js";
import { git, makeRepo } from "../../support/git-repo.js";
import type { MessageLogger } from "../../../src/lib/index.js";

export interface Harness {
  dir: string;
  store: Store;
  secretBox: SecretBox;
  repoDir: string;
  repo: Repository;
  pipelines: Pipeline[];
  makePipeline(config?: Partial<PipelineConfig>, options?: { store?: Store; clock?: () => Date; logger?: MessageLogger }): Pipeline;
  commit(files: Record<string, string>, message?: string): string;
  head(): string;
  close(): Promise<void>;
}

export async function createHarness(files: Record<string, string>): Promise<Harness> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-pipeline-"));
  const repoDir = makeRepo(files, { dir: path.join(dir, "repo") });
  const store = await openStore({ dataDir: path.join(dir, "data") });
  const secretBox = createSecretBox(randomBytes(32));
  const repo = await store.createRepository({ owner: "octo", name: "hello", gitUrl: `file://${repoDir}` });
  const pipelines: Pipeline[] = [];
  const extraStores: Store[] = [];
  let closed = false;
  return {
    dir,
    store,
    secretBox,
    repoDir,
    repo,
    pipelines,
    makePipeline(config = {}, options = {}) {
      const p = createPipeline({
        store: options.store ?? store,
        secretBox,
        ...(options.clock ? { clock: options.clock } : {}),
        ...(options.logger ? { logger: options.logger } : {}),
        config: { dataDir: path.join(dir, "data"), pollIntervalMs: 20, sweepIntervalMs: 100, runLeaseSeconds: 2, schedules: false, pollingCheckMs: 3_600_000, ...config },
      });
      if (options.store) extraStores.push(options.store);
      pipelines.push(p);
      return p;
    },
    commit(changes, message = "change") {
      for (const [name, content] of Object.entries(changes)) {
        const file = path.join(repoDir, name);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, content);
      }
      git(repoDir, "add", "-A");
      git(repoDir, "commit", "-q", "-m", message);
      return git(repoDir, "rev-parse", "HEAD");
    },
    head: () => git(repoDir, "rev-parse", "HEAD"),
    async close() {
      if (closed) return;
      closed = true;
      for (const p of pipelines) await p.stop();
      for (const s of extraStores) await s.close();
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * After each test of the file: stops the fake runners in `runners`, runs the
 * `closers`, then closes the test's harness (closing one twice is harmless).
 */
export function closeAfterEach(harness: () => Harness | undefined, runners: FakeRunner[] = [], closers: (() => Promise<void>)[] = []): void {
  afterEach(async () => {
    for (const r of runners.splice(0)) await r.stop();
    for (const c of closers.splice(0)) await c();
    await harness()?.close();
  });
}

/** A logger keeping its lines, for asserting what a pipeline did. */
export function recordingLogger(lines: string[]): MessageLogger {
  return { info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m) };
}

export interface FakeRunner {
  claimed: QueuedJobClaim[];
  stop(): Promise<void>;
}

export type Behaviour = (claimed: QueuedJobClaim) => { conclusion: "success" | "failure"; outputs?: Record<string, string> } | "hang" | "until-cancelled";

/** A runner that claims through the store directly and completes jobs as `behave` says. */
export async function startRunner(store: Store, behave: Behaviour, options: { name?: string; labels?: string[]; leaseSeconds?: number } = {}): Promise<FakeRunner> {
  const runner = await store.createRunner({ name: options.name ?? `fake-${Math.random().toString(36).slice(2, 8)}`, labels: options.labels ?? ["ubuntu-latest", "self-hosted"], credentialHash: randomBytes(8).toString("hex") });
  const claimed: QueuedJobClaim[] = [];
  let stopped = false;
  const work: Promise<void>[] = [];
  const loop = (async () => {
    while (!stopped) {
      const c = await store.claimJob({ runnerId: runner.id, labels: runner.labels, leaseSeconds: options.leaseSeconds ?? 60 });
      if (!c) {
        await new Promise((r) => setTimeout(r, 10));
        continue;
      }
      claimed.push(c);
      const what = behave(c);
      if (what === "hang") continue;
      work.push(
        (async () => {
          if (what === "until-cancelled") {
            while (!stopped) {
              const j = await store.getJob(c.job.id);
              if (!j || j.status !== "in_progress") return;
              if (j.cancelRequested) {
                await store.completeJob(c.job.id, { conclusion: "cancelled" }, c.leaseToken);
                return;
              }
              await store.renewLease(c.job.id, c.leaseToken, options.leaseSeconds ?? 60);
              await new Promise((r) => setTimeout(r, 10));
            }
            return;
          }
          await store.recordStep(c.job.id, { number: 1, name: "Run step", status: "completed", conclusion: what.conclusion }, c.leaseToken);
          await store.completeJob(c.job.id, { conclusion: what.conclusion, outputs: what.outputs ?? {} }, c.leaseToken);
        })(),
      );
    }
  })();
  return {
    claimed,
    async stop() {
      stopped = true;
      await loop;
      await Promise.allSettled(work);
    },
  };
}

export async function waitFor<T>(probe: () => Promise<T | null | undefined | false>, timeoutMs = 10_000, what = "condition"): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const byKey = (jobs: Job[]) => Object.fromEntries(jobs.map((j) => [j.key, j]));

export function pushTrigger(repo: Repository, sha: string, before: string | null, ref = "refs/heads/main", changedFiles: string[] | null = null) {
  return {
    provider: "github" as const,
    deliveryId: `d-${sha}-${Math.random()}`,
    repo: repo.fullName,
    repositoryId: repo.id,
    event: "push" as const,
    action: null,
    ref,
    sha,
    before,
    payload: { ref, before, after: sha, sender: { login: "octocat" }, repository: { full_name: repo.fullName } },
    changedFiles,
    fromFork: false,
  };
}

/** A `pull_request` opened from the fork mallory/hello at `sha`: such runs get no secrets and no variables. */
export function forkPullRequestTrigger(repo: Repository, sha: string, number = 3) {
  const pr = { number, head: { ref: "feature", sha, repo: { full_name: "mallory/hello" } }, base: { ref: "main", repo: { full_name: repo.fullName } } };
  return {
    ...pushTrigger(repo, sha, null),
    event: "pull_request" as const,
    action: "opened",
    ref: `refs/pull/${number}/head`,
    payload: { action: "opened", number, pull_request: pr, sender: { login: "mallory" } },
    fromFork: true,
  };
}

/**
 * Secret scanning on the server: every push's new commits are scanned from
 * the mirror in the background (the push's runs never wait for it), and a
 * history scan of a branch can be asked for. Findings become alerts keyed by
 * fingerprint; the secret's value never leaves the scanner. One scan per
 * repository runs at a time; others queue behind it.
 */
import type { SecretFinding } from "../../gates/index.js";
import type { MessageLogger } from "../../lib/index.js";
import type { Repository, SecretScan, Store } from "../../store/index.js";
import type { Trigger } from "../webhooks.js";
import { resolveRefName } from "../pipeline/git-mirror.js";
import { isCommit, listRangeCommits, streamRangePatches, type CommitRange } from "./git-log.js";
import { createScannerAt } from "./scan-config.js";

/** A push scans at most this many new commits (a force-push of a long history is cut here). */
const MAX_PUSH_COMMITS = 1000;
/** A history scan reads at most this many commits of the branch. */
const MAX_HISTORY_COMMITS = 10_000;
/** Time limit of one `git log -p`. */
const SCAN_TIMEOUT_MS = 10 * 60_000;
/** History scans write their progress this often (commits). */
const PROGRESS_EVERY = 100;

const ZERO_SHA = /^0+$/;

export interface SecretScanningDeps {
  store: Store;
  logger: MessageLogger;
  /** The repository's mirror, fetched when it lacks `sha` (or always without one). */
  mirrorOf: (repo: Repository, sha?: string) => Promise<string>;
  clock?: () => Date;
}

export interface SecretScanning {
  /** Starts the scan of a push's new commits in the background; never throws, never waits. */
  scanPush(trigger: Trigger): void;
  /** Records a history scan of `ref` (default: the default branch) and starts it in the background. */
  startHistoryScan(repo: Repository, ref: string | null, requestedBy: string | null): Promise<SecretScan>;
  /** Resolves when every scan started so far has ended (tests, shutdown). */
  idle(): Promise<void>;
  /**
   * Stops the scans under way (a history scan is recorded as failed, to be
   * started again), starts no more, and resolves once they ended: before the
   * store they write to closes.
   */
  stop(): Promise<void>;
}

/** Counts `commit <sha>` headers as they stream by, for progress. */
async function* countCommits(chunks: AsyncIterable<Buffer>, onCommit: (n: number) => void): AsyncGenerator<Buffer> {
  let n = 0;
  let tail = "\n";
  for await (const chunk of chunks) {
    const text = tail + chunk.toString("latin1");
    let at = text.indexOf("\ncommit ");
    while (at >= 0) {
      n += 1;
      onCommit(n);
      at = text.indexOf("\ncommit ", at + 1);
    }
    tail = text.slice(-7);
    yield chunk;
  }
}

export function createSecretScanning(deps: SecretScanningDeps): SecretScanning {
  const { store, logger } = deps;
  const clock = deps.clock ?? (() => new Date());
  const queues = new Map<number, Promise<void>>();
  /** Aborted by `stop`; a new one serves the scans of a pipeline started again. */
  let stopping = new AbortController();

  const enqueue = (repositoryId: number, what: string, task: () => Promise<void>): Promise<void> => {
    const previous = queues.get(repositoryId) ?? Promise.resolve();
    const { signal } = stopping;
    const next = previous
      .then(() => (signal.aborted ? undefined : task()))
      .catch((error: unknown) => {
        if (!signal.aborted) logger.warn(`secret scan of ${what}: ${(error as Error).message}`);
      });
    queues.set(repositoryId, next);
    void next.finally(() => {
      if (queues.get(repositoryId) === next) queues.delete(repositoryId);
    });
    return next;
  };

  /** Scans a range, records its findings as alerts; returns the findings' commits with their alert numbers, and how many alerts are new. */
  async function scanRange(repo: Repository, mirror: string, range: CommitRange, max: number, onCommit?: (n: number) => void) {
    const scanner = await createScannerAt(mirror, range.sha, repo.fullName, logger);
    let chunks: AsyncIterable<Buffer> = streamRangePatches(mirror, range, max, SCAN_TIMEOUT_MS, stopping.signal);
    if (onCommit) chunks = countCommits(chunks, onCommit);
    const result = await scanner.scanDiffStream(chunks);
    const findings = result.findings.filter((f): f is SecretFinding & { commit: string } => f.commit !== undefined);
    const recorded = await store.recordSecretFindings(
      repo.id,
      findings.map((f) => ({
        ruleId: f.ruleId,
        description: f.description,
        fingerprint: f.fingerprint,
        commitSha: f.commit,
        path: f.file,
        startLine: f.line,
        endLine: f.endLine,
        startColumn: f.column,
        endColumn: f.endColumn,
      })),
    );
    const byCommit = new Map<string, number[]>();
    findings.forEach((f, i) => byCommit.set(f.commit, [...(byCommit.get(f.commit) ?? []), recorded.alerts[i]!.number]));
    return { byCommit, created: recorded.created.length };
  }

  async function scanPushNow(trigger: Trigger): Promise<void> {
    const repo = await store.getRepository(trigger.repositoryId);
    if (!repo) return;
    await store.setCommitSecretScan(repo.id, trigger.sha, { status: "pending", alertNumbers: [] });
    const mirror = await deps.mirrorOf(repo, trigger.sha);
    const before = trigger.before && !ZERO_SHA.test(trigger.before) && (await isCommit(mirror, trigger.before)) ? trigger.before : null;
    const range: CommitRange = { sha: trigger.sha, before, ref: trigger.ref || null };
    const commits = await listRangeCommits(mirror, range, MAX_PUSH_COMMITS);
    const { byCommit, created } = await scanRange(repo, mirror, range, MAX_PUSH_COMMITS);
    // A commit carries the alerts of its push's older commits and of the commit the push built on.
    const inherited = before !== null ? ((await store.getCommitSecretScan(repo.id, before))?.alertNumbers ?? []) : [];
    const carried = new Set(inherited);
    for (const sha of [...commits].reverse()) {
      for (const n of byCommit.get(sha) ?? []) carried.add(n);
      if (sha !== trigger.sha) await store.setCommitSecretScan(repo.id, sha, { status: "completed", alertNumbers: [...carried] });
    }
    await store.setCommitSecretScan(repo.id, trigger.sha, { status: "completed", alertNumbers: [...carried] });
    if (created > 0) logger.warn(`secret scan of ${repo.fullName} ${trigger.ref}: ${created} new alert(s) in ${commits.length} commit(s) up to ${trigger.sha.slice(0, 12)}`);
  }

  async function runHistoryScan(repo: Repository, scan: SecretScan): Promise<void> {
    try {
      const mirror = await deps.mirrorOf(repo);
      const resolved = await resolveRefName(mirror, scan.ref);
      if (!resolved) throw new Error(`no ref '${scan.ref}' in the repository`);
      const range: CommitRange = { sha: resolved.sha, before: null, ref: null };
      const total = (await listRangeCommits(mirror, range, MAX_HISTORY_COMMITS)).length;
      await store.updateSecretScan(scan.id, { status: "in_progress", sha: resolved.sha, commitsTotal: total });
      let written = Promise.resolve();
      const { created } = await scanRange(repo, mirror, range, MAX_HISTORY_COMMITS, (n) => {
        if (n % PROGRESS_EVERY === 0) written = written.then(() => store.updateSecretScan(scan.id, { commitsScanned: n }));
      });
      await written;
      await store.updateSecretScan(scan.id, { status: "completed", commitsScanned: total, alertsFound: created, completedAt: clock().toISOString() });
    } catch (error) {
      const why = stopping.signal.aborted ? "the server stopped during the scan; start it again" : (error as Error).message;
      await store.updateSecretScan(scan.id, { status: "failed", error: why.slice(0, 500), completedAt: clock().toISOString() });
      throw error;
    }
  }

  return {
    scanPush(trigger) {
      if (trigger.event !== "push" || ZERO_SHA.test(trigger.sha)) return;
      void enqueue(trigger.repositoryId, `${trigger.repo} ${trigger.sha.slice(0, 12)}`, () => scanPushNow(trigger));
    },
    async startHistoryScan(repo, ref, requestedBy) {
      const scan = await store.createSecretScan({ repositoryId: repo.id, ref: ref ?? repo.defaultBranch, requestedBy });
      void enqueue(repo.id, `${repo.fullName} history`, () => runHistoryScan(repo, scan));
      return scan;
    },
    async idle() {
      while (queues.size > 0) await Promise.allSettled([...queues.values()]);
    },
    async stop() {
      stopping.abort();
      await this.idle();
      stopping = new AbortController();
    },
  };
}

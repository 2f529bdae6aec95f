/**
 * Replays migrations on a throwaway database and measures what each statement
 * does to the tables that existed before it — the tables the running release
 * is reading and writing in production:
 *
 * 1. creates a database on the given server, builds the previous schema from
 *    the migrations before the change (or a schema file), and fills every
 *    table with rows (fill.ts) so that scans take measurable time;
 * 2. runs each changed file statement by statement (a transaction per file,
 *    unless it opts out with `-- slipway: no-transaction`), while a second
 *    connection samples `pg_locks` joined to `pg_class` for the locks the
 *    migration's backend holds on those tables;
 * 3. compares `pg_class.relfilenode` before and after each statement (a new
 *    file means the table was rewritten) and the transaction's sequential
 *    scan counts (`pg_stat_xact_user_tables`: a scan that is not a rewrite is
 *    a validation or an index build);
 * 4. drops the database.
 *
 * A lock is held until its transaction ends, so the time reported for a lock
 * taken inside a file's transaction runs from its statement's start to the
 * file's commit.
 */
import { randomBytes } from "node:crypto";
import type pg from "pg";
import { SlipwayError } from "../../lib/index.js";
import { connectDatabase, describeDatabase, quoteIdent } from "./database.js";
import { fillTables, listTables, type ReplayTable } from "./fill.js";
import { optsOutOfTransaction, splitMigration, type MigrationSource, type MigrationStatement } from "./statements.js";
import type { MigrationFinding } from "./types.js";

/** Lock modes that keep other sessions from writing the table (SHARE and stronger). */
const BLOCKS_WRITES = new Set(["SHARE", "SHARE ROW EXCLUSIVE", "EXCLUSIVE", "ACCESS EXCLUSIVE"]);
const MODE_NAMES: Record<string, string> = {
  AccessShareLock: "ACCESS SHARE",
  RowShareLock: "ROW SHARE",
  RowExclusiveLock: "ROW EXCLUSIVE",
  ShareUpdateExclusiveLock: "SHARE UPDATE EXCLUSIVE",
  ShareLock: "SHARE",
  ShareRowExclusiveLock: "SHARE ROW EXCLUSIVE",
  ExclusiveLock: "EXCLUSIVE",
  AccessExclusiveLock: "ACCESS EXCLUSIVE",
};

export interface ReplayOptions {
  /** A server where the replay may create (and drop) a database: a URL to any database on it. */
  url: string;
  /** Builds the schema the change starts from, in order. */
  previous: readonly MigrationSource[];
  /** The migrations under test, in order. */
  changed: readonly MigrationSource[];
  /** Rows put in each pre-existing table (default 10,000). */
  rowsPerTable?: number;
  log?: (line: string) => void;
}

interface ReplayedLock {
  table: string;
  /** PostgreSQL's name, e.g. `ACCESS EXCLUSIVE`. */
  mode: string;
  /** From the statement's start until the lock was released (its transaction ended). */
  heldMs: number;
}

interface ReplayedStatement {
  file: string;
  line: number;
  /** The statement's node type, e.g. `AlterTableStmt`. */
  kind: string;
  durationMs: number;
  /** Locks the statement took on pre-existing tables (strongest first per table). */
  locks: ReplayedLock[];
  rewrites: string[];
  /** Tables read in full by a DDL statement without being rewritten. */
  scans: string[];
}

interface ReplayFinding extends MigrationFinding {
  /** `error`: a rewrite, or a scan while writes are blocked; `warning`: ACCESS EXCLUSIVE; `notice`: a scan that lets writes through. */
  level: "error" | "warning" | "notice";
}

export interface ReplayResult {
  statements: ReplayedStatement[];
  findings: ReplayFinding[];
  /** Tables that could not be filled, with the reason. */
  unfilled: { table: string; reason: string }[];
}

/** Polls the locks one backend holds on the given tables until stopped. */
function startLockSampler(observer: pg.Client, pid: number, oids: number[]) {
  const seen = new Map<string, { oid: number; mode: string }>();
  let running = true;
  const sampleOnce = async () => {
    const rows = await observer.query(
      "SELECT c.oid::int AS oid, l.mode FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE l.pid = $1 AND l.granted AND c.oid = ANY($2::oid[])",
      [pid, oids],
    );
    for (const r of rows.rows as { oid: number; mode: string }[]) seen.set(`${r.oid}:${r.mode}`, r);
  };
  const loop = (async () => {
    while (running) await sampleOnce();
  })();
  return {
    /** Stops polling after one last sample; returns every (table, mode) seen. */
    async stop() {
      running = false;
      await loop;
      await sampleOnce();
      return seen;
    },
  };
}

async function relfilenodes(client: pg.Client, oids: number[]): Promise<Map<number, string>> {
  const rows = await client.query("SELECT oid::int AS oid, relfilenode::text AS node FROM pg_class WHERE oid = ANY($1::oid[])", [oids]);
  return new Map((rows.rows as { oid: number; node: string }[]).map((r) => [r.oid, r.node]));
}

async function seqScans(client: pg.Client, oids: number[]): Promise<Map<number, number>> {
  const rows = await client.query("SELECT relid::int AS oid, seq_scan::int AS n FROM pg_stat_xact_user_tables WHERE relid = ANY($1::oid[])", [oids]);
  return new Map((rows.rows as { oid: number; n: number }[]).map((r) => [r.oid, r.n]));
}

function replayError(file: string, statement: MigrationStatement | undefined, error: unknown, phase: string): SlipwayError {
  if (error instanceof SlipwayError) return error;
  return new SlipwayError("MIGRATION_REPLAY_FAILED", `${file}:${statement?.line ?? 1}: ${phase}: ${(error as Error).message}.`, { cause: error });
}

export async function replayMigrations(options: ReplayOptions): Promise<ReplayResult> {
  const log = options.log ?? (() => undefined);
  const admin = await connectDatabase(options.url);
  const name = `slipway_replay_${randomBytes(6).toString("hex")}`;
  const target = new URL(options.url);
  target.pathname = `/${name}`;
  let worker: pg.Client | undefined;
  let observer: pg.Client | undefined;
  try {
    await admin.query(`CREATE DATABASE ${quoteIdent(name)}`);
    log(`Replaying on a throwaway database ${describeDatabase(target.href)}.`);
    worker = await connectDatabase(target.href);
    observer = await connectDatabase(target.href);
    for (const source of options.previous) {
      let current: MigrationStatement | undefined;
      try {
        for (current of await splitMigration(source)) await worker.query(current.text);
      } catch (error) {
        throw replayError(source.file, current, error, "building the previous schema failed");
      }
    }
    const tables = await listTables(worker, ["slipway_schema_history"]);
    const unfilled = await fillTables(worker, tables, options.rowsPerTable ?? 10_000);
    for (const u of unfilled) log(`Could not fill ${u.table}: ${u.reason}`);
    log(`Previous schema: ${tables.length} table${tables.length === 1 ? "" : "s"}, filled with ${options.rowsPerTable ?? 10_000} rows each.`);
    const pid = (await worker.query("SELECT pg_backend_pid() AS pid")).rows[0].pid as number;
    const statements: ReplayedStatement[] = [];
    for (const source of options.changed) {
      statements.push(...(await replayFile(source, { worker, observer, pid, tables })));
    }
    return { statements, findings: findingsOf(statements), unfilled };
  } finally {
    await worker?.end().catch(() => undefined);
    await observer?.end().catch(() => undefined);
    await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`).catch(() => admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)}`).catch(() => undefined));
    await admin.end().catch(() => undefined);
  }
}

interface ReplayConnections {
  worker: pg.Client;
  observer: pg.Client;
  pid: number;
  tables: readonly ReplayTable[];
}

async function replayFile(source: MigrationSource, c: ReplayConnections): Promise<ReplayedStatement[]> {
  const statements = await splitMigration(source);
  const transaction = !optsOutOfTransaction(source.sql);
  const names = new Map(c.tables.map((t) => [t.oid, t.name]));
  const oids = c.tables.map((t) => t.oid);
  const out: (ReplayedStatement & { startedAt: number; endedAt: number })[] = [];
  const heldBefore = new Set<string>();
  let current: MigrationStatement | undefined;
  try {
    if (transaction) await c.worker.query("BEGIN");
    for (current of statements) {
      const nodesBefore = await relfilenodes(c.worker, oids);
      const scansBefore = transaction ? await seqScans(c.worker, oids) : new Map<number, number>();
      const sampler = startLockSampler(c.observer, c.pid, oids);
      const startedAt = performance.now();
      let failed: unknown;
      await c.worker.query(current.text).catch((error: unknown) => {
        failed = error;
      });
      const endedAt = performance.now();
      const seen = await sampler.stop();
      if (failed) throw failed;
      const nodesAfter = await relfilenodes(c.worker, oids);
      const rewritten = [...nodesBefore].filter(([oid, node]) => nodesAfter.has(oid) && nodesAfter.get(oid) !== node).map(([oid]) => oid);
      const scanned: number[] = [];
      if (transaction && isDdl(current.kind)) {
        const scansAfter = await seqScans(c.worker, oids);
        for (const [oid, n] of scansAfter) if (n > (scansBefore.get(oid) ?? 0) && !rewritten.includes(oid) && nodesAfter.has(oid)) scanned.push(oid);
      }
      const locks: ReplayedLock[] = [];
      for (const [key, lock] of seen) {
        if (heldBefore.has(key)) continue;
        if (transaction) heldBefore.add(key);
        locks.push({ table: names.get(lock.oid) ?? String(lock.oid), mode: MODE_NAMES[lock.mode] ?? lock.mode, heldMs: endedAt - startedAt });
      }
      out.push({ file: source.file, line: current.line, kind: current.kind, durationMs: endedAt - startedAt, locks: strongestFirst(locks), rewrites: rewritten.map((o) => names.get(o)!), scans: scanned.map((o) => names.get(o)!), startedAt, endedAt });
    }
    current = undefined;
    if (transaction) {
      await c.worker.query("COMMIT");
      const committedAt = performance.now();
      for (const s of out) for (const lock of s.locks) lock.heldMs = committedAt - s.startedAt;
    }
  } catch (error) {
    if (transaction) await c.worker.query("ROLLBACK").catch(() => undefined);
    throw replayError(source.file, current, error, "the migration fails");
  }
  return out.map(({ startedAt: _s, endedAt: _e, ...s }) => ({ ...s, durationMs: Math.round(s.durationMs), locks: s.locks.map((l) => ({ ...l, heldMs: Math.round(l.heldMs) })) }));
}

function isDdl(kind: string): boolean {
  return !["SelectStmt", "InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt", "CopyStmt", "VariableSetStmt", "DoStmt", "CallStmt"].includes(kind);
}

const STRENGTH = Object.values(MODE_NAMES);
function strongestFirst(locks: ReplayedLock[]): ReplayedLock[] {
  return locks.sort((a, b) => a.table.localeCompare(b.table) || STRENGTH.indexOf(b.mode) - STRENGTH.indexOf(a.mode));
}

function findingsOf(statements: readonly ReplayedStatement[]): ReplayFinding[] {
  const findings: ReplayFinding[] = [];
  for (const s of statements) {
    const at = { file: s.file, line: s.line, col: 1 };
    for (const lock of s.locks.filter((l) => l.mode === "ACCESS EXCLUSIVE")) {
      findings.push({ ...at, level: "warning", rule: "replay-access-exclusive", message: `Takes ACCESS EXCLUSIVE on ${lock.table} for ${lock.heldMs} ms: every read and write of ${lock.table} waits meanwhile.`, help: "Keep the transaction short: set lock_timeout, and move slow work out of the transaction that holds this lock." });
    }
    for (const table of s.rewrites) {
      findings.push({ ...at, level: "error", rule: "replay-table-rewrite", message: `Rewrites ${table} (${s.durationMs} ms on the replay's rows; it grows with the table).`, help: "Avoid the rewrite: add a nullable column and backfill in batches, or build the new shape beside the old one and switch over." });
    }
    for (const table of s.scans) {
      const blocking = s.locks.some((l) => l.table === table && BLOCKS_WRITES.has(l.mode));
      const what = s.kind === "IndexStmt" ? "build an index" : "validate";
      findings.push({
        ...at,
        level: blocking ? "error" : "notice",
        rule: "replay-validation-scan",
        message: blocking ? `Scans ${table} to ${what} while writes to it are blocked (${s.durationMs} ms on the replay's rows).` : `Scans ${table} to ${what} (${s.durationMs} ms); writes go on meanwhile.`,
        help: blocking ? "Add the constraint NOT VALID, then VALIDATE CONSTRAINT in a later statement (it lets writes through); build indexes CONCURRENTLY." : "",
      });
    }
  }
  return findings;
}

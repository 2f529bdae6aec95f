/**
 * Applies pending migrations, in order, to a database, recording each in
 * `slipway_schema_history` (file, checksum, applied_at, duration_ms).
 *
 * - A file runs in one transaction with its history row, unless its first
 *   line is `-- slipway: no-transaction` (CREATE INDEX CONCURRENTLY cannot run
 *   in a transaction); such a file's statements run one by one and its row is
 *   written after the last.
 * - `lock_timeout` and `statement_timeout` bound every statement; a statement
 *   that times out waiting for a lock (SQLSTATE 55P03) is retried with capped
 *   exponential backoff: the whole file when it runs in a transaction, the
 *   statement alone otherwise.
 * - An applied file whose checksum changed is refused before anything runs.
 * - A session advisory lock keeps two appliers from running at once.
 * - A dry run lists what would run and changes nothing (not even the history table).
 */
import { createHash } from "node:crypto";
import type pg from "pg";
import { SlipwayError } from "../../lib/index.js";
import { connectDatabase, sqlStateOf } from "./database.js";
import { optsOutOfTransaction, splitMigration, type MigrationSource } from "./statements.js";

const HISTORY_TABLE = "slipway_schema_history";
/** Key of the advisory lock held while applying (a constant of this product). */
const APPLY_LOCK_KEY = 0x5117_3a7;
const LOCK_NOT_AVAILABLE = "55P03";

export interface ApplyOptions {
  url: string;
  /** Files in the order to apply (already sorted by the caller). */
  files: readonly MigrationSource[];
  /** lock_timeout, in ms (default 5,000). */
  lockTimeoutMs?: number;
  /** statement_timeout, in ms (default 0: none). */
  statementTimeoutMs?: number;
  /** Attempts per file (or per statement outside a transaction) when a lock times out (default 5). */
  maxAttempts?: number;
  /** First backoff delay and its cap, in ms (defaults 500 and 10,000). */
  backoffMs?: number;
  maxBackoffMs?: number;
  dryRun?: boolean;
  log?: (line: string) => void;
}

interface AppliedMigration {
  file: string;
  checksum: string;
  /** Milliseconds; 0 in a dry run. */
  durationMs: number;
  /** Attempts it took (lock timeouts retried). */
  attempts: number;
  transaction: boolean;
}

export interface ApplyResult {
  applied: AppliedMigration[];
  /** Files already applied with the same checksum. */
  skipped: string[];
}

export function checksumOf(sql: string): string {
  return createHash("sha256").update(sql, "utf8").digest("hex");
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function readHistory(client: pg.Client): Promise<Map<string, string>> {
  const exists = await client.query("SELECT to_regclass($1) IS NOT NULL AS present", [HISTORY_TABLE]);
  if (!exists.rows[0].present) return new Map();
  const rows = await client.query(`SELECT file, checksum FROM ${HISTORY_TABLE}`);
  return new Map(rows.rows.map((r: { file: string; checksum: string }) => [r.file, r.checksum]));
}

export async function applyMigrations(options: ApplyOptions): Promise<ApplyResult> {
  const log = options.log ?? (() => undefined);
  const lockTimeout = options.lockTimeoutMs ?? 5000;
  const statementTimeout = options.statementTimeoutMs ?? 0;
  const maxAttempts = Math.max(1, options.maxAttempts ?? 5);
  const backoff = (attempt: number) => Math.min(options.maxBackoffMs ?? 10_000, (options.backoffMs ?? 500) * 2 ** (attempt - 1));
  const client = await connectDatabase(options.url);
  try {
    if (!options.dryRun) await client.query("SELECT pg_advisory_lock($1)", [APPLY_LOCK_KEY]);
    const history = await readHistory(client);
    const pending: MigrationSource[] = [];
    const skipped: string[] = [];
    for (const source of options.files) {
      const recorded = history.get(source.file);
      if (recorded === undefined) pending.push(source);
      else if (recorded === checksumOf(source.sql)) skipped.push(source.file);
      else {
        throw new SlipwayError("MIGRATION_CHECKSUM_CHANGED", `${source.file} was applied with checksum ${recorded.slice(0, 12)}… but the file now has ${checksumOf(source.sql).slice(0, 12)}…: it was edited after being applied.`);
      }
    }
    const applied: AppliedMigration[] = [];
    if (options.dryRun) {
      for (const source of pending) {
        await splitMigration(source);
        applied.push({ file: source.file, checksum: checksumOf(source.sql), durationMs: 0, attempts: 0, transaction: !optsOutOfTransaction(source.sql) });
      }
      return { applied, skipped };
    }
    await client.query(`CREATE TABLE IF NOT EXISTS ${HISTORY_TABLE} (
      file text PRIMARY KEY,
      checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now(),
      duration_ms integer NOT NULL
    )`);
    await client.query(`SET lock_timeout = ${Math.max(0, Math.round(lockTimeout))}`);
    await client.query(`SET statement_timeout = ${Math.max(0, Math.round(statementTimeout))}`);
    for (const source of pending) {
      const statements = await splitMigration(source);
      const transaction = !optsOutOfTransaction(source.sql);
      const started = performance.now();
      let attempts = 0;
      const runStatement = async (index: number) => {
        try {
          await client.query(statements[index]!.text);
        } catch (error) {
          (error as { statementIndex?: number }).statementIndex = index;
          throw error;
        }
      };
      const retrying = async (work: () => Promise<void>, undo: () => Promise<void>) => {
        for (let attempt = 1; ; attempt++) {
          attempts++;
          try {
            await work();
            return;
          } catch (error) {
            await undo();
            if (sqlStateOf(error) !== LOCK_NOT_AVAILABLE || attempt >= maxAttempts) throw failure(source, statements, error, attempt);
            const wait = backoff(attempt);
            log(`${source.file}: lock timeout (attempt ${attempt} of ${maxAttempts}); retrying in ${wait} ms.`);
            await sleep(wait);
          }
        }
      };
      if (transaction) {
        await retrying(
          async () => {
            await client.query("BEGIN");
            for (let i = 0; i < statements.length; i++) await runStatement(i);
            await client.query(`INSERT INTO ${HISTORY_TABLE} (file, checksum, duration_ms) VALUES ($1, $2, $3)`, [source.file, checksumOf(source.sql), Math.round(performance.now() - started)]);
            await client.query("COMMIT");
          },
          async () => {
            await client.query("ROLLBACK").catch(() => undefined);
          },
        );
      } else {
        for (let i = 0; i < statements.length; i++) await retrying(() => runStatement(i), async () => undefined);
        await client.query(`INSERT INTO ${HISTORY_TABLE} (file, checksum, duration_ms) VALUES ($1, $2, $3)`, [source.file, checksumOf(source.sql), Math.round(performance.now() - started)]);
      }
      const durationMs = Math.round(performance.now() - started);
      log(`Applied ${source.file} in ${durationMs} ms${transaction ? "" : " (no transaction)"}${attempts > 1 ? ` after ${attempts} attempts` : ""}.`);
      applied.push({ file: source.file, checksum: checksumOf(source.sql), durationMs, attempts, transaction });
    }
    return { applied, skipped };
  } finally {
    await client.end().catch(() => undefined);
  }
}

function failure(source: MigrationSource, statements: readonly { line: number }[], error: unknown, attempts: number): SlipwayError {
  if (error instanceof SlipwayError) return error;
  const index = (error as { statementIndex?: number }).statementIndex;
  const line = index === undefined ? 1 : statements[index]!.line;
  const state = sqlStateOf(error);
  const tried = state === LOCK_NOT_AVAILABLE ? ` (lock timeout on each of ${attempts} attempts)` : "";
  return new SlipwayError("MIGRATION_APPLY_FAILED", `${source.file}:${line}: ${(error as Error).message}${state ? ` [SQLSTATE ${state}]` : ""}${tried}.`, {
    cause: error,
  });
}

/**
 * What the store's areas share: the query builder, the backend, the clock,
 * a write-transaction helper, the job signal and value conversions between
 * records and rows.
 */
import { sql, type Kysely, type Transaction } from "kysely";
import { SlipwayError } from "../lib/index.js";
import type { Database } from "./schema.js";
import type { Backend, Clock, PageOptions } from "./store.js";
import type { MessageLogger } from "../lib/index.js";

export type Db = Kysely<Database>;

export interface StoreContext {
  db: Db;
  backend: Backend;
  clock: Clock;
  logger: MessageLogger;
  /**
   * Runs `fn` in a transaction that holds the write lock from its first
   * statement (SQLite: BEGIN IMMEDIATE; PostgreSQL: an ordinary transaction,
   * rows are locked by the statements themselves). Use only `trx` inside.
   */
  write<T>(fn: (trx: Db) => Promise<T>): Promise<T>;
  /** Tells listeners (on every replica) that jobs became claimable; call inside the enqueuing transaction. */
  signalJobs(trx: Db): Promise<void>;
  /** Subscribes to those signals; returns an unsubscribe function. */
  subscribeJobs(listener: () => void): () => void;
}

/** Runs `fn` in a write transaction for the given backend. */
export async function runWrite<T>(db: Db, backend: Backend, fn: (trx: Db) => Promise<T>): Promise<T> {
  if (backend === "postgres") {
    return db.transaction().execute((trx: Transaction<Database>) => fn(trx));
  }
  // Kysely's SQLite driver serialises every query over one connection; holding
  // that connection keeps other in-process queries out, and BEGIN IMMEDIATE
  // takes the file's write lock up front so other processes wait (busy_timeout)
  // instead of failing to upgrade a read lock mid-transaction.
  return db.connection().execute(async (conn) => {
    await sql`begin immediate`.execute(conn);
    try {
      const result = await fn(conn);
      await sql`commit`.execute(conn);
      return result;
    } catch (error) {
      await sql`rollback`.execute(conn).catch(() => undefined);
      throw error;
    }
  });
}

export function toIso(value: Date | string): string {
  return (typeof value === "string" ? new Date(value) : value).toISOString();
}

export function toIsoOrNull(value: Date | string | null | undefined): string | null {
  return value === null || value === undefined ? null : toIso(value);
}

export function nowIso(ctx: Pick<StoreContext, "clock">): string {
  return ctx.clock().toISOString();
}

export function addSeconds(iso: string, seconds: number): string {
  return new Date(Date.parse(iso) + seconds * 1000).toISOString();
}

/** Runner and job labels as stored: trimmed, lower-cased, without blanks or repeats. */
export function normaliseLabels(labels: string[]): string[] {
  return [...new Set(labels.map((l) => l.trim().toLowerCase()).filter((l) => l !== ""))];
}

export function toJson(value: unknown): string | null {
  return value === undefined || value === null ? null : JSON.stringify(value);
}

export function fromJson<T>(text: string | null | undefined): T | null {
  return text === null || text === undefined ? null : (JSON.parse(text) as T);
}

export function toNum(value: number | string | bigint): number {
  return typeof value === "number" ? value : Number(value);
}

export function toNumOrNull(value: number | string | bigint | null | undefined): number | null {
  return value === null || value === undefined ? null : toNum(value);
}

export function toBuffer(value: Buffer | Uint8Array | null | undefined): Buffer | null {
  if (value === null || value === undefined) return null;
  return Buffer.isBuffer(value) ? value : Buffer.from(value);
}

export function resolvePage(options: PageOptions | undefined): { limit: number; offset: number } {
  const perPage = Math.min(100, Math.max(1, Math.floor(options?.perPage ?? 30)));
  const page = Math.max(1, Math.floor(options?.page ?? 1));
  return { limit: perPage, offset: (page - 1) * perPage };
}

/** Rows affected by an insert/update/delete result, as a number. */
export function affected(result: { numUpdatedRows?: bigint; numDeletedRows?: bigint; numInsertedOrUpdatedRows?: bigint }): number {
  return Number(result.numUpdatedRows ?? result.numDeletedRows ?? result.numInsertedOrUpdatedRows ?? 0n);
}

const CONNECTION_ERRORS = new Set(["ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "ETIMEDOUT", "EPIPE", "EHOSTUNREACH", "57P01", "57P03", "53300"]);

/**
 * Turns a driver error into a user-facing one: unique violations become
 * CONFLICT, missing referenced rows NOT_FOUND, other database failures
 * DATABASE_ERROR. The driver's message stays in `cause` only, since it may
 * quote values. Anything else (a bug) is returned unchanged.
 */
export function translateError(error: unknown, operation: string): unknown {
  if (error instanceof SlipwayError || !(error instanceof Error)) return error;
  const code = String((error as { code?: unknown }).code ?? "");
  if (code === "23505" || code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY") {
    return new SlipwayError("CONFLICT", `${operation}: a record with the same key already exists`, { cause: error });
  }
  if (code === "23503" || code === "SQLITE_CONSTRAINT_FOREIGNKEY") {
    return new SlipwayError("NOT_FOUND", `${operation}: a record it refers to does not exist`, { cause: error });
  }
  if (code.startsWith("SQLITE_") || /^[0-9A-Z]{5}$/.test(code) || CONNECTION_ERRORS.has(code) || error.name === "DatabaseError") {
    return new SlipwayError("DATABASE_ERROR", `${operation}: the database failed (${code || error.name})`, { cause: error });
  }
  if (/Connection terminated|connect ECONNREFUSED|The database connection is not open|Cannot use a pool after calling end|driver has already been destroyed/i.test(error.message)) {
    return new SlipwayError("DATABASE_ERROR", `${operation}: the database is not reachable`, { cause: error });
  }
  return error;
}

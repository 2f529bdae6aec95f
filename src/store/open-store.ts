import { EventEmitter } from "node:events";
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from "node:fs";
import path from "node:path";
import SqliteDatabase from "better-sqlite3";
import { Kysely, PostgresDialect, SqliteDialect, sql } from "kysely";
import pg from "pg";
import { SlipwayError } from "../lib/index.js";
import { createAccountStore } from "./accounts.js";
import { createArtifactStore } from "./artifacts.js";
import { createAuditStore } from "./audit.js";
import { createCacheStore } from "./caches.js";
import { runWrite, toNum, translateError, type Db, type StoreContext } from "./context.js";
import { createDeploymentGateStore } from "./deployment-gates.js";
import { createDeploymentStore } from "./deployments.js";
import { createEnvironmentStore } from "./environments.js";
import { createFlagStore } from "./flags.js";
import { createFlagChangeStore } from "./flags-changes.js";
import { createFlagRolloutStore } from "./flag-rollouts.js";
import { createJobQueueStore } from "./job-queue.js";
import { createJobReportStore } from "./job-reports.js";
import { createRolloutStore } from "./rollouts.js";
import { createTestResultStore } from "./test-results.js";
import { createTestShardStore } from "./test-shards.js";
import { createTestStateStore } from "./test-states.js";
import { createJobStore } from "./jobs.js";
import { createLogStore } from "./logs.js";
import { migrate } from "./migrate.js";
import { PreparingClient } from "./postgres-client.js";
import { createRateLimitStore } from "./rate-limits.js";
import { createRepositoryStore } from "./repositories.js";
import { createRunLeaseStore } from "./run-leases.js";
import { createRunnerStore } from "./runners.js";
import { createRunStore } from "./runs.js";
import { createScheduleTickStore } from "./schedule-ticks.js";
import { createSecretFindingStore } from "./secret-findings.js";
import type { Database } from "./schema.js";
import { createSecretStore } from "./secrets.js";
import { createStepStore } from "./steps.js";
import type { Backend, Clock, Store } from "./store.js";
import { createVariableStore } from "./variables.js";
import { createActionsSettingsStore } from "./actions-settings.js";
import { createWebhookDeliveryStore } from "./webhook-deliveries.js";
import { createHookStore } from "./hooks.js";
import type { MessageLogger } from "../lib/index.js";

export interface OpenStoreOptions {
  /** `postgres://` or `postgresql://` URL; absent means SQLite at `<dataDir>/slipway.db`. */
  url?: string;
  dataDir: string;
  clock?: Clock;
  logger?: MessageLogger;
}

/** PostgreSQL channel that carries "jobs were enqueued" between replicas. */
const JOBS_CHANNEL = "slipway_jobs_available";
const SQLITE_FILE = "slipway.db";
/**
 * better-sqlite3 waits for a busy database synchronously, blocking the event
 * loop, and a lock holder in the same process cannot finish while it waits.
 * So the synchronous wait is short and the store retries a busy operation
 * asynchronously until BUSY_RETRY_MS have passed. Every store method writes
 * with one statement or inside one transaction, and a busy statement changed
 * nothing, so re-running the whole method is safe.
 */
const BUSY_TIMEOUT_MS = 20;
const BUSY_RETRY_MS = 15_000;
const RELISTEN_DELAY_MS = 1_000;

const silentLogger: MessageLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** Calls every listener; one that throws is logged and does not stop the others or the caller. */
function emitSafely(emitter: EventEmitter, logger: MessageLogger): void {
  for (const listener of emitter.listeners("jobs")) {
    try {
      (listener as () => void)();
    } catch (error) {
      logger.error(`store: a jobs-available listener failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

/** Delivers job-availability signals to in-process listeners; on PostgreSQL, fed by LISTEN. */
interface JobSignal {
  subscribe(listener: () => void): () => void;
  notify(trx: Db): Promise<void>;
  close(): Promise<void>;
}

function createLocalSignal(logger: MessageLogger): JobSignal {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  return {
    subscribe(listener) {
      emitter.on("jobs", listener);
      return () => emitter.off("jobs", listener);
    },
    // Called after the enqueuing transaction committed (see afterCommit in openStore).
    async notify() {
      emitSafely(emitter, logger);
    },
    async close() {
      emitter.removeAllListeners();
    },
  };
}

function createPostgresSignal(url: string, logger: MessageLogger): JobSignal {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  let client: pg.Client | null = null;
  let connecting: Promise<void> | null = null;
  let closed = false;

  let retryTimer: NodeJS.Timeout | null = null;

  function scheduleRetry(): void {
    if (closed || retryTimer) return;
    retryTimer = setTimeout(() => {
      retryTimer = null;
      if (emitter.listenerCount("jobs") > 0) ensureListening();
    }, RELISTEN_DELAY_MS);
    retryTimer.unref();
  }

  function dropConnection(lost: pg.Client): void {
    if (client === lost) client = null;
    void lost.end().catch(() => undefined);
    scheduleRetry();
  }

  // One dedicated connection holds LISTEN once anyone subscribed; it reconnects after failures.
  function ensureListening(): void {
    if (client || connecting || closed) return;
    const next = new pg.Client({ connectionString: url });
    next.on("notification", (message) => {
      if (message.channel === JOBS_CHANNEL) emitSafely(emitter, logger);
    });
    next.on("error", (error) => {
      logger.warn(`store: job notification connection failed (${error.message}); reconnecting`);
      dropConnection(next);
    });
    next.on("end", () => {
      if (client === next && !closed) dropConnection(next);
    });
    connecting = next
      .connect()
      .then(() => next.query(`LISTEN ${JOBS_CHANNEL}`))
      .then(() => {
        if (closed) {
          void next.end().catch(() => undefined);
          return;
        }
        client = next;
        // Anything enqueued while not listening would otherwise wait for the caller's periodic check.
        emitSafely(emitter, logger);
      })
      .catch((error: Error) => {
        logger.warn(`store: cannot listen for job notifications (${error.message}); retrying`);
        dropConnection(next);
      })
      .finally(() => {
        connecting = null;
      });
  }

  return {
    subscribe(listener) {
      emitter.on("jobs", listener);
      ensureListening();
      return () => emitter.off("jobs", listener);
    },
    async notify(trx) {
      // Delivered by PostgreSQL when the enqueuing transaction commits, to every replica.
      await sql`select pg_notify(${JOBS_CHANNEL}, '')`.execute(trx);
    },
    async close() {
      closed = true;
      emitter.removeAllListeners();
      if (retryTimer) clearTimeout(retryTimer);
      await connecting?.catch(() => undefined);
      const current = client;
      client = null;
      await current?.end().catch(() => undefined);
    },
  };
}

/**
 * The database file, and so its -wal and -shm files (SQLite gives them the
 * database file's mode), is 0600: it holds password and token hashes, logs
 * and the audit log. Existing files are tightened too.
 */
function openSqlite(dataDir: string): Db {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, SQLITE_FILE);
  closeSync(openSync(file, "a", 0o600));
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    if (existsSync(f)) chmodSync(f, 0o600);
  }
  const database = new SqliteDatabase(file);
  database.pragma("journal_mode = WAL");
  database.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  database.pragma("foreign_keys = ON");
  database.pragma("synchronous = NORMAL");
  database.pragma("cache_size = -32768");
  cacheStatements(database);
  return new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
}

/** Statements kept prepared, by SQL text (the store issues a few hundred distinct ones). */
const STATEMENT_CACHE_SIZE = 1000;

/**
 * Reuses prepared statements: Kysely prepares every query it runs, and
 * preparing costs more than running most of the store's queries. Safe
 * because the driver runs one query at a time on this connection and the
 * store never streams (a statement is never busy when it is handed out again).
 */
function cacheStatements(database: SqliteDatabase.Database): void {
  const prepare = database.prepare.bind(database);
  const cache = new Map<string, SqliteDatabase.Statement>();
  database.prepare = ((source: string) => {
    let statement = cache.get(source);
    if (statement) {
      // Most recently used last, so the oldest is evicted first.
      cache.delete(source);
    } else {
      statement = prepare(source);
      if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
    }
    cache.set(source, statement);
    return statement;
  }) as typeof database.prepare;
}

function openPostgres(url: string, logger: MessageLogger): Db {
  const pool = new pg.Pool({ connectionString: url, max: 10, Client: PreparingClient });
  // An idle client's failure (e.g. a server restart) must not crash the process; the next query reports it.
  pool.on("error", (error) => logger.warn(`store: idle database connection failed (${error.message})`));
  // The pool listens only to idle clients. A client checked out between two statements of a
  // transaction also hears the server end its connection (a shutdown, a failover): without a
  // listener of its own that 'error' event would end the process. The statement running on it,
  // or the next one, fails and reports the error; the pool then drops the client.
  pool.on("connect", (client) => client.on("error", () => undefined));
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

function detectBackend(url: string | undefined): Backend {
  if (url === undefined || url === "") return "sqlite";
  if (/^postgres(ql)?:\/\//i.test(url)) return "postgres";
  throw new SlipwayError("CONFIG_INVALID", "the database URL must start with postgres:// or postgresql://", {
    hint: "Leave the database URL unset to use the embedded SQLite database, or give a PostgreSQL URL.",
  });
}

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "SQLITE_BUSY" || code === "SQLITE_BUSY_SNAPSHOT" || code === "SQLITE_LOCKED";
}

async function retryBusy<T>(operation: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + BUSY_RETRY_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (!isBusy(error) || Date.now() > deadline) throw error;
      const delay = Math.min(100, 2 * attempt) + Math.random() * 10;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/** PostgreSQL deadlock and serialization failures roll the transaction back; running it again is safe. */
const PG_RETRYABLE = new Set(["40P01", "40001"]);
const PG_ATTEMPTS = 5;

async function retryRolledBack<T>(operation: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      const code = String((error as { code?: unknown } | null)?.code ?? "");
      if (!PG_RETRYABLE.has(code) || attempt >= PG_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, attempt * 5 + Math.random() * 20));
    }
  }
}

/** Methods that subscribe a listener and answer at once, unguarded. */
const SUBSCRIPTIONS = new Set(["onJobsAvailable", "onFlagSetChanged"]);

/** Wraps every method so driver failures surface as SlipwayErrors (see translateError). */
function guardMethods(store: Store, backend: Backend): Store {
  const guarded: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(store)) {
    if (typeof value !== "function") {
      guarded[name] = value;
      continue;
    }
    const method = value as (...args: unknown[]) => unknown;
    if (name === "readLog") {
      guarded[name] = (...args: unknown[]) => guardIterable(method(...args) as AsyncIterable<unknown>, name);
    } else if (SUBSCRIPTIONS.has(name)) {
      guarded[name] = method;
    } else {
      guarded[name] = async (...args: unknown[]) => {
        try {
          const operation = () => method(...args) as Promise<unknown>;
          return backend === "sqlite" ? await retryBusy(operation) : await retryRolledBack(operation);
        } catch (error) {
          throw translateError(error, name);
        }
      };
    }
  }
  return guarded as unknown as Store;
}

async function* guardIterable<T>(iterable: AsyncIterable<T>, name: string): AsyncGenerator<T> {
  try {
    yield* iterable;
  } catch (error) {
    throw translateError(error, name);
  }
}

/**
 * Opens the store: SQLite at `<dataDir>/slipway.db` (WAL, busy timeout,
 * foreign keys) without a URL, a PostgreSQL pool for a `postgres://` URL.
 * Runs pending migrations before resolving.
 */
export async function openStore(options: OpenStoreOptions): Promise<Store> {
  const backend = detectBackend(options.url);
  const logger = options.logger ?? silentLogger;
  const clock = options.clock ?? (() => new Date());
  let db: Db;
  try {
    db = backend === "postgres" ? openPostgres(options.url!, logger) : openSqlite(options.dataDir);
  } catch (error) {
    throw translateError(error, "openStore");
  }
  const signal = backend === "postgres" ? createPostgresSignal(options.url!, logger) : createLocalSignal(logger);
  // SQLite signals in-process, so it must wait for the commit; PostgreSQL's
  // NOTIFY is itself transactional and is delivered at commit.
  const afterCommit = new WeakMap<Db, Array<() => void>>();
  const ctx: StoreContext = {
    db,
    backend,
    clock,
    logger,
    async write(fn) {
      const callbacks: Array<() => void> = [];
      const result = await runWrite(db, backend, (trx) => {
        afterCommit.set(trx, callbacks);
        return fn(trx);
      });
      for (const callback of callbacks) callback();
      return result;
    },
    async signalJobs(trx) {
      if (backend === "postgres") return signal.notify(trx);
      const callbacks = afterCommit.get(trx);
      if (callbacks) callbacks.push(() => void signal.notify(trx));
      else await signal.notify(trx);
    },
    subscribeJobs: (listener) => signal.subscribe(listener),
  };
  try {
    const runMigrations = () => migrate(db, backend, () => clock().toISOString(), logger);
    await (backend === "sqlite" ? retryBusy(runMigrations) : runMigrations());
  } catch (error) {
    await db.destroy().catch(() => undefined);
    await signal.close();
    throw translateError(error, "openStore");
  }

  let closed = false;
  const store: Store = {
    backend,
    async schemaVersion() {
      const row = await db.selectFrom("slipway_migrations").select((eb) => eb.fn.max("version").as("v")).executeTakeFirst();
      return row?.v === null || row?.v === undefined ? 0 : toNum(row.v);
    },
    async ping() {
      await sql`select 1`.execute(db);
    },
    async close() {
      if (closed) return;
      closed = true;
      await signal.close();
      await db.destroy();
    },
    ...createRepositoryStore(ctx),
    ...createAccountStore(ctx),
    ...createRunnerStore(ctx),
    ...createRunStore(ctx),
    ...createJobStore(ctx),
    ...createStepStore(ctx),
    ...createJobQueueStore(ctx),
    ...createRunLeaseStore(ctx),
    ...createJobReportStore(ctx),
    ...createTestResultStore(ctx),
    ...createTestShardStore(ctx),
    ...createTestStateStore(ctx),
    ...createLogStore(ctx),
    ...createArtifactStore(ctx),
    ...createCacheStore(ctx),
    ...createSecretStore(ctx),
    ...createVariableStore(ctx),
    ...createEnvironmentStore(ctx),
    ...createDeploymentGateStore(ctx),
    ...createDeploymentStore(ctx),
    ...createFlagStore(ctx),
    ...createFlagChangeStore(ctx),
    ...createFlagRolloutStore(ctx),
    ...createWebhookDeliveryStore(ctx),
    ...createHookStore(ctx),
    ...createScheduleTickStore(ctx),
    ...createAuditStore(ctx),
    ...createRateLimitStore(ctx),
    ...createActionsSettingsStore(ctx),
    ...createSecretFindingStore(ctx),
    ...createRolloutStore(ctx),
  };
  return guardMethods(store, backend);
}

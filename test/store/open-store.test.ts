import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import SqliteDatabase from "better-sqlite3";
import { Kysely, SqliteDialect } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { SlipwayError } from "../../src/lib/index.js";
import { migrate, type Migration, MIGRATIONS, openStore } from "../../src/store/index.js";
import { postgresAvailable } from "../support/postgres.js";
import { describeBackends } from "./backends.js";

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "slipway-open-"));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function errorOf(promise: Promise<unknown>): Promise<SlipwayError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SlipwayError);
  return error as SlipwayError;
}

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

describe("openStore", () => {
  it("creates <dataDir>/slipway.db in WAL mode with foreign keys", async () => {
    const dataDir = path.join(tempDir(), "nested", "data");
    const store = await openStore({ dataDir });
    await store.close();
    const raw = new SqliteDatabase(path.join(dataDir, "slipway.db"), { readonly: true });
    try {
      expect(raw.pragma("journal_mode", { simple: true })).toBe("wal");
      const tables = raw.prepare("select name from sqlite_master where type = 'table'").all() as { name: string }[];
      expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(["workflow_runs", "jobs", "log_chunks", "slipway_migrations"]));
    } finally {
      raw.close();
    }
  });

  it("waits for another process's write lock without blocking the event loop", async () => {
    const dataDir = tempDir();
    const store = await openStore({ dataDir });
    const holder = spawn(
      process.execPath,
      [
        "-e",
        `const D = require("better-sqlite3");
         const db = new D(process.argv[1]);
         db.exec("begin immediate");
         db.prepare("insert into users (login, is_admin, created_at) values ('other', 0, 'x')").run();
         process.stdout.write("locked\\n");
         Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 600);
         db.exec("commit");
         db.close();`,
        path.join(dataDir, "slipway.db"),
      ],
      { cwd: process.cwd(), stdio: ["ignore", "pipe", "inherit"] },
    );
    await new Promise<void>((resolve, reject) => {
      holder.stdout!.on("data", (d: Buffer) => d.toString().includes("locked") && resolve());
      holder.once("exit", (code) => reject(new Error(`lock holder exited early (${code})`)));
    });
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 20);
    const started = Date.now();
    try {
      const user = await store.createUser({ login: "mine" });
      expect(user.login).toBe("mine");
      expect(Date.now() - started).toBeGreaterThan(300);
      expect(ticks).toBeGreaterThan(5);
      expect((await store.getUserByLogin("other"))?.login).toBe("other");
    } finally {
      clearInterval(ticker);
      holder.kill();
      await store.close();
    }
  });

  it("rejects a URL that is not PostgreSQL", async () => {
    const error = await errorOf(openStore({ url: "mysql://localhost/db", dataDir: tempDir() }));
    expect(error.code).toBe("CONFIG_INVALID");
  });

  it("reports an unreachable PostgreSQL as DATABASE_ERROR without echoing the password", async () => {
    const error = await errorOf(openStore({ url: "postgres://slipway:hunter2@127.0.0.1:1/slipway", dataDir: tempDir() }));
    expect(error.code).toBe("DATABASE_ERROR");
    expect(error.message).not.toContain("hunter2");
  });

  it("reports use after close as DATABASE_ERROR", async () => {
    const store = await openStore({ dataDir: tempDir() });
    await store.close();
    expect((await errorOf(store.countUsers())).code).toBe("DATABASE_ERROR");
  });
});

/** Versions need not be contiguous while migrations land; migrate answers the highest applied. */
const LATEST_VERSION = Math.max(...MIGRATIONS.map((m) => m.version));

describe("migrate", () => {
  it("applies new migrations in order and rolls a failing one back entirely", async () => {
    const database = new SqliteDatabase(path.join(tempDir(), "m.db"));
    const db = new Kysely<any>({ dialect: new SqliteDialect({ database }) });
    try {
      const now = () => "2026-01-01T00:00:00.000Z";
      expect(await migrate(db, "sqlite", now, silent)).toBe(LATEST_VERSION);
      const extra: Migration = {
        version: 1000,
        name: "add a table",
        up: async (m) => {
          await m.schema.createTable("extra").addColumn("x", "integer").execute();
        },
      };
      const broken: Migration = {
        version: 1001,
        name: "half done",
        up: async (m) => {
          await m.schema.createTable("half").addColumn("x", "integer").execute();
          throw new Error("boom");
        },
      };
      await expect(migrate(db, "sqlite", now, silent, [...MIGRATIONS, broken, extra])).rejects.toThrow("boom");
      const tables = () => (database.prepare("select name from sqlite_master where type = 'table'").all() as { name: string }[]).map((t) => t.name);
      expect(tables()).not.toContain("half");
      expect(tables()).not.toContain("extra");
      expect(await migrate(db, "sqlite", now, silent, [...MIGRATIONS, extra])).toBe(1000);
      expect(tables()).toContain("extra");
      expect(await migrate(db, "sqlite", now, silent, [...MIGRATIONS, extra])).toBe(1000);
    } finally {
      await db.destroy();
    }
  });
});

describe("migration 11", () => {
  it("makes the runners and registration tokens stored before scopes instance-wide", async () => {
    const database = new SqliteDatabase(path.join(tempDir(), "m.db"));
    const db = new Kysely<any>({ dialect: new SqliteDialect({ database }) });
    try {
      const now = () => "2026-01-01T00:00:00.000Z";
      await migrate(db, "sqlite", now, silent, MIGRATIONS.filter((m) => m.version < 11));
      database.exec(`
        insert into runners (name, labels, credential_hash, state, capacity, created_at) values ('old', '["linux"]', 'c', 'offline', 1, 'x');
        insert into runner_registration_tokens (token_hash, expires_at, created_at) values ('t', '2999-01-01T00:00:00Z', 'x');`);
      expect(await migrate(db, "sqlite", now, silent)).toBe(LATEST_VERSION);
      expect(database.prepare("select scope, repository_id from runners").all()).toEqual([{ scope: "instance", repository_id: null }]);
      expect(database.prepare("select scope, repository_id from runner_registration_tokens").all()).toEqual([{ scope: "instance", repository_id: null }]);
    } finally {
      await db.destroy();
    }
  });
});

describe("migration 2", () => {
  it("backfills log chunk offsets in step and sequence order", async () => {
    const database = new SqliteDatabase(path.join(tempDir(), "m.db"));
    const db = new Kysely<any>({ dialect: new SqliteDialect({ database }) });
    try {
      const now = () => "2026-01-01T00:00:00.000Z";
      await migrate(db, "sqlite", now, silent, MIGRATIONS.filter((m) => m.version === 1));
      database.exec(`
        insert into repositories (owner, name, git_url, default_branch, created_at, updated_at) values ('o', 'r', 'g', 'main', 'x', 'x');
        insert into workflow_runs (repository_id, workflow_file, workflow_name, run_number, event, head_sha, status, created_at, updated_at)
          values (1, 'ci.yml', 'CI', 1, 'push', 'abc', 'queued', 'x', 'x');
        insert into jobs (run_id, attempt, job_key, name, needs, status, labels, created_at) values (1, 1, 'a', 'a', '[]', 'queued', '[]', 'x');
        insert into log_chunks (job_id, step, seq, size, data, created_at) values
          (1, 2, 0, 3, x'616263', 'x'), (1, 1, 1, 2, x'6465', 'x'), (1, 1, 0, 4, x'66676869', 'x');`);
      expect(await migrate(db, "sqlite", now, silent)).toBe(LATEST_VERSION);
      const rows = database.prepare("select step, seq, job_offset from log_chunks order by job_offset").all();
      expect(rows).toEqual([
        { step: 1, seq: 0, job_offset: 0 },
        { step: 1, seq: 1, job_offset: 4 },
        { step: 2, seq: 0, job_offset: 6 },
      ]);
    } finally {
      await db.destroy();
    }
  });
});

describe("test PostgreSQL support", () => {
  const saved = { PATH: process.env.PATH, CI: process.env.CI };
  afterEach(() => {
    process.env.PATH = saved.PATH;
    if (saved.CI === undefined) delete process.env.CI;
    else process.env.CI = saved.CI;
  });

  it("skips with a notice without the binaries, but fails under CI=true", () => {
    process.env.PATH = tempDir();
    delete process.env.CI;
    expect(postgresAvailable()).toBe(false);
    process.env.CI = "true";
    expect(() => postgresAvailable()).toThrow(/CI=true/);
  });
});

describeBackends("store lifecycle", (h) => {
  it("closes idempotently", async () => {
    const store = await h.open();
    await store.close();
    await store.close();
    expect((await errorOf(store.ping())).code).toBe("DATABASE_ERROR");
  });
});

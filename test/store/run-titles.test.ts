import path from "node:path";
import os from "node:os";
import { mkdtempSync, rmSync } from "node:fs";
import SqliteDatabase from "better-sqlite3";
import { Kysely, SqliteDialect } from "kysely";
import { afterAll, describe, expect, it } from "vitest";
import { migrate, MIGRATIONS, type NewRun, type Store } from "../../src/store/index.js";
import { describeBackends } from "./backends.js";

async function seed(store: Store): Promise<NewRun> {
  const repo = await store.createRepository({ owner: "acme", name: "app", gitUrl: "g" });
  return { repositoryId: repo.id, workflowFile: ".github/workflows/ci.yml", workflowName: "CI", event: "push", headBranch: "main", headSha: "abc", actor: "dev" };
}

describeBackends("store run titles", (h) => {
  it("keeps the title given at creation, and null when none was given", async () => {
    const store = await h.open();
    const base = await seed(store);
    const titled = await store.createRun({ ...base, displayTitle: "Fix the login form" });
    const untitled = await store.createRun(base);
    expect(titled.displayTitle).toBe("Fix the login form");
    expect(untitled.displayTitle).toBeNull();
    expect((await store.getRun(titled.id))?.displayTitle).toBe("Fix the login form");
    const listed = await store.listRuns({ repositoryId: base.repositoryId });
    expect(listed.items.map((r) => r.displayTitle)).toEqual([null, "Fix the login form"]);
  });

  it("changes the title with updateRun and keeps it through a re-run attempt", async () => {
    const store = await h.open();
    const base = await seed(store);
    const run = await store.createRun({ ...base, displayTitle: "CI" });
    expect((await store.updateRun(run.id, { displayTitle: "Deploy staging" }))?.displayTitle).toBe("Deploy staging");
    // A patch without the field leaves it alone.
    await store.updateRun(run.id, { status: "completed", conclusion: "success" });
    const next = await store.startRunAttempt(run.id);
    expect(next.runAttempt).toBe(2);
    expect(next.displayTitle).toBe("Deploy staging");
  });

  it("stores long and non-ASCII titles unchanged", async () => {
    const store = await h.open();
    const base = await seed(store);
    const title = `Übersetzung 🚀 ${"x".repeat(240)}`;
    const run = await store.createRun({ ...base, displayTitle: title });
    expect((await store.getRun(run.id))?.displayTitle).toBe(title);
  });
});

describe("migration 9", () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("adds a nullable display_title: runs stored before it read as untitled", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "slipway-m9-"));
    dirs.push(dir);
    const database = new SqliteDatabase(path.join(dir, "m.db"));
    const db = new Kysely<any>({ dialect: new SqliteDialect({ database }) });
    const silent = { info() {}, warn() {}, error() {} };
    try {
      const now = () => "2026-01-01T00:00:00.000Z";
      await migrate(db, "sqlite", now, silent, MIGRATIONS.filter((m) => m.version < 9));
      database.exec(`
        insert into repositories (owner, name, git_url, default_branch, created_at, updated_at) values ('o', 'r', 'g', 'main', 'x', 'x');
        insert into workflow_runs (repository_id, workflow_file, workflow_name, run_number, event, head_sha, status, created_at, updated_at)
          values (1, 'ci.yml', 'CI', 1, 'push', 'abc', 'queued', 'x', 'x');`);
      await migrate(db, "sqlite", now, silent);
      expect(database.prepare("select display_title from workflow_runs").all()).toEqual([{ display_title: null }]);
      const applied = database.prepare("select version, name from slipway_migrations where version = 9").all();
      expect(applied).toEqual([{ version: 9, name: "run display titles" }]);
    } finally {
      await db.destroy();
    }
  });
});

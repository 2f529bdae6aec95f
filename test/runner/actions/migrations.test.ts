/**
 * `slipway/migrations@v1` with a database, through `slipway run` on temporary
 * repositories: the expand/contract check against the base commit, replay on
 * a throwaway database, and `mode: apply` against a real PostgreSQL. The
 * database URL and its password never reach the output.
 */
import fs from "node:fs";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { runCli } from "../../support/cli.js";
import { git, makeRepo } from "../../support/git-repo.js";
import { postgresAvailable, startPostgres, type PostgresCluster } from "../../support/postgres.js";

const PASSWORD = "pw-0f3a9c-never-printed";

function gateWorkflow(inputs: string): Record<string, string> {
  return {
    ".github/workflows/db.yml": `on: push
jobs:
  db:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
      - id: gate
        uses: slipway/migrations@v1
        with:
          files: db/*.sql
${inputs}`,
  };
}

function commitFiles(dir: string, files: Record<string, string>): void {
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), content);
  }
  git(dir, "add", "-A");
  git(dir, "commit", "-q", "-m", "change");
}

type Run = { jobs: Array<{ steps: Array<{ id?: string; conclusion: string; outputs: Record<string, string> }> }> };
const gateOf = (json: Run) => json.jobs[0]!.steps.find((s) => s.id === "gate")!;

const schema = "SET lock_timeout = '1s';\nSET statement_timeout = '5s';\nCREATE TABLE accounts (id bigint PRIMARY KEY, email text NOT NULL, legacy_name text);\n";

describe("backward compatibility", () => {
  test("dropping a column the base has breaks the running release, unless marked as the contract step", async () => {
    const repo = makeRepo({ ...gateWorkflow("          exclude-rules: ban-drop-column\n          assume-in-transaction: true\n"), "db/001_accounts.sql": schema });
    commitFiles(repo, { "db/002_drop.sql": "SET lock_timeout = '1s';\nSET statement_timeout = '5s';\nALTER TABLE accounts DROP COLUMN legacy_name;\n" });
    const broken = await runCli(["run", "--json"], { cwd: repo });
    expect(broken.code).toBe(1);
    expect(gateOf(broken.json as Run).outputs).toMatchObject({ breaking: "1" });
    expect(broken.stderr).toMatch(/db\/002_drop\.sql:3:1.*breaks-running-release.*Drops column accounts\.legacy_name/);

    commitFiles(repo, { "db/002_drop.sql": "SET lock_timeout = '1s';\nSET statement_timeout = '5s';\n-- slipway: contract\nALTER TABLE accounts DROP COLUMN legacy_name;\n" });
    const contract = await runCli(["run", "--json"], { cwd: repo });
    expect(contract.code, contract.stderr).toBe(0);
    expect(gateOf(contract.json as Run).outputs).toMatchObject({ breaking: "0" });
  }, 120_000);
});

describe.runIf(postgresAvailable())("with a database", () => {
  let cluster: PostgresCluster | null = null;
  beforeAll(async () => {
    cluster = await startPostgres();
  }, 120_000);
  afterAll(async () => cluster?.stop());

  const withPassword = (url: string) => url.replace("postgres@", `postgres:${PASSWORD}@`);

  test("replays the changed migration on a throwaway database, annotates a rewrite at its line, and never prints the URL", async () => {
    const url = withPassword(cluster!.url);
    const repo = makeRepo({ ...gateWorkflow("          database-url: ${{ vars.DB }}\n          exclude-rules: changing-column-type\n          backward-compatibility: false\n"), "db/001_accounts.sql": schema });
    commitFiles(repo, { "db/002_widen.sql": "SET lock_timeout = '1s';\nSET statement_timeout = '5s';\nALTER TABLE accounts ALTER COLUMN email TYPE varchar(320);\n" });
    const r = await runCli(["run", "--json", "--var", `DB=${url}`], { cwd: repo });
    expect(r.code).toBe(1);
    expect(gateOf(r.json as Run).outputs).toMatchObject({ "replay-findings": "1" });
    expect(r.stderr).toMatch(/db\/002_widen\.sql:3:1.*replay-table-rewrite.*Rewrites accounts/);
    expect(r.stderr).toMatch(/db\/002_widen\.sql:3:1.*replay-access-exclusive.*Takes ACCESS EXCLUSIVE on accounts for \d+ ms/);
    expect(r.stderr + r.stdout).not.toContain(PASSWORD);
    expect(r.stderr + r.stdout).not.toContain(url);
  }, 120_000);

  test("mode: apply lists pending files in a dry run, then applies them with a history, and a later edit is refused", async () => {
    const url = withPassword(await cluster!.createDatabase());
    const inputs = (dryRun: boolean) => `          mode: apply\n          database-url: \${{ vars.DB }}\n          lock-timeout: 2s\n          statement-timeout: 30s\n          dry-run: ${dryRun}\n`;
    const repo = makeRepo({ ...gateWorkflow(inputs(true)), "db/001_accounts.sql": schema, "db/002_index.sql": "-- slipway: no-transaction\nCREATE INDEX CONCURRENTLY accounts_email_idx ON accounts (email);\n" });
    const dry = await runCli(["run", "--json", "--var", `DB=${url}`], { cwd: repo });
    expect(dry.code, dry.stderr).toBe(0);
    expect(gateOf(dry.json as Run).outputs).toMatchObject({ applied: "2", pending: "db/001_accounts.sql\ndb/002_index.sql" });

    commitFiles(repo, gateWorkflow(inputs(false)));
    const applied = await runCli(["run", "--json", "--var", `DB=${url}`], { cwd: repo });
    expect(applied.code, applied.stderr).toBe(0);
    expect(gateOf(applied.json as Run).outputs).toMatchObject({ applied: "2" });
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const history = await client.query("SELECT file FROM slipway_schema_history ORDER BY file");
    await client.end();
    expect(history.rows).toEqual([{ file: "db/001_accounts.sql" }, { file: "db/002_index.sql" }]);

    commitFiles(repo, { "db/001_accounts.sql": schema.replace("legacy_name text", "legacy_name varchar(80)") });
    const edited = await runCli(["run", "--json", "--var", `DB=${url}`], { cwd: repo });
    expect(edited.code).toBe(1);
    expect(edited.stderr).toContain("db/001_accounts.sql was applied with checksum");
    for (const out of [dry, applied, edited]) expect(out.stderr + out.stdout).not.toContain(PASSWORD);
  }, 120_000);
});

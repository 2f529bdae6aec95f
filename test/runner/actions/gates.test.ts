/**
 * The safety gates as built-in actions, through `slipway run` on temporary
 * repositories: findings become annotations on file and line, the step fails
 * unless told otherwise, outputs count what was found, and a secret's value
 * never reaches the output.
 */
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { runCli } from "../../support/cli.js";
import { git, makeRepo } from "../../support/git-repo.js";

// A key in AWS's access-key format, made up for this test.
const AWS_KEY = ["AKIA", "Z7VRSQ4TLX2PJM5N"].join("");

function workflow(steps: string): Record<string, string> {
  return {
    ".github/workflows/gates.yml": `on: push
jobs:
  gate:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
${steps}`,
  };
}

function commit(dir: string, files: Record<string, string>, message: string): void {
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), content);
  }
  git(dir, "add", "-A");
  git(dir, "commit", "-q", "-m", message);
}

type JsonStep = { id?: string; conclusion: string; outputs: Record<string, string> };
const stepOf = (json: { jobs: Array<{ steps: JsonStep[] }> }, id: string) => json.jobs[0]!.steps.find((s) => s.id === id)!;

describe("slipway/secret-scan", () => {
  test("finds a key in the workspace, annotates its file and line, fails the step, and never prints the key", async () => {
    const repo = makeRepo({
      ...workflow(`      - id: scan
        uses: slipway/secret-scan@v1
`),
      "src/config.js": `const region = "eu-west-1";\nconst accessKey = "${AWS_KEY}";\n`,
    });
    const r = await runCli(["run", "--json"], { cwd: repo });
    expect(r.code).toBe(1);
    expect(stepOf(r.json, "scan")).toMatchObject({ conclusion: "failure", outputs: { findings: "1" } });
    expect(r.stderr).toMatch(/src\/config\.js:2:\d+/);
    expect(r.stderr).toMatch(/aws/i);
    expect(r.stderr + r.stdout).not.toContain(AWS_KEY);
  });

  test("with scan: diff, reads only what the push added: a key committed earlier is not this change's finding", async () => {
    const repo = makeRepo({
      ...workflow(`      - id: scan
        uses: slipway/secret-scan@v1
        with:
          scan: diff
`),
      "old.txt": `key = "${AWS_KEY}"\n`,
    });
    commit(repo, { "README.md": "clean change\n" }, "docs");
    const clean = await runCli(["run", "--json"], { cwd: repo });
    expect(clean.code, clean.stderr).toBe(0);
    expect(stepOf(clean.json, "scan").outputs).toEqual({ findings: "0" });

    commit(repo, { "deploy.sh": `export AWS_ACCESS_KEY_ID=${AWS_KEY}\n` }, "deploy script");
    const dirty = await runCli(["run", "--json"], { cwd: repo });
    expect(dirty.code).toBe(1);
    expect(dirty.stderr).toMatch(/deploy\.sh:1:\d+/);
    expect(dirty.stderr).not.toContain(AWS_KEY);
  });
});

describe("slipway/migrations", () => {
  test("annotates an index built without CONCURRENTLY at its line and column, and passes a safe migration", async () => {
    const repo = makeRepo({
      ...workflow(`      - id: lint
        uses: slipway/migrations@v1
        with:
          files: db/migrations/*.sql
`),
      "db/migrations/001_users.sql": "-- users\nCREATE TABLE users (id bigint PRIMARY KEY, email text);\n",
      "db/migrations/002_index.sql": "SET lock_timeout = '2s';\nSET statement_timeout = '5s';\nCREATE INDEX users_email_idx ON users (email);\n",
    });
    const r = await runCli(["run", "--json"], { cwd: repo });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/db\/migrations\/002_index\.sql:3:\d+.*require-concurrent-index-creation/);
    const before = Number(stepOf(r.json, "lint").outputs.findings);
    expect(before).toBeGreaterThanOrEqual(1);

    commit(repo, { "db/migrations/002_index.sql": "SET lock_timeout = '2s';\nSET statement_timeout = '5s';\nCREATE INDEX CONCURRENTLY IF NOT EXISTS users_email_idx ON users (email);\n" }, "fix");
    const fixed = await runCli(["run", "--json"], { cwd: repo });
    expect(fixed.stderr).not.toMatch(/002_index\.sql:3:\d+.*require-concurrent-index-creation/);
    expect(Number(stepOf(fixed.json, "lint").outputs.findings)).toBeLessThan(before);
  });

  test("a pattern that matches nothing fails the step with a clear error, never a silent pass", async () => {
    const repo = makeRepo(workflow(`      - uses: slipway/migrations@v1
        with:
          files: nowhere/*.sql
`));
    const r = await runCli(["run", "--json"], { cwd: repo });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("No migration file matches nowhere/*.sql");
  });
});

describe("slipway/openapi-diff", () => {
  const spec = (withDelete: boolean) => `openapi: 3.0.3
info: { title: Pets, version: "1" }
paths:
  /pets/{id}:
    get:
      parameters:
        - { name: id, in: path, required: true, schema: { type: string } }
      responses:
        "200": { description: ok }
${withDelete ? `    delete:
      parameters:
        - { name: id, in: path, required: true, schema: { type: string } }
      responses:
        "204": { description: gone }
` : ""}`;

  test("fails on an operation removed since the base commit, with the change id, and passes a compatible change", async () => {
    const repo = makeRepo({
      ...workflow(`      - id: api
        uses: slipway/openapi-diff@v1
        with:
          spec: api/openapi.yaml
`),
      "api/openapi.yaml": spec(true),
    });
    commit(repo, { "api/openapi.yaml": spec(false) }, "drop delete");
    const r = await runCli(["run", "--json"], { cwd: repo });
    expect(r.code).toBe(1);
    expect(stepOf(r.json, "api").outputs).toMatchObject({ breaking: "true" });
    expect(r.stderr).toContain("api-removed-without-deprecation");
    expect(r.stderr).toMatch(/api\/openapi\.yaml/);

    commit(repo, { "api/openapi.yaml": spec(false).replace('"200": { description: ok }', '"200": { description: ok }\n        "404": { description: missing }') }, "document 404");
    const compatible = await runCli(["run", "--json"], { cwd: repo });
    expect(compatible.code, compatible.stderr).toBe(0);
    expect(stepOf(compatible.json, "api").outputs).toMatchObject({ breaking: "false" });
  });
  test("compares with the document a running service serves, and holds a deprecation to its window", async () => {
    // The deployed release serves its document; the change drops an operation that release still has.
    const served = http.createServer((_request, response) => response.writeHead(200, { "content-type": "application/yaml" }).end(spec(true)));
    await new Promise<void>((resolve) => served.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(served.address() as AddressInfo).port}/openapi.yaml`;
    try {
      const days = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);
      const deprecated = (sunset: string) =>
        spec(true).replace('        "204": { description: gone }', `        "204": { description: gone }\n      deprecated: true\n      x-sunset: "${sunset}"`);
      const step = `      - id: api
        uses: slipway/openapi-diff@v1
        with:
          spec: api/openapi.yaml
          base-spec: ${url}
          deprecation-days: 30
`;
      const repo = makeRepo({ ...workflow(step), "api/openapi.yaml": spec(false) });
      const removed = await runCli(["run", "--json"], { cwd: repo });
      expect(removed.code).toBe(1);
      expect(removed.stderr).toContain("api-removed-without-deprecation");
      expect(removed.stderr).toContain(url);

      commit(repo, { "api/openapi.yaml": deprecated(days(10)) }, "deprecate delete, sunset too soon");
      const tooSoon = await runCli(["run", "--json"], { cwd: repo });
      expect(tooSoon.code).toBe(1);
      expect(tooSoon.stderr).toContain("api-sunset-date-too-small");

      commit(repo, { "api/openapi.yaml": deprecated(days(60)) }, "deprecate delete, sunset after the window");
      const inWindow = await runCli(["run", "--json"], { cwd: repo });
      expect(inWindow.code, inWindow.stderr).toBe(0);
      expect(stepOf(inWindow.json, "api").outputs).toMatchObject({ breaking: "false" });
    } finally {
      served.close();
    }
  });

  test("says which URL could not be read, and why", async () => {
    const repo = makeRepo({
      ...workflow(`      - uses: slipway/openapi-diff@v1
        with:
          spec: api/openapi.yaml
          base-spec: http://127.0.0.1:9/openapi.json
`),
      "api/openapi.yaml": spec(false),
    });
    const r = await runCli(["run"], { cwd: repo });
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toContain("base-spec http://127.0.0.1:9/openapi.json: cannot be fetched");
  });

  test("refuses a deprecation window that is not a whole number of days, naming the input", async () => {
    const repo = makeRepo({
      ...workflow(`      - uses: slipway/openapi-diff@v1
        with:
          spec: api/openapi.yaml
          base-spec: api/openapi.yaml
          deprecation-days: two weeks
`),
      "api/openapi.yaml": spec(false),
    });
    const r = await runCli(["run"], { cwd: repo });
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toContain("deprecation-days must be a whole number of days (0 or more), got 'two weeks'");
  });
});

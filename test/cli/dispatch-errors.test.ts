/** `slipway dispatch` of an invalid workflow: every error listed as file:line:col, and the server's body with --json. */
import { rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeRepo } from "../support/git-repo.js";
import { apiCli } from "../support/api-cli.js";
import { ADMIN_TOKEN, auth, startTestServer, type TestServer } from "../server/helpers.js";

const BROKEN = `name: Broken
on: workflow_dispatch
jobs:
  build:
    runs-on: linux
    steps:
      - run: echo \${{ github.sha
  test:
    runs-on: linux
    needs: nowhere
    steps:
      - run: echo test
`;

let server: TestServer;
let source: string;
let url = "";
const cli = apiCli(() => url, ADMIN_TOKEN);

beforeAll(async () => {
  server = await startTestServer();
  source = makeRepo({ ".github/workflows/broken.yml": BROKEN }, { dir: `${server.dir}-repo` });
  const res = await server.app.inject({ method: "POST", url: "/api/v3/repos", headers: auth(ADMIN_TOKEN), payload: { owner: "acme", name: "widgets", git_url: `file://${source}` } });
  expect(res.statusCode).toBe(201);
  await server.app.listen({ port: 0, host: "127.0.0.1" });
  url = `http://127.0.0.1:${(server.app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await server.close();
  rmSync(source, { recursive: true, force: true });
});

describe("slipway dispatch of an invalid workflow", () => {
  it("lists each error as file:line:col: message and exits 1", async () => {
    const result = await cli(["dispatch", "acme/widgets", "broken.yml", "--ref", "main"]);
    expect(result.code).toBe(1);
    const placed = result.stderr.split("\n").filter((line) => /^\s+\.github\/workflows\/broken\.yml:\d+:\d+: \S/.test(line));
    expect(placed.length).toBeGreaterThanOrEqual(2);
    expect(result.stderr).toMatch(/broken\.yml:7:\d+: .*/);
    expect(result.stderr).toMatch(/broken\.yml:10:\d+: .*nowhere/);
  });

  it("prints the server's error body, errors[] with line and column, with --json", async () => {
    const result = await cli(["dispatch", "acme/widgets", "broken.yml", "--ref", "main", "--json"]);
    expect(result.code).toBe(1);
    const body = JSON.parse(result.stdout);
    expect(body.code).toBe("WORKFLOW_INVALID");
    expect(body.errors.length).toBeGreaterThanOrEqual(2);
    for (const e of body.errors) expect(e).toMatchObject({ file: ".github/workflows/broken.yml", line: expect.any(Number), column: expect.any(Number), message: expect.any(String) });
  });
});

/**
 * Secret scanning through a real server: pushes learned by polling are
 * scanned from the mirror, alerts come out of the API redacted, the pushed
 * commit's result fails until the alert is resolved, allow-listed paths
 * raise nothing, a resolved alert stays resolved, history scans report
 * their progress, and a scan under way when the server stops ends with it.
 */
import { randomInt } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { collectRequiredChecks, createPipeline, createSecretBox, pipelineConfigOf, secretScanConclusion, type Pipeline } from "../../src/server/index.js";
import type { Repository } from "../../src/store/index.js";
import { git, makeRepo } from "../support/git-repo.js";
import { ADMIN_TOKEN, SECRET_KEY, auth, startTestServer, type TestServer } from "./helpers.js";

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
/** An AWS access key id made at run time, so this file holds none a scanner would flag. */
function makeAwsKeyId(): string {
  let key = ["AK", "IA"].join("");
  while (key.length < 20) key += BASE32[randomInt(BASE32.length)];
  return key;
}

let server: TestServer | undefined;
let repoDir: string | undefined;
afterEach(async () => {
  await server?.close();
  if (repoDir) fs.rmSync(repoDir, { recursive: true, force: true });
  server = undefined;
  repoDir = undefined;
});

async function setup(files: Record<string, string> = { "README.md": "# widgets\n" }): Promise<{ pipeline: Pipeline; repo: Repository; dir: string; push: () => Promise<string> }> {
  let pipeline: Pipeline | undefined;
  server = await startTestServer({
    deps: ({ store, config }) => {
      pipeline = createPipeline({ store, secretBox: createSecretBox(Buffer.from(SECRET_KEY, "hex")), config: { ...pipelineConfigOf(config), schedules: false } });
      return { pipeline };
    },
  });
  const dir = makeRepo(files);
  repoDir = dir;
  const repo = await server.store.createRepository({ owner: "acme", name: "widgets", gitUrl: `file://${dir}`, pollingIntervalSeconds: 1 });
  let clock = Date.now();
  // The first look learns the heads; each later look turns a moved head into a push.
  await pipeline!.tick.polling(new Date(clock));
  const push = async () => {
    clock += 5000;
    expect(await pipeline!.tick.polling(new Date(clock))).toBe(1);
    await pipeline!.idle();
    await pipeline!.secretScanning.idle();
    return git(dir, "rev-parse", "HEAD");
  };
  return { pipeline: pipeline!, repo, dir, push };
}

function commitFile(dir: string, file: string, text: string, message: string): void {
  fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
  fs.writeFileSync(path.join(dir, file), text);
  git(dir, "add", "-A");
  git(dir, "commit", "-q", "-m", message);
}

describe("secret scanning on the server", () => {
  it("turns a pushed AWS key into an alert, never returns the key, and fails the commit until the alert is resolved", async () => {
    const { repo, dir, push } = await setup();
    const key = makeAwsKeyId();
    commitFile(dir, "config/aws.ini", `[default]\nregion = eu-west-1\naws_access_key_id = ${key}\n`, "add aws config");
    const sha = await push();

    const list = await server!.app.inject({ method: "GET", url: "/api/v3/repos/acme/widgets/secret-scanning/alerts", headers: auth(ADMIN_TOKEN) });
    expect(list.statusCode).toBe(200);
    expect(list.body).not.toContain(key);
    const alerts = list.json();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      number: 1,
      state: "open",
      resolution: null,
      secret_type: "aws-access-key-id",
      secret: "[redacted]",
      first_location_detected: { path: "config/aws.ini", start_line: 3, commit_sha: sha },
    });
    expect(alerts[0].fingerprint).toMatch(/^[0-9a-f]{64}$/);
    const locations = await server!.app.inject({ method: "GET", url: "/api/v3/repos/acme/widgets/secret-scanning/alerts/1/locations", headers: auth(ADMIN_TOKEN) });
    expect(locations.json()).toEqual([{ type: "commit", details: expect.objectContaining({ path: "config/aws.ini", start_line: 3, commit_sha: sha }) }]);
    expect(locations.body).not.toContain(key);

    // The pushed commit's result fails; a later clean push builds on it and still carries the alert.
    expect(await secretScanConclusion(server!.store, repo.id, sha)).toBe("failure");
    commitFile(dir, "README.md", "# widgets\n\nmore words\n", "docs");
    const next = await push();
    expect(await secretScanConclusion(server!.store, repo.id, next)).toBe("failure");
    expect(await secretScanConclusion(server!.store, repo.id, "f".repeat(40))).toBe("none");
    // An environment requiring `slipway/secret-scan` refuses to deploy the commit, naming the reason.
    const gate = (commit: string) => collectRequiredChecks(server!.store, { repositoryId: repo.id, sha: commit, names: ["slipway/secret-scan"], deployJobId: 0, deployRunId: 0 });
    expect(await gate(sha)).toEqual([{ name: "slipway/secret-scan", state: "failure", detail: "open secret-scanning alerts" }]);

    const bad = await server!.app.inject({ method: "PATCH", url: "/api/v3/repos/acme/widgets/secret-scanning/alerts/1", headers: auth(ADMIN_TOKEN), payload: { state: "resolved" } });
    expect(bad.statusCode).toBe(422);
    const resolved = await server!.app.inject({ method: "PATCH", url: "/api/v3/repos/acme/widgets/secret-scanning/alerts/1", headers: auth(ADMIN_TOKEN), payload: { state: "resolved", resolution: "revoked", resolution_comment: "rotated" } });
    expect(resolved.statusCode).toBe(200);
    expect(resolved.json()).toMatchObject({ state: "resolved", resolution: "revoked", resolution_comment: "rotated", resolved_by: { login: expect.any(String) } });
    expect(await secretScanConclusion(server!.store, repo.id, sha)).toBe("success");
    expect(await secretScanConclusion(server!.store, repo.id, next)).toBe("success");
    expect(await gate(next)).toEqual([{ name: "slipway/secret-scan", state: "success" }]);

    // The same key in the same file again (same fingerprint): the alert stays resolved, no new alert.
    commitFile(dir, "config/aws.ini", `[default]\naws_access_key_id = ${key}\n`, "move the key up");
    const again = await push();
    const after = (await server!.app.inject({ method: "GET", url: "/api/v3/repos/acme/widgets/secret-scanning/alerts", headers: auth(ADMIN_TOKEN) })).json();
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ number: 1, state: "resolved", resolution: "revoked" });
    expect(await secretScanConclusion(server!.store, repo.id, again)).toBe("success");
    const open = await server!.app.inject({ method: "GET", url: "/api/v3/repos/acme/widgets/secret-scanning/alerts?state=open", headers: auth(ADMIN_TOKEN) });
    expect(open.json()).toEqual([]);

    // Nothing the server stored holds the key.
    for (const file of fs.readdirSync(server!.dir, { recursive: true, withFileTypes: true })) {
      if (file.isFile() && !file.parentPath.includes(`${path.sep}mirrors${path.sep}`)) expect(fs.readFileSync(path.join(file.parentPath, file.name)).includes(key), file.name).toBe(false);
    }
  });

  it("raises nothing for a path the repository's .slipway/secret-scan.toml allows", async () => {
    const allow = `[extend]\nuseDefault = true\n\n[[allowlists]]\ndescription = "test fixtures"\npaths = ['''^fixtures/''']\n`;
    const { repo, dir, push } = await setup({ "README.md": "# widgets\n", ".slipway/secret-scan.toml": allow });
    commitFile(dir, "fixtures/aws.ini", `aws_access_key_id = ${makeAwsKeyId()}\n`, "add a fixture");
    const sha = await push();
    expect((await server!.store.listSecretAlerts(repo.id)).items).toEqual([]);
    expect(await secretScanConclusion(server!.store, repo.id, sha)).toBe("success");
  });

  it("scans the default branch's history on demand and shows its progress", async () => {
    const { repo, dir, pipeline } = await setup();
    for (let i = 0; i < 3; i++) commitFile(dir, `src/file-${i}.txt`, `line ${i}\n`, `change ${i}`);
    commitFile(dir, "deploy/env.sh", `export aws_access_key_id=${makeAwsKeyId()}\n`, "deploy script");
    commitFile(dir, "src/file-0.txt", "clean\n", "clean up");
    const started = await server!.app.inject({ method: "POST", url: "/api/v3/repos/acme/widgets/secret-scanning/scans", headers: auth(ADMIN_TOKEN), payload: {} });
    expect(started.statusCode).toBe(202);
    expect(started.json()).toMatchObject({ ref: "main", status: "queued" });
    await pipeline.secretScanning.idle();
    const done = await server!.app.inject({ method: "GET", url: `/api/v3/repos/acme/widgets/secret-scanning/scans/${started.json().id}`, headers: auth(ADMIN_TOKEN) });
    expect(done.json()).toMatchObject({ status: "completed", commits_total: 6, commits_scanned: 6, alerts_found: 1, sha: git(dir, "rev-parse", "HEAD"), error: null });
    const alerts = (await server!.store.listSecretAlerts(repo.id)).items;
    expect(alerts.map((a) => a.ruleId)).toEqual(["aws-access-key-id"]);
    const missing = await server!.app.inject({ method: "GET", url: "/api/v3/repos/acme/widgets/secret-scanning/scans/999", headers: auth(ADMIN_TOKEN) });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().code).toBe("SECRET_SCAN_NOT_FOUND");
  });

  it("ends a history scan under way when the pipeline stops, records it as failed to be started again, and scans again once started", async () => {
    const { dir, pipeline } = await setup();
    // A history long enough to be under way when the pipeline stops.
    const line = "const value = compute(previous, next) + offset; // nothing secret here\n";
    for (let i = 0; i < 4; i++) commitFile(dir, `src/big-${i}.ts`, line.repeat(150_000), `big ${i}`);
    const scanOf = async (id: number) => (await server!.app.inject({ method: "GET", url: `/api/v3/repos/acme/widgets/secret-scanning/scans/${id}`, headers: auth(ADMIN_TOKEN) })).json();
    const started = await server!.app.inject({ method: "POST", url: "/api/v3/repos/acme/widgets/secret-scanning/scans", headers: auth(ADMIN_TOKEN), payload: {} });
    const id = started.json().id as number;
    for (let i = 0; i < 6000 && (await scanOf(id)).status === "queued"; i++) await new Promise((r) => setTimeout(r, 5));
    expect((await scanOf(id)).status).toBe("in_progress");
    await pipeline.stop();
    expect(await scanOf(id)).toMatchObject({ status: "failed", error: "the server stopped during the scan; start it again" });

    await pipeline.start();
    const again = await server!.app.inject({ method: "POST", url: "/api/v3/repos/acme/widgets/secret-scanning/scans", headers: auth(ADMIN_TOKEN), payload: {} });
    await pipeline.secretScanning.idle();
    expect(await scanOf(again.json().id)).toMatchObject({ status: "completed", commits_total: 5, commits_scanned: 5, error: null });
    await pipeline.stop();
  }, 60_000);
});

import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createBlobStorage, sweepRetention } from "../../src/server/index.js";
import { ADMIN_TOKEN, auth, createUserWithToken, registerRepo, sampleRequest, startTestServer, type TestServer } from "./helpers.js";

let server: TestServer | undefined;
const temps: string[] = [];
afterEach(async () => {
  await server?.close();
  server = undefined;
  for (const t of temps.splice(0)) rmSync(t, { recursive: true, force: true });
});

async function registerRunner(s: TestServer, name: string): Promise<string> {
  const tokenRes = await s.app.inject({ method: "POST", url: "/api/v3/runners/registration-token", headers: auth(ADMIN_TOKEN) });
  const res = await s.app.inject({ method: "POST", url: "/api/v3/runner/register", payload: { token: tokenRes.json().token, name, labels: ["linux"] } });
  return res.json().credential;
}

interface Held {
  jobId: number;
  runId: number;
  headers: Record<string, string>;
}

/** Queues a run with the given jobs and claims each with the runner. */
async function claimJobs(s: TestServer, credential: string, keys: string[], run?: { branch?: string; payload?: unknown }): Promise<Held[]> {
  const repo = (await s.store.getRepositoryByName("acme", "widgets"))!;
  const created = await s.store.createRun({
    repositoryId: repo.id,
    workflowFile: ".github/workflows/ci.yml",
    workflowName: "CI",
    event: "push",
    headSha: "e".repeat(40),
    headBranch: run?.branch ?? "main",
    eventPayload: run?.payload ?? { ref: `refs/heads/${run?.branch ?? "main"}` },
  });
  await s.store.enqueueJobs(created.id, keys.map((key) => ({ key, name: key, labels: ["linux"], request: sampleRequest(key) })));
  const held: Held[] = [];
  for (const _ of keys) {
    const res = await s.app.inject({ method: "POST", url: "/api/v3/runner/jobs/claim", headers: auth(credential), payload: { wait_seconds: 0 } });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    held.push({ jobId: body.job.id, runId: body.run.id, headers: { ...auth(credential), "x-slipway-lease-token": body.lease_token } });
  }
  return held;
}

async function upload(s: TestServer, job: Held, name: string, files: Record<string, string | Buffer>, mode = "create", retentionDays?: number) {
  const payload = { name, mode, ...(retentionDays === undefined ? {} : { retention_days: retentionDays }) };
  const open = await s.app.inject({ method: "POST", url: `/api/v3/runner/jobs/${job.jobId}/artifacts`, headers: job.headers, payload });
  if (open.statusCode !== 201) return open;
  const uploadId = open.json().upload_id;
  for (const [p, data] of Object.entries(files)) {
    const put = await s.app.inject({
      method: "PUT",
      url: `/api/v3/runner/jobs/${job.jobId}/artifacts/uploads/${uploadId}/files?path=${encodeURIComponent(p)}`,
      headers: { ...job.headers, "content-type": "application/octet-stream" },
      payload: data,
    });
    if (put.statusCode !== 201) return put;
  }
  return s.app.inject({ method: "POST", url: `/api/v3/runner/jobs/${job.jobId}/artifacts/uploads/${uploadId}/finalize`, headers: job.headers, payload: {} });
}

async function setup(env: Record<string, string> = {}) {
  server = await startTestServer({ env: { SLIPWAY_CLAIM_WAIT_SECONDS: "0", ...env } });
  await registerRepo(server.app);
  const credential = await registerRunner(server, "r1");
  return { s: server, credential };
}

describe("artifacts on the runner protocol", () => {
  it("uploads files of an artifact, lists it for the run and serves its files to another job of the run", async () => {
    const { s, credential } = await setup();
    const [build, test] = await claimJobs(s, credential, ["build", "test"]);
    const done = await upload(s, build!, "dist", { "a.txt": "alpha", "sub/b.bin": Buffer.from([0, 1, 2, 255]) });
    expect(done.statusCode).toBe(201);
    const info = done.json();
    expect(info).toMatchObject({ name: "dist", size: 9 });
    expect(info.digest).toMatch(/^[0-9a-f]{64}$/);
    const row = (await s.store.listArtifacts(build!.runId))[0]!;
    expect(row.path).toMatch(new RegExp(`^artifacts/${build!.runId}/[0-9a-f]{24}$`));
    expect(readFileSync(path.join(s.dir, row.path, "files", "sub", "b.bin"))).toEqual(Buffer.from([0, 1, 2, 255]));
    // The default expiry is the server's retention.
    expect(Math.abs(Date.parse(row.expiresAt!) - Date.parse(row.createdAt) - 90 * 86_400_000)).toBeLessThan(5000);

    const list = await s.app.inject({ method: "GET", url: `/api/v3/runner/jobs/${test!.jobId}/artifacts`, headers: test!.headers });
    expect(list.json()).toMatchObject({ total_count: 1, artifacts: [{ id: info.id, name: "dist", size: 9, digest: info.digest }] });
    const files = await s.app.inject({ method: "GET", url: `/api/v3/runner/jobs/${test!.jobId}/artifacts/${info.id}/files`, headers: test!.headers });
    expect(files.json().files).toEqual([
      { path: "a.txt", size: 5 },
      { path: "sub/b.bin", size: 4 },
    ]);
    const file = await s.app.inject({ method: "GET", url: `/api/v3/runner/jobs/${test!.jobId}/artifacts/${info.id}/file?path=a.txt`, headers: test!.headers });
    expect(file.statusCode).toBe(200);
    expect(file.body).toBe("alpha");
    // The GitHub-shaped list now shows it.
    const api = await s.app.inject({ method: "GET", url: `/api/v3/repos/acme/widgets/actions/runs/${build!.runId}/artifacts`, headers: auth(ADMIN_TOKEN) });
    expect(api.json()).toMatchObject({ total_count: 1, artifacts: [{ id: info.id, name: "dist", size_in_bytes: 9, expired: false }] });
  });

  it("refuses traversal, absolute paths and forbidden characters in names and paths", async () => {
    const { s, credential } = await setup();
    const [job] = await claimJobs(s, credential, ["build"]);
    for (const name of ["a/b", "..", "x:y", "", "q?"]) {
      const res = await upload(s, job!, name, { "a.txt": "x" });
      expect(res.statusCode, name).toBe(400);
      expect(res.json().code).toBe("ARTIFACT_INVALID");
    }
    for (const p of ["../escape.txt", "/etc/passwd", "a/../../b", "a\\b", "a*b", "a//b"]) {
      const res = await upload(s, job!, "ok", { [p]: "x" });
      expect(res.statusCode, p).toBe(400);
      expect(res.json().code).toBe("ARTIFACT_INVALID");
    }
    expect(existsSync(path.join(s.dir, "escape.txt"))).toBe(false);
    expect(await s.store.listArtifacts(job!.runId)).toEqual([]);
  });

  it("v4: a second upload of a name conflicts unless it overwrites; v3 appends files", async () => {
    const { s, credential } = await setup();
    const [job] = await claimJobs(s, credential, ["build"]);
    expect((await upload(s, job!, "out", { "1.txt": "one" })).statusCode).toBe(201);
    const again = await upload(s, job!, "out", { "2.txt": "two" });
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe("ARTIFACT_ALREADY_EXISTS");
    const replaced = await upload(s, job!, "out", { "2.txt": "two" }, "replace");
    expect(replaced.statusCode).toBe(201);
    let rows = await s.store.listArtifacts(job!.runId);
    expect(rows.map((r) => [r.name, r.size])).toEqual([["out", 3]]);
    expect(readdirSync(path.join(s.dir, rows[0]!.path, "files"))).toEqual(["2.txt"]);
    const appended = await upload(s, job!, "out", { "3.txt": "three", "2.txt": "TWO!" }, "append");
    expect(appended.statusCode).toBe(201);
    rows = await s.store.listArtifacts(job!.runId);
    expect(rows).toHaveLength(1);
    expect(readdirSync(path.join(s.dir, rows[0]!.path, "files")).sort()).toEqual(["2.txt", "3.txt"]);
    expect(readFileSync(path.join(s.dir, rows[0]!.path, "files", "2.txt"), "utf8")).toBe("TWO!");
    expect(rows[0]!.size).toBe(9);
    // Only the newest copy is left on disk.
    const runDir = path.join(s.dir, "artifacts", String(job!.runId));
    expect(readdirSync(runDir).filter((n) => !n.startsWith("."))).toEqual([path.basename(rows[0]!.path)]);
  });

  it("enforces the per-artifact and per-run size limits with 413", async () => {
    const { s, credential } = await setup({ SLIPWAY_ARTIFACT_MAX_BYTES: "2000", SLIPWAY_RUN_ARTIFACTS_MAX_BYTES: "3000" });
    const [job] = await claimJobs(s, credential, ["build"]);
    const big = await upload(s, job!, "big", { "a.bin": Buffer.alloc(1200), "b.bin": Buffer.alloc(1200) });
    expect(big.statusCode).toBe(413);
    expect(big.json().code).toBe("QUOTA_EXCEEDED");
    expect((await upload(s, job!, "first", { "a.bin": Buffer.alloc(1800) })).statusCode).toBe(201);
    const second = await upload(s, job!, "second", { "a.bin": Buffer.alloc(1300) });
    expect(second.statusCode).toBe(413);
    expect(second.json().message).toContain("run's artifacts");
    expect((await s.store.listArtifacts(job!.runId)).map((a) => a.name)).toEqual(["first"]);
  });

  it("answers 409 to a runner whose lease is gone and 404 for another run's artifact", async () => {
    const { s, credential } = await setup();
    const [a] = await claimJobs(s, credential, ["a"]);
    const [b] = await claimJobs(s, credential, ["b"]);
    const info = (await upload(s, a!, "mine", { "x.txt": "x" })).json();
    const other = await s.app.inject({ method: "GET", url: `/api/v3/runner/jobs/${b!.jobId}/artifacts/${info.id}/files`, headers: b!.headers });
    expect(other.statusCode).toBe(404);
    const stale = await s.app.inject({
      method: "GET",
      url: `/api/v3/runner/jobs/${a!.jobId}/artifacts`,
      headers: { ...a!.headers, "x-slipway-lease-token": "not-the-lease" },
    });
    expect(stale.statusCode).toBe(409);
  });
});

describe("artifacts for people", () => {
  it("streams an artifact as a zip that unzip accepts, and deletes it with the write role only", async () => {
    const { s, credential } = await setup();
    const [job] = await claimJobs(s, credential, ["build"]);
    const payload = Buffer.alloc(300_000, 7);
    const info = (await upload(s, job!, "report", { "index.html": "<h1>hi</h1>", "data/blob.bin": payload })).json();
    const res = await s.app.inject({ method: "GET", url: `/api/v3/repos/acme/widgets/actions/artifacts/${info.id}/zip`, headers: auth(ADMIN_TOKEN) });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe("application/zip");
    expect(res.headers["content-disposition"]).toBe('attachment; filename="report.zip"');
    const dir = mkdtempSync(path.join(tmpdir(), "slipway-zip-"));
    temps.push(dir);
    writeFileSync(path.join(dir, "a.zip"), res.rawPayload);
    expect(execFileSync("unzip", ["-t", path.join(dir, "a.zip")], { encoding: "utf8" })).toContain("No errors detected");
    execFileSync("unzip", ["-q", path.join(dir, "a.zip"), "-d", path.join(dir, "out")]);
    expect(readFileSync(path.join(dir, "out", "index.html"), "utf8")).toBe("<h1>hi</h1>");
    expect(readFileSync(path.join(dir, "out", "data", "blob.bin")).equals(payload)).toBe(true);

    const repo = (await s.store.getRepositoryByName("acme", "widgets"))!;
    const reader = await createUserWithToken(s.store, "reader", { role: { repo, role: "read" } });
    const denied = await s.app.inject({ method: "DELETE", url: `/api/v3/repos/acme/widgets/actions/artifacts/${info.id}`, headers: auth(reader) });
    expect(denied.statusCode).toBe(403);
    const row = (await s.store.getArtifact(info.id))!;
    const del = await s.app.inject({ method: "DELETE", url: `/api/v3/repos/acme/widgets/actions/artifacts/${info.id}`, headers: auth(ADMIN_TOKEN) });
    expect(del.statusCode).toBe(204);
    expect(await s.store.getArtifact(info.id)).toBeNull();
    expect(existsSync(path.join(s.dir, row.path))).toBe(false);
    const gone = await s.app.inject({ method: "GET", url: `/api/v3/repos/acme/widgets/actions/artifacts/${info.id}/zip`, headers: auth(ADMIN_TOKEN) });
    expect(gone.statusCode).toBe(404);
  });

  it("answers 410 Gone for an artifact past its retention, as GitHub does", async () => {
    let now = new Date();
    server = await startTestServer({ env: { SLIPWAY_CLAIM_WAIT_SECONDS: "0" }, deps: { clock: () => now } });
    await registerRepo(server.app);
    const credential = await registerRunner(server, "r1");
    const [job] = await claimJobs(server, credential, ["build"]);
    const info = (await upload(server, job!, "short", { "a.txt": "x" }, "create", 1)).json();
    const url = `/api/v3/repos/acme/widgets/actions/artifacts/${info.id}/zip`;
    expect((await server.app.inject({ method: "GET", url, headers: auth(ADMIN_TOKEN) })).statusCode).toBe(200);
    now = new Date(now.getTime() + 2 * 86_400_000);
    const expired = await server.app.inject({ method: "GET", url, headers: auth(ADMIN_TOKEN) });
    expect(expired.statusCode).toBe(410);
    expect(expired.json()).toMatchObject({ code: "ARTIFACT_EXPIRED", message: "Artifact short has expired" });
    expect(expired.json().hint).toContain("re-run the workflow");
  });
});

async function putCache(s: TestServer, job: Held, key: string, version: string, data: string) {
  return s.app.inject({
    method: "PUT",
    url: `/api/v3/runner/jobs/${job.jobId}/caches`,
    headers: { ...job.headers, "content-type": "application/octet-stream", "x-slipway-cache-key": encodeURIComponent(key), "x-slipway-cache-version": version },
    payload: data,
  });
}

async function lookup(s: TestServer, job: Held, keys: string[], version = "v1") {
  return s.app.inject({ method: "POST", url: `/api/v3/runner/jobs/${job.jobId}/caches/lookup`, headers: job.headers, payload: { keys, version } });
}

describe("caches", () => {
  it("restores by exact key, then by prefix newest first, from the run's branch then the default branch", async () => {
    const { s, credential } = await setup();
    const [onMain] = await claimJobs(s, credential, ["save-main"]);
    expect((await putCache(s, onMain!, "deps-linux-aaa", "v1", "main-old")).statusCode).toBe(201);
    await new Promise((r) => setTimeout(r, 5));
    expect((await putCache(s, onMain!, "deps-linux-bbb", "v1", "main-new")).statusCode).toBe(201);
    // The same key again is refused: entries are immutable.
    const dup = await putCache(s, onMain!, "deps-linux-bbb", "v1", "again");
    expect(dup.statusCode).toBe(409);

    const [onFeature] = await claimJobs(s, credential, ["feature"], { branch: "feature" });
    expect((await lookup(s, onFeature!, ["deps-linux-aaa"])).json()).toMatchObject({ key: "deps-linux-aaa", ref: "refs/heads/main" });
    expect((await lookup(s, onFeature!, ["deps-linux-zzz", "deps-linux-"])).json()).toMatchObject({ key: "deps-linux-bbb" });
    expect((await lookup(s, onFeature!, ["deps-linux-aaa"], "other-version")).statusCode).toBe(204);
    expect((await lookup(s, onFeature!, ["nothing"])).statusCode).toBe(204);
    // A cache saved on the feature branch wins there, but is invisible from main.
    expect((await putCache(s, onFeature!, "deps-linux-ccc", "v1", "feature")).statusCode).toBe(201);
    const hit = (await lookup(s, onFeature!, ["deps-linux-"])).json();
    expect(hit).toMatchObject({ key: "deps-linux-ccc", ref: "refs/heads/feature" });
    const archive = await s.app.inject({ method: "GET", url: `/api/v3/runner/jobs/${onFeature!.jobId}/caches/${hit.id}/archive`, headers: onFeature!.headers });
    expect(archive.body).toBe("feature");
    const [mainAgain] = await claimJobs(s, credential, ["main-again"]);
    expect((await lookup(s, mainAgain!, ["deps-linux-ccc"])).statusCode).toBe(204);
    expect((await lookup(s, mainAgain!, ["deps-linux-"])).json().key).toBe("deps-linux-bbb");
    const hidden = await s.app.inject({ method: "GET", url: `/api/v3/runner/jobs/${mainAgain!.jobId}/caches/${hit.id}/archive`, headers: mainAgain!.headers });
    expect(hidden.statusCode).toBe(404);
    // Keys travel in headers and bodies, never in logged URLs.
    expect(s.logs.join("\n")).not.toContain("deps-linux-aaa");
  });

  it("lists caches GitHub's way and deletes them by id or key", async () => {
    const { s, credential } = await setup();
    const [job] = await claimJobs(s, credential, ["save"]);
    for (const key of ["npm-1", "npm-2", "pip-1"]) expect((await putCache(s, job!, key, "v1", key)).statusCode).toBe(201);
    const all = await s.app.inject({ method: "GET", url: "/api/v3/repos/acme/widgets/actions/caches?sort=size_in_bytes&direction=asc", headers: auth(ADMIN_TOKEN) });
    expect(all.json().total_count).toBe(3);
    expect(all.json().actions_caches[0]).toMatchObject({ ref: "refs/heads/main", version: "v1", size_in_bytes: 5 });
    const npm = await s.app.inject({ method: "GET", url: "/api/v3/repos/acme/widgets/actions/caches?key=npm-", headers: auth(ADMIN_TOKEN) });
    expect(npm.json().actions_caches.map((c: { key: string }) => c.key).sort()).toEqual(["npm-1", "npm-2"]);
    const usage = await s.app.inject({ method: "GET", url: "/api/v3/repos/acme/widgets/actions/cache/usage", headers: auth(ADMIN_TOKEN) });
    expect(usage.json()).toEqual({ full_name: "acme/widgets", active_caches_size_in_bytes: 15, active_caches_count: 3 });
    const byKey = await s.app.inject({ method: "DELETE", url: "/api/v3/repos/acme/widgets/actions/caches?key=npm-1", headers: auth(ADMIN_TOKEN) });
    expect(byKey.json()).toMatchObject({ total_count: 1, actions_caches: [{ key: "npm-1" }] });
    const id = npm.json().actions_caches.find((c: { key: string }) => c.key === "npm-2").id;
    expect((await s.app.inject({ method: "DELETE", url: `/api/v3/repos/acme/widgets/actions/caches/${id}`, headers: auth(ADMIN_TOKEN) })).statusCode).toBe(204);
    expect((await s.app.inject({ method: "DELETE", url: "/api/v3/repos/acme/widgets/actions/caches?key=npm-1", headers: auth(ADMIN_TOKEN) })).statusCode).toBe(404);
    const left = await s.app.inject({ method: "GET", url: "/api/v3/repos/acme/widgets/actions/caches", headers: auth(ADMIN_TOKEN) });
    expect(left.json().actions_caches.map((c: { key: string }) => c.key)).toEqual(["pip-1"]);
    expect(readdirSync(path.join(s.dir, "caches", String((await s.store.getRepositoryByName("acme", "widgets"))!.id)))).toHaveLength(1);
  });

  it("refuses a cache archive over the repository limit", async () => {
    const { s, credential } = await setup();
    s.config.repositoryCacheMaxBytes = 100;
    const [job] = await claimJobs(s, credential, ["save"]);
    const res = await putCache(s, job!, "big", "v1", "x".repeat(101));
    expect(res.statusCode).toBe(413);
    expect(res.json().code).toBe("QUOTA_EXCEEDED");
    expect((await s.store.listCacheEntries((await s.store.getRepositoryByName("acme", "widgets"))!.id)).totalCount).toBe(0);
  });
});

describe("retention sweep", () => {
  it("deletes expired artifacts, idle or excess caches, old runs' logs and abandoned uploads, by the injected clock", async () => {
    let now = new Date();
    const { s, credential } = await setup();
    const [job] = await claimJobs(s, credential, ["build"]);
    const short = await s.app.inject({ method: "POST", url: `/api/v3/runner/jobs/${job!.jobId}/artifacts`, headers: job!.headers, payload: { name: "short", retention_days: 1 } });
    const uploadId = short.json().upload_id;
    await s.app.inject({ method: "PUT", url: `/api/v3/runner/jobs/${job!.jobId}/artifacts/uploads/${uploadId}/files?path=a`, headers: { ...job!.headers, "content-type": "application/octet-stream" }, payload: "a" });
    await s.app.inject({ method: "POST", url: `/api/v3/runner/jobs/${job!.jobId}/artifacts/uploads/${uploadId}/finalize`, headers: job!.headers, payload: {} });
    await upload(s, job!, "long", { b: "b" });
    // An upload session never finalized.
    await s.app.inject({ method: "POST", url: `/api/v3/runner/jobs/${job!.jobId}/artifacts`, headers: job!.headers, payload: { name: "abandoned" } });
    for (const [key, size] of [["old", 10], ["a", 40], ["b", 40], ["c", 40]] as const) {
      expect((await putCache(s, job!, key, "v1", "x".repeat(size))).statusCode).toBe(201);
    }
    await s.store.appendLogChunk({ jobId: job!.jobId, step: 1, seq: 1, data: "hello" });
    const repoId = (await s.store.getRepositoryByName("acme", "widgets"))!.id;
    const blobs = createBlobStorage(s.dir);
    const sweep = (maxBytes: number) => sweepRetention({ store: s.store, blobs, now: () => now, retentionDays: 30, repositoryCacheMaxBytes: maxBytes });

    // Nothing is due yet.
    expect(await sweep(1000)).toEqual({ artifacts: 0, caches: 0, logs: 0, uploads: 0, orphans: 0, hookDeliveries: 0 });
    // Over the size limit: least recently used first, until the rest fits.
    const used = (await s.store.listCacheEntries(repoId)).items.find((e) => e.key === "old")!;
    expect(used).toBeDefined();
    await lookup(s, job!, ["old"]); // touches "old": now the newest use
    expect((await sweep(80)).caches).toBe(2);
    expect((await s.store.listCacheEntries(repoId)).items.map((e) => e.key).sort()).toEqual(["c", "old"]);

    now = new Date(now.getTime() + 2 * 86_400_000);
    const r2 = await sweep(1000);
    expect(r2).toMatchObject({ artifacts: 1, caches: 0, uploads: 1 });
    expect((await s.store.listArtifacts(job!.runId)).map((a) => a.name)).toEqual(["long"]);
    expect(readdirSync(path.join(s.dir, "artifacts", String(job!.runId), ".uploads"))).toEqual([]);

    now = new Date(now.getTime() + 6 * 86_400_000);
    expect((await sweep(1000)).caches).toBe(2);
    expect(readdirSync(path.join(s.dir, "caches", String(repoId)))).toEqual([]);

    // Logs go with runs older than the retention, once the run is over.
    const complete = await s.app.inject({ method: "POST", url: `/api/v3/runner/jobs/${job!.jobId}/complete`, headers: job!.headers, payload: { result: { conclusion: "success", outputs: {}, steps: [] } } });
    expect(complete.statusCode).toBe(200);
    now = new Date(now.getTime() + 31 * 86_400_000);
    const r4 = await sweep(1000);
    expect(r4.logs).toBe(1);
    // The run is past the retention: what is left of its artifacts goes too.
    expect(r4.artifacts).toBe(1);
    expect(await s.store.listArtifacts(job!.runId)).toEqual([]);
    expect(readdirSync(path.join(s.dir, "artifacts", String(job!.runId))).filter((n) => !n.startsWith("."))).toEqual([]);
  });

  it("removes files whose rows are gone: deleted runs, stray archives", async () => {
    const { s, credential } = await setup();
    const [kept] = await claimJobs(s, credential, ["kept"]);
    const [doomed] = await claimJobs(s, credential, ["doomed"]);
    expect((await upload(s, kept!, "a", { "x.txt": "x" })).statusCode).toBe(201);
    expect((await upload(s, doomed!, "b", { "y.txt": "y" })).statusCode).toBe(201);
    expect((await putCache(s, kept!, "k", "v1", "data")).statusCode).toBe(201);
    const repoId = (await s.store.getRepositoryByName("acme", "widgets"))!.id;
    const stray = path.join(s.dir, "caches", String(repoId), "stray.tar");
    writeFileSync(stray, "left behind");
    const old = new Date(Date.now() - 3 * 86_400_000);
    utimesSync(stray, old, old);
    writeFileSync(path.join(s.dir, "caches", String(repoId), "fresh.tar"), "being written");
    expect(await s.store.deleteRun(doomed!.runId)).toBe(true);

    const report = await sweepRetention({ store: s.store, blobs: createBlobStorage(s.dir), now: () => new Date(), retentionDays: 30, repositoryCacheMaxBytes: 1000 });
    expect(report.orphans).toBe(2);
    expect(existsSync(path.join(s.dir, "artifacts", String(doomed!.runId)))).toBe(false);
    expect(existsSync(stray)).toBe(false);
    expect(readdirSync(path.join(s.dir, "caches", String(repoId))).length).toBe(2);
    expect(await s.store.listArtifacts(kept!.runId)).toHaveLength(1);
    const file = await s.app.inject({ method: "GET", url: `/api/v3/runner/jobs/${kept!.jobId}/artifacts`, headers: kept!.headers });
    expect(file.json().total_count).toBe(1);
  });
});

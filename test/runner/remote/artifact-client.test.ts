import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createRemoteArtifactStore, createRemoteCacheStore, type RemoteJobStoreOptions } from "../../../src/runner/index.js";
import { ADMIN_TOKEN, auth, registerRepo, sampleRequest, startTestServer, type TestServer } from "../../server/helpers.js";

let server: TestServer | undefined;
const temps: string[] = [];
afterEach(async () => {
  await server?.close();
  server = undefined;
  for (const t of temps.splice(0)) rmSync(t, { recursive: true, force: true });
});

function temp(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "slipway-artifact-client-"));
  temps.push(dir);
  return dir;
}

/** A listening server with one run of `keys.length` jobs, each claimed by a runner: the stores' options per job. */
async function startWithJobs(keys: string[], branch = "main"): Promise<{ s: TestServer; jobs: RemoteJobStoreOptions[]; claim: (keys: string[], branch?: string) => Promise<RemoteJobStoreOptions[]> }> {
  const s = await startTestServer({ env: { SLIPWAY_CLAIM_WAIT_SECONDS: "0" } });
  server = s;
  await registerRepo(s.app);
  await s.app.listen({ port: 0, host: "127.0.0.1" });
  const address = s.app.server.address();
  if (!address || typeof address === "string") throw new Error("no address");
  const serverUrl = `http://127.0.0.1:${address.port}`;
  const tokenRes = await s.app.inject({ method: "POST", url: "/api/v3/runners/registration-token", headers: auth(ADMIN_TOKEN) });
  const reg = await s.app.inject({ method: "POST", url: "/api/v3/runner/register", payload: { token: tokenRes.json().token, name: "r", labels: ["linux"] } });
  const credential = reg.json().credential as string;
  const claim = async (jobKeys: string[], ref = branch): Promise<RemoteJobStoreOptions[]> => {
    const repo = (await s.store.getRepositoryByName("acme", "widgets"))!;
    const run = await s.store.createRun({ repositoryId: repo.id, workflowFile: ".github/workflows/ci.yml", workflowName: "CI", event: "push", headSha: "e".repeat(40), headBranch: ref, eventPayload: { ref: `refs/heads/${ref}` } });
    await s.store.enqueueJobs(run.id, jobKeys.map((key) => ({ key, name: key, labels: ["linux"], request: sampleRequest(key) })));
    const out: RemoteJobStoreOptions[] = [];
    for (const _ of jobKeys) {
      const res = await s.app.inject({ method: "POST", url: "/api/v3/runner/jobs/claim", headers: auth(credential), payload: { wait_seconds: 0 } });
      out.push({ serverUrl, credential, jobId: res.json().job.id, leaseToken: res.json().lease_token });
    }
    return out;
  };
  return { s, jobs: await claim(keys), claim };
}

describe("remote artifact store", () => {
  it("uploads from one job and downloads in another job of the run, over a real socket", async () => {
    const { jobs } = await startWithJobs(["build", "test"]);
    const src = temp();
    mkdirSync(path.join(src, "nested", "deeper"), { recursive: true });
    writeFileSync(path.join(src, "one.txt"), "first file");
    writeFileSync(path.join(src, "nested", "deeper", "two.bin"), Buffer.from([1, 2, 3]));
    writeFileSync(path.join(src, "empty.txt"), "");
    const uploader = createRemoteArtifactStore(jobs[0]!);
    const info = await uploader.upload(
      "bundle",
      [
        { path: "one.txt", source: path.join(src, "one.txt") },
        { path: "nested/deeper/two.bin", source: path.join(src, "nested", "deeper", "two.bin") },
        { path: "empty.txt", source: path.join(src, "empty.txt") },
      ],
      { mode: "create", retentionDays: 5 },
    );
    expect(info).toMatchObject({ name: "bundle", size: 13 });
    expect(Date.parse(info.expiresAt!) - Date.parse(info.createdAt)).toBeGreaterThan(5 * 86_400_000 - 5000);

    const downloader = createRemoteArtifactStore(jobs[1]!);
    expect((await downloader.list()).map((a) => [a.id, a.name, a.digest])).toEqual([[info.id, "bundle", info.digest]]);
    const target = path.join(temp(), "out");
    await downloader.download("bundle", target);
    expect(readFileSync(path.join(target, "one.txt"), "utf8")).toBe("first file");
    expect(readFileSync(path.join(target, "nested", "deeper", "two.bin"))).toEqual(Buffer.from([1, 2, 3]));
    expect(readFileSync(path.join(target, "empty.txt"), "utf8")).toBe("");

    await expect(downloader.download("missing", target)).rejects.toMatchObject({ code: "ARTIFACT_NOT_FOUND" });
    await expect(uploader.upload("bundle", [{ path: "one.txt", source: path.join(src, "one.txt") }], { mode: "create" })).rejects.toMatchObject({ code: "ARTIFACT_ALREADY_EXISTS" });
    await expect(uploader.upload("bad", [{ path: "../x", source: path.join(src, "one.txt") }], { mode: "create" })).rejects.toMatchObject({ code: "ARTIFACT_INVALID" });
  });

  it("reports a lost lease as the server's JOB_LEASE_LOST", async () => {
    const { jobs } = await startWithJobs(["build"]);
    const store = createRemoteArtifactStore({ ...jobs[0]!, leaseToken: "stolen" });
    await expect(store.list()).rejects.toMatchObject({ code: "JOB_LEASE_LOST" });
  });
});

describe("remote cache store", () => {
  it("saves an archive and restores it in a later run, exact and by restore key", async () => {
    const { jobs, claim } = await startWithJobs(["save"]);
    const dir = temp();
    const saver = createRemoteCacheStore({ ...jobs[0]!, tempDir: path.join(dir, "a") });
    mkdirSync(path.join(dir, "a"), { recursive: true });
    const archive = path.join(dir, "a", "x.tar");
    writeFileSync(archive, "archive bytes");
    expect(await saver.put("ignored", "v1", "deps-123", archive)).toBe(true);
    expect(existsSync(archive)).toBe(false);
    writeFileSync(archive, "other bytes");
    expect(await saver.put("ignored", "v1", "deps-123", archive)).toBe(false);

    const [later] = await claim(["restore"], "feature");
    const restorer = createRemoteCacheStore({ ...later!, tempDir: path.join(dir, "b") });
    const exact = await restorer.find("ignored", "v1", "deps-123", []);
    expect(exact).toMatchObject({ exact: true, entry: { key: "deps-123", size: 13 } });
    expect(readFileSync(exact!.archivePath, "utf8")).toBe("archive bytes");
    await restorer.touch(exact!.entry);
    expect(existsSync(exact!.archivePath)).toBe(false);
    const partial = await restorer.find("ignored", "v1", "deps-999", ["deps-"]);
    expect(partial).toMatchObject({ exact: false, entry: { key: "deps-123" } });
    expect(await restorer.find("ignored", "v2", "deps-123", [])).toBeUndefined();
    expect(readdirSync(path.join(dir, "b")).length).toBe(1);
  });

  it("reports an archive over the server's limit as QUOTA_EXCEEDED and removes it", async () => {
    const { s, jobs } = await startWithJobs(["save"]);
    s.config.repositoryCacheMaxBytes = 4;
    const dir = temp();
    const archive = path.join(dir, "x.tar");
    writeFileSync(archive, "too many bytes");
    const store = createRemoteCacheStore({ ...jobs[0]!, tempDir: dir });
    await expect(store.put("ignored", "v1", "k", archive)).rejects.toMatchObject({ code: "QUOTA_EXCEEDED" });
    expect(existsSync(archive)).toBe(false);
  });
});

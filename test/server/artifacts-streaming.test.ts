/**
 * Large artifacts stream through the server: a 128 MB upload and its zip
 * download over a real socket must not raise the process's memory by
 * anything near the artifact's size.
 */
import { createHash } from "node:crypto";
import { execFile } from "node:child_process";
import { createReadStream, mkdtempSync, openSync, rmSync, statSync, writeSync, closeSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, auth, registerRepo, sampleRequest, startTestServer, type TestServer } from "./helpers.js";

const SIZE = 128 * 1024 * 1024;
let server: TestServer;
let base: string;
let dir: string;
let file: string;
let fileHash: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "slipway-big-"));
  file = path.join(dir, "big.bin");
  const fd = openSync(file, "w");
  const hash = createHash("sha256");
  const chunk = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < SIZE / chunk.length; i++) {
    // Varying contents, so that nothing along the way can shortcut them.
    for (let j = 0; j < chunk.length; j += 4) chunk.writeUInt32LE((i * 7919 + j) >>> 0, j);
    writeSync(fd, chunk);
    hash.update(chunk);
  }
  closeSync(fd);
  fileHash = hash.digest("hex");
  server = await startTestServer({ env: { SLIPWAY_CLAIM_WAIT_SECONDS: "0" } });
  await registerRepo(server.app);
  await server.app.listen({ port: 0, host: "127.0.0.1" });
  const address = server.app.server.address();
  if (!address || typeof address === "string") throw new Error("no address");
  base = `http://127.0.0.1:${address.port}`;
});

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `work` while sampling the resident set size; returns the peak growth over the start. */
async function peakRssGrowth(work: () => Promise<void>): Promise<number> {
  const start = process.memoryUsage.rss();
  let peak = start;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 10);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return Math.max(peak, process.memoryUsage.rss()) - start;
}

describe("streaming a large artifact", () => {
  it("uploads 128 MB and streams it back as a zip without holding it in memory", async () => {
    const tokenRes = await server.app.inject({ method: "POST", url: "/api/v3/runners/registration-token", headers: auth(ADMIN_TOKEN) });
    const reg = await server.app.inject({ method: "POST", url: "/api/v3/runner/register", payload: { token: tokenRes.json().token, name: "big", labels: ["linux"] } });
    const credential = reg.json().credential;
    const repo = (await server.store.getRepositoryByName("acme", "widgets"))!;
    const run = await server.store.createRun({ repositoryId: repo.id, workflowFile: ".github/workflows/ci.yml", workflowName: "CI", event: "push", headSha: "e".repeat(40), headBranch: "main" });
    await server.store.enqueueJobs(run.id, [{ key: "build", name: "build", labels: ["linux"], request: sampleRequest("build") }]);
    const claim = await server.app.inject({ method: "POST", url: "/api/v3/runner/jobs/claim", headers: auth(credential), payload: { wait_seconds: 0 } });
    const headers = { ...auth(credential), "x-slipway-lease-token": claim.json().lease_token };
    const jobUrl = `${base}/api/v3/runner/jobs/${claim.json().job.id}`;
    const open = await fetch(`${jobUrl}/artifacts`, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: JSON.stringify({ name: "big" }) });
    const uploadId = ((await open.json()) as { upload_id: string }).upload_id;

    const uploadGrowth = await peakRssGrowth(async () => {
      // The client is another process, so that only the server's memory is measured here.
      const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const args = ["-sS", "-T", file, "-w", "\n%{http_code}", "-H", "content-type: application/octet-stream", "-H", "expect:"];
        for (const [k, v] of Object.entries(headers)) args.push("-H", `${k}: ${v}`);
        execFile("curl", [...args, `${jobUrl}/artifacts/uploads/${uploadId}/files?path=big.bin`], (error, stdout) => {
          if (error) return reject(error);
          const lines = stdout.trimEnd().split("\n");
          resolve({ status: Number(lines.pop()), body: lines.join("\n") });
        });
      });
      expect(answer.status).toBe(201);
      expect(JSON.parse(answer.body)).toEqual({ path: "big.bin", size: SIZE });
    });
    const fin = await fetch(`${jobUrl}/artifacts/uploads/${uploadId}/finalize`, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: "{}" });
    const info = (await fin.json()) as { id: number; size: number };
    expect(info.size).toBe(SIZE);
    const stored = (await server.store.getArtifact(info.id))!;
    expect(statSync(path.join(server.dir, stored.path, "files", "big.bin")).size).toBe(SIZE);

    let zipBytes = 0;
    const downloadGrowth = await peakRssGrowth(async () => {
      const res = await fetch(`${base}/api/v3/repos/acme/widgets/actions/artifacts/${info.id}/zip`, { headers: auth(ADMIN_TOKEN) });
      expect(res.status).toBe(200);
      const hash = createHash("sha256");
      let offset = 0;
      const nameLength = "big.bin".length;
      // The file's bytes sit between the 30-byte local header plus name and the 16-byte data descriptor.
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        const b = Buffer.from(chunk);
        const from = Math.max(0, 30 + nameLength - offset);
        const to = Math.min(b.length, 30 + nameLength + SIZE - offset);
        if (to > from) hash.update(b.subarray(from, to));
        offset += b.length;
      }
      zipBytes = offset;
      expect(hash.digest("hex")).toBe(fileHash);
    });
    // local header + name + data + descriptor + central header + name + end record
    expect(zipBytes).toBe(30 + 7 + SIZE + 16 + 46 + 7 + 22);
    expect(uploadGrowth).toBeLessThan(SIZE / 2);
    expect(downloadGrowth).toBeLessThan(SIZE / 2);
  }, 120_000);

  it("refuses a streamed upload past the artifact limit and keeps nothing of it", async () => {
    server.config.artifactMaxBytes = 10 * 1024 * 1024;
    try {
      const tokenRes = await server.app.inject({ method: "POST", url: "/api/v3/runners/registration-token", headers: auth(ADMIN_TOKEN) });
      const reg = await server.app.inject({ method: "POST", url: "/api/v3/runner/register", payload: { token: tokenRes.json().token, name: "limited", labels: ["linux"] } });
      const credential = reg.json().credential;
      const repo = (await server.store.getRepositoryByName("acme", "widgets"))!;
      const run = await server.store.createRun({ repositoryId: repo.id, workflowFile: ".github/workflows/ci.yml", workflowName: "CI", event: "push", headSha: "e".repeat(40), headBranch: "main" });
      await server.store.enqueueJobs(run.id, [{ key: "build", name: "build", labels: ["linux"], request: sampleRequest("build") }]);
      const claim = await server.app.inject({ method: "POST", url: "/api/v3/runner/jobs/claim", headers: auth(credential), payload: { wait_seconds: 0 } });
      const headers = { ...auth(credential), "x-slipway-lease-token": claim.json().lease_token };
      const jobUrl = `${base}/api/v3/runner/jobs/${claim.json().job.id}`;
      const open = await fetch(`${jobUrl}/artifacts`, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: JSON.stringify({ name: "big" }) });
      const uploadId = ((await open.json()) as { upload_id: string }).upload_id;
      // Without a content length the server only finds out while the bytes arrive.
      const res = await fetch(`${jobUrl}/artifacts/uploads/${uploadId}/files?path=big.bin`, {
        method: "PUT",
        headers: { ...headers, "content-type": "application/octet-stream" },
        body: createReadStream(file) as unknown as ReadableStream,
        duplex: "half",
      } as RequestInit);
      expect(res.status).toBe(413);
      expect(await res.json()).toMatchObject({ code: "QUOTA_EXCEEDED", message: `The artifact is larger than the ${10 * 1024 * 1024} bytes the server accepts` });
      const files = await fetch(`${jobUrl}/artifacts/uploads/${uploadId}/finalize`, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: "{}" });
      expect(((await files.json()) as { size: number }).size).toBe(0);
    } finally {
      delete server.config.artifactMaxBytes;
    }
  }, 60_000);
});

/** The protocol client speaks the runner routes' HTTP and maps their answers to errors the runner acts on. */
import { chmodSync, mkdtempSync, rmSync, statSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  CREDENTIAL_FILE,
  createProtocolClient,
  isLeaseLost,
  isTransient,
  maskResult,
  readCredential,
  registrableLabels,
  writeCredential,
} from "../../../src/runner/index.js";
import { createMasker, SlipwayError } from "../../../src/lib/index.js";

type Call = { url: string; method: string; headers: Record<string, string>; body: unknown };

function fakeFetch(answer: (call: Call) => { status: number; body?: unknown }) {
  const calls: Call[] = [];
  const fn = (async (url: string, init: RequestInit) => {
    const call = { url, method: String(init.method), headers: init.headers as Record<string, string>, body: init.body ? JSON.parse(String(init.body)) : undefined };
    calls.push(call);
    const { status, body } = answer(call);
    return new Response(body === undefined ? null : JSON.stringify(body), { status });
  }) as unknown as typeof fetch;
  return { fn, calls };
}

describe("createProtocolClient", () => {
  it("claims with the credential and the wait, and reads 204 as no job", async () => {
    const fake = fakeFetch(() => ({ status: 204 }));
    const client = createProtocolClient({ serverUrl: "http://srv/", fetch: fake.fn });
    expect(await client.claim("cred", 5)).toBeNull();
    expect(fake.calls[0]).toMatchObject({ url: "http://srv/api/v3/runner/jobs/claim", method: "POST", body: { wait_seconds: 5 } });
    expect(fake.calls[0]?.headers.authorization).toBe("Bearer cred");
  });

  it("sends the lease token with job updates and maps 409 to a lost lease", async () => {
    const fake = fakeFetch(() => ({ status: 409, body: { code: "JOB_LEASE_LOST", message: "This runner no longer holds the job's lease", hint: "stop" } }));
    const client = createProtocolClient({ serverUrl: "http://srv", fetch: fake.fn });
    const error = await client.appendLogs("cred", 3, "lease-1", [{ step: 1, seq: 0, data: "x\n" }]).catch((e: unknown) => e);
    expect(fake.calls[0]?.headers["x-slipway-lease-token"]).toBe("lease-1");
    expect(fake.calls[0]?.body).toEqual({ chunks: [{ step: 1, seq: 0, data: "x\n" }] });
    expect(isLeaseLost(error)).toBe(true);
    expect(isTransient(error)).toBe(false);
    expect((error as SlipwayError).hint).toBe("stop");
  });

  it("treats 5xx and unreachable servers as transient", async () => {
    const down = createProtocolClient({
      serverUrl: "http://srv",
      fetch: (async () => {
        throw new TypeError("fetch failed");
      }) as unknown as typeof fetch,
    });
    const unreachable = await down.heartbeat("c", 1, "l").catch((e: unknown) => e);
    expect((unreachable as SlipwayError).code).toBe("SERVER_UNREACHABLE");
    expect(isTransient(unreachable)).toBe(true);
    const failing = createProtocolClient({ serverUrl: "http://srv", fetch: fakeFetch(() => ({ status: 503, body: { message: "closing" } })).fn });
    expect(isTransient(await failing.heartbeat("c", 1, "l").catch((e: unknown) => e))).toBe(true);
    const refused = createProtocolClient({ serverUrl: "http://srv", fetch: fakeFetch(() => ({ status: 422, body: { code: "VALIDATION_FAILED", message: "bad" } })).fn });
    expect(isTransient(await refused.heartbeat("c", 1, "l").catch((e: unknown) => e))).toBe(false);
  });
});

describe("runner credential file", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "slipway-cred-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("is written with mode 0600 and read back only for the same server", () => {
    writeCredential(dir, { serverUrl: "http://a:1/", id: 4, name: "r", labels: ["linux"], credential: "slprun_x" });
    expect(statSync(path.join(dir, CREDENTIAL_FILE)).mode & 0o777).toBe(0o600);
    expect(readCredential(dir, "http://a:1")?.credential).toBe("slprun_x");
    expect(readCredential(dir, "http://b:1")).toBeNull();
    chmodSync(path.join(dir, CREDENTIAL_FILE), 0o644);
    writeCredential(dir, { serverUrl: "http://a:1", id: 5, name: "r", labels: [], credential: "slprun_y" });
    expect(statSync(path.join(dir, CREDENTIAL_FILE)).mode & 0o777).toBe(0o600);
  });
});

describe("helpers", () => {
  it("masks step names, outputs, annotations, summary and error of a result", () => {
    const masker = createMasker(["tok3n"]);
    const masked = maskResult(
      {
        conclusion: "failure",
        outputs: { a: "x tok3n" },
        steps: [{ index: 0, name: "deploy tok3n", outcome: "failure", conclusion: "failure", outputs: { o: "tok3n" } }],
        annotations: [{ level: "error", message: "bad tok3n", title: "tok3n" }],
        summary: "# tok3n",
        error: "failed with tok3n",
      },
      masker.mask,
    );
    expect(JSON.stringify(masked)).not.toContain("tok3n");
    expect(masked.steps[0]?.name).toBe("deploy ***");
  });

  it("keeps only labels the server accepts", () => {
    expect(registrableLabels(["self-hosted", "Linux", "ubuntu-*", "linux", "gpu"])).toEqual(["self-hosted", "linux", "gpu"]);
  });
});

describe("the protocol client over node:http", () => {
  it("reuses one keep-alive connection, times out a silent server as unreachable, and gives a caller's abort back as it came", async () => {
    const connections: number[] = [];
    const server = http.createServer((request, response) => {
      if (request.url === "/api/v3/runner/jobs/claim") return; // never answers
      let body = "";
      request.on("data", (part: Buffer) => (body += part));
      request.on("end", () => {
        response.setHeader("content-type", "application/json");
        response.end(JSON.stringify({ appended: JSON.parse(body).chunks.length, duplicates: 0 }));
      });
    });
    server.on("connection", () => connections.push(Date.now()));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as { port: number };
      const client = createProtocolClient({ serverUrl: `http://127.0.0.1:${port}`, timeoutMs: 300 });
      for (let i = 0; i < 3; i++) expect(await client.appendLogs("c", 1, "l", [{ step: 1, seq: i, data: "x\n" }])).toEqual({ appended: 1, duplicates: 0 });
      expect(connections).toHaveLength(1);

      const silent = await client.claim("c", 0).catch((e: unknown) => e);
      expect(silent instanceof SlipwayError && silent.code).toBe("SERVER_UNREACHABLE");
      expect((silent as Error).message).toContain(`127.0.0.1:${port}`);

      const abort = new AbortController();
      const waiting = client.claim("c", 30, abort.signal).catch((e: unknown) => e);
      setTimeout(() => abort.abort(new Error("runner stopping")), 50);
      const aborted = await waiting;
      expect(aborted instanceof SlipwayError).toBe(false);
      expect((aborted as Error).name).toBe("AbortError");
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

/** The pipeline wired into the HTTP server: dispatch, the runner protocol and cancel through the routes. */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import type { FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import {
  createPipeline,
  createSecretBox,
  createServer,
  generateToken,
  hashToken,
  loadServerConfig,
  type Pipeline,
  createServerLogger,
  sealContext,
} from "../../../src/server/index.js";
import { openStore, type Store } from "../../../src/store/index.js";
import { makeRepo } from "../../support/git-repo.js";
import { waitFor } from "./harness.js";

const ADMIN = "slp_pipeline-e2e-admin-token-0123456789";
const WORKFLOW = `name: Deploy
on: workflow_dispatch
jobs:
  deploy:
    runs-on: linux
    env:
      TOKEN: bearer-\${{ secrets.API_TOKEN }}
    steps:
      - run: sleep 600
  notify:
    needs: deploy
    runs-on: linux
    steps:
      - run: echo done
`;

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

const auth = (token: string) => ({ authorization: `Bearer ${token}` });

describe("pipeline behind the server", () => {
  it("dispatches through the API, stores the job without secret values, releases them with the claim, and cancels through the API", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-pipeline-e2e-"));
    const repoDir = makeRepo({ ".github/workflows/deploy.yml": WORKFLOW }, { dir: path.join(dir, "repo") });
    const dataDir = path.join(dir, "data");
    const store: Store = await openStore({ dataDir });
    const secretBox = createSecretBox(randomBytes(32));
    const config = loadServerConfig({ env: { SLIPWAY_DATA_DIR: dataDir, SLIPWAY_ADMIN_TOKEN: ADMIN, SLIPWAY_SECRET_KEY: "b".repeat(64), SLIPWAY_LOG_LEVEL: "info" }, cwd: dir });
    const logs: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        logs.push(String(chunk));
        cb();
      },
    });
    const pipelineLogs: string[] = [];
    const pipeline: Pipeline = createPipeline({
      store,
      secretBox,
      logger: { info: (m) => pipelineLogs.push(m), warn: (m) => pipelineLogs.push(m), error: (m) => pipelineLogs.push(m) },
      config: { dataDir, publicUrl: config.publicUrl, pollIntervalMs: 20, runLeaseSeconds: 1, schedules: false },
    });
    const app: FastifyInstance = await createServer(config, {
      store,
      secretBox,
      logger: createServerLogger({ level: "info", format: "json", stream: sink }),
      print: () => undefined,
      pipeline,
    });
    cleanup = async () => {
      await pipeline.stop();
      await app.close();
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    };
    await pipeline.start();

    const repo = await store.createRepository({ owner: "octo", name: "hello", gitUrl: `file://${repoDir}` });
    await store.putSecret({ repositoryId: repo.id, name: "API_TOKEN", value: Buffer.from(secretBox.encrypt("s3cr3t-e2e", sealContext.secret(repo.id, "API_TOKEN"))) });

    const dispatched = await app.inject({ method: "POST", url: "/api/v3/repos/octo/hello/actions/workflows/deploy.yml/dispatches", headers: auth(ADMIN), payload: { ref: "main" } });
    expect(dispatched.statusCode).toBe(200);
    const runId = dispatched.json().workflow_run_id as number;

    const reg = generateToken("registration");
    await store.createRunnerRegistrationToken({ tokenHash: hashToken(reg), expiresAt: new Date(Date.now() + 60_000) });
    const registered = await app.inject({ method: "POST", url: "/api/v3/runner/register", payload: { token: reg, name: "r1", labels: ["linux"] } });
    const credential = registered.json().credential as string;

    const claim = await app.inject({ method: "POST", url: "/api/v3/runner/jobs/claim", headers: auth(credential), payload: { wait_seconds: 5 } });
    expect(claim.statusCode).toBe(200);
    const claimed = claim.json();
    expect(claimed.job).toMatchObject({ run_id: runId, key: "deploy" });
    // The secret is released with the claim; the job's env still names it, for the runner to evaluate.
    expect(claimed.secrets).toMatchObject({ API_TOKEN: "s3cr3t-e2e" });
    expect(claimed.job.request.envTemplates).toContainEqual(expect.objectContaining({ TOKEN: "bearer-${{ secrets.API_TOKEN }}" }));
    expect(JSON.stringify(claimed.job.request)).not.toContain("s3cr3t-e2e");
    // Neither the stored job rows nor any byte of the SQLite database hold the secret's value.
    expect(JSON.stringify(await store.listJobs(runId))).not.toContain("s3cr3t-e2e");
    for (const file of fs.readdirSync(dataDir, { recursive: true, withFileTypes: true })) {
      if (file.isFile()) expect(fs.readFileSync(path.join(file.parentPath, file.name)).includes("s3cr3t-e2e"), file.name).toBe(false);
    }

    // The API lists every planned job while the run goes on.
    const listed = await app.inject({ method: "GET", url: `/api/v3/repos/octo/hello/actions/runs/${runId}/jobs`, headers: auth(ADMIN) });
    expect(listed.json().jobs.map((j: { name: string; status: string }) => [j.name, j.status])).toEqual([
      ["deploy", "in_progress"],
      ["notify", "pending"],
    ]);

    const cancel = await app.inject({ method: "POST", url: `/api/v3/repos/octo/hello/actions/runs/${runId}/cancel`, headers: auth(ADMIN) });
    expect(cancel.statusCode).toBe(202);
    const heartbeat = async () =>
      (await app.inject({ method: "POST", url: `/api/v3/runner/jobs/${claimed.job.id}/heartbeat`, headers: { ...auth(credential), "x-slipway-lease-token": claimed.lease_token } })).json();
    await waitFor(async () => (await heartbeat()).cancel_requested === true, 5_000, "cancel_requested");
    const complete = await app.inject({
      method: "POST",
      url: `/api/v3/runner/jobs/${claimed.job.id}/complete`,
      headers: { ...auth(credential), "x-slipway-lease-token": claimed.lease_token },
      payload: { conclusion: "cancelled", outputs: {}, steps: [] },
    });
    expect(complete.statusCode).toBe(200);
    pipeline.notify();
    await waitFor(async () => {
      const r = await app.inject({ method: "GET", url: `/api/v3/repos/octo/hello/actions/runs/${runId}`, headers: auth(ADMIN) });
      return r.json().status === "completed" ? r : null;
    });
    await pipeline.idle();
    const run = await app.inject({ method: "GET", url: `/api/v3/repos/octo/hello/actions/runs/${runId}`, headers: auth(ADMIN) });
    expect(run.json()).toMatchObject({ status: "completed", conclusion: "cancelled", event: "workflow_dispatch", name: "Deploy" });
    const jobs = await app.inject({ method: "GET", url: `/api/v3/repos/octo/hello/actions/runs/${runId}/jobs`, headers: auth(ADMIN) });
    expect(jobs.json().jobs.map((j: { name: string; conclusion: string }) => [j.name, j.conclusion])).toEqual([
      ["deploy", "cancelled"],
      ["notify", "cancelled"],
    ]);

    // Re-run through the API starts attempt 2, driven by the pipeline.
    const rerun = await app.inject({ method: "POST", url: `/api/v3/repos/octo/hello/actions/runs/${runId}/rerun`, headers: auth(ADMIN) });
    expect(rerun.statusCode).toBe(201);
    const again = await app.inject({ method: "POST", url: "/api/v3/runner/jobs/claim", headers: auth(credential), payload: { wait_seconds: 5 } });
    expect(again.json().job).toMatchObject({ run_id: runId, run_attempt: 2, key: "deploy" });

    const everything = logs.join("") + pipelineLogs.join("\n");
    expect(everything).not.toContain("s3cr3t-e2e");
    expect(JSON.stringify(await store.listJobs(runId, { attempt: 1 }))).not.toContain("s3cr3t-e2e");
  });
});

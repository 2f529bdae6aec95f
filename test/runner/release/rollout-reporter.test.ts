import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createServerRolloutReporter } from "../../../src/runner/index.js";

interface Received {
  url: string;
  auth: string | undefined;
  body: { status?: string; weight?: number; events: Array<{ seq: number; type: string; message?: string }> };
}

/** A stand-in for the server's report route: answers 503 while `down`, else stores events by seq and answers the controls. */
async function startFakeServer() {
  const received: Received[] = [];
  const stored = new Map<number, string>();
  const state = { down: true, promotions: 0 };
  const server = http.createServer((req, res) => {
    let text = "";
    req.on("data", (d) => (text += d));
    req.on("end", () => {
      if (state.down) {
        res.writeHead(503).end("{}");
        return;
      }
      const body = JSON.parse(text) as Received["body"];
      received.push({ url: req.url ?? "", auth: req.headers.authorization, body });
      for (const e of body.events) if (!stored.has(e.seq)) stored.set(e.seq, e.type);
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ id: 7, deployment_id: 3, controls: { paused: false, promotions: state.promotions, promote_full: false, abort: false, abort_reason: null } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received, stored, state, close: () => new Promise((r) => server.close(r)) };
}

let close: (() => Promise<unknown>) | undefined;
afterEach(async () => {
  await close?.();
});

describe("the runner's rollout reporter", () => {
  it("buffers events while the server does not answer, sends each in order once it does, masked, and brings back commands", async () => {
    const fake = await startFakeServer();
    close = fake.close;
    const lines: string[] = [];
    const reporter = createServerRolloutReporter({ serverUrl: fake.url, token: "slpj_1_tok", repository: "acme/shop", jobId: 42, mask: (t) => t.replaceAll("hunter2", "***"), retryDelayMs: 20, pollMs: 50 });
    const record = reporter({ stepIndex: 2, kind: "rollout", target: "hosts", steps: [{ kind: "setWeight", weight: 50 }], log: (l) => lines.push(l) });
    record.progress({ status: "Progressing", event: { type: "step_started", step: 0 } });
    record.progress({ weight: 50, event: { type: "weight", step: 0, weight: 50, message: "token hunter2" } });
    await new Promise((r) => setTimeout(r, 200));
    expect(fake.received).toEqual([]);
    expect(record.controls.current()).toBeUndefined();
    fake.state.down = false;
    fake.state.promotions = 1;
    await record.controls.changed(new AbortController().signal);
    expect(record.controls.current()).toMatchObject({ controllable: true, promotions: 1 });
    record.progress({ status: "Healthy", event: { type: "finished", outcome: "Healthy" } });
    await record.finish();
    expect([...fake.stored]).toEqual([[0, "step_started"], [1, "weight"], [2, "finished"]]);
    expect(fake.received[0]!.url).toBe("/api/v3/repos/acme/shop/actions/jobs/42/rollouts/2.0");
    expect(fake.received[0]!.auth).toBe("Bearer slpj_1_tok");
    expect(JSON.stringify(fake.received)).not.toContain("hunter2");
    expect(fake.received.at(-1)!.body).toMatchObject({ status: "Healthy", weight: 50 });
    expect(lines).toEqual([]);
    // A second rollout in the same step is another record.
    const again = reporter({ stepIndex: 2, kind: "analysis", log: () => undefined });
    again.progress({ status: "Successful" });
    await again.finish();
    expect(fake.received.at(-1)!.url).toMatch(/\/rollouts\/2\.1$/);
  });

  it("gives up on a step's buffer after the flush time without failing, and says so once", async () => {
    const fake = await startFakeServer();
    close = fake.close;
    const lines: string[] = [];
    const record = createServerRolloutReporter({ serverUrl: fake.url, token: "t", repository: "acme/shop", jobId: 1, mask: (t) => t, retryDelayMs: 20, flushMs: 300 })({ stepIndex: 0, kind: "rollout", log: (l) => lines.push(l) });
    record.progress({ event: { type: "step_started", step: 0 } });
    await expect(record.finish()).resolves.toBeUndefined();
    expect(lines).toEqual(["could not send the rollout's last 1 events to the server within 0.3s; its record there stays incomplete"]);
  });
});

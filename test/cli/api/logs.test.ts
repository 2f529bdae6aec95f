/** `slipway logs`: following a job's live stream, and resuming one cut short. */
import { describe, expect, it } from "vitest";
import { createApiClient, createRawLogView, createRenderedLogView, RunRenderer, showLogs } from "../../../src/cli/index.js";

describe("showLogs", () => {
  it("follows a job's live stream to its end and prints the text", async () => {
    const sse = 'event: log\nid: 3\ndata: {"step":1,"text":"one\\n"}\n\nevent: log\nid: 6\ndata: {"step":1,"text":"two\\n"}\n\nevent: end\ndata: {"status":"completed","conclusion":"success"}\n\n';
    const fetchFake = (async (url: string) => {
      if (url.endsWith("/actions/runs/9")) return new Response(JSON.stringify({ message: "Workflow run not found", code: "RUN_NOT_FOUND" }), { status: 404 });
      if (url.endsWith("/actions/jobs/9")) return new Response(JSON.stringify({ id: 9, run_id: 1, name: "build", status: "in_progress", conclusion: null, run_attempt: 1 }));
      if (url.endsWith("/actions/jobs/9/logs/stream")) return new Response(sse, { headers: { "content-type": "text/event-stream" } });
      throw new Error(`unexpected ${url}`);
    }) as unknown as typeof fetch;
    const client = createApiClient({ server: "http://s", token: "t", fetch: fetchFake });
    let printed = "";
    const output = await showLogs(client, "9", { repo: "a/b", follow: true, raw: true }, createRawLogView((t) => (printed += t), { headings: false }));
    expect(printed).toBe("one\ntwo\n");
    expect(output).toEqual({ kind: "logs", conclusion: "success" });
  });

  it("resumes a stream cut short after the last event it saw", async () => {
    const seen: Array<string | null> = [];
    const fetchFake = (async (url: string, init: RequestInit) => {
      if (url.endsWith("/actions/jobs/4")) return new Response(JSON.stringify({ id: 4, run_id: 1, name: "build", status: "in_progress", conclusion: null, run_attempt: 1 }));
      seen.push((init.headers as Record<string, string>)["last-event-id"] ?? null);
      if (seen.length === 1) return new Response('event: log\nid: 3\ndata: {"step":1,"text":"one\\n"}\n\n');
      return new Response('event: log\nid: 7\ndata: {"step":1,"text":"two\\n"}\n\nevent: end\ndata: {"conclusion":"failure"}\n\n');
    }) as unknown as typeof fetch;
    const client = createApiClient({ server: "http://s", token: "t", fetch: fetchFake });
    let printed = "";
    const output = await showLogs(client, "4", { repo: "a/b", follow: true, job: true, pollMs: 1, raw: true }, createRawLogView((t) => (printed += t), { headings: false }));
    expect(seen).toEqual([null, "3"]);
    expect(printed).toBe("one\ntwo\n");
    expect(output).toEqual({ kind: "logs", conclusion: "failure" });
  });

  it("renders a job as `slipway run` shows one: steps with their state, groups, errors, and the conclusion", async () => {
    const events = [
      ["log", { step: 0, text: "Runner ci-1 picked up the job\n" }],
      ["log", { step: 1, text: "##[group]Run npm ci\nnpm ci\nshell: bash -e {0}\n##[endgroup]\nadded 12 pack" }],
      ["log", { step: 1, text: "ages\n" }],
      ["log", { step: 2, text: "##[group]Run npm test\nnpm test\n##[endgroup]\n1 failing\n##[error]Process completed with exit code 1.\n" }],
    ];
    const sse = events.map(([event, data], i) => `event: ${event}\nid: ${i + 1}\ndata: ${JSON.stringify(data)}\n\n`).join("") + 'event: end\ndata: {"status":"completed","conclusion":"failure"}\n\n';
    const step = (number: number, name: string, conclusion: string | null) => ({ number, name, status: conclusion ? "completed" : "in_progress", conclusion, started_at: "2030-01-01T00:00:00Z", completed_at: null });
    let jobReads = 0;
    const fetchFake = (async (url: string) => {
      if (url.endsWith("/actions/jobs/5/logs/stream")) return new Response(sse, { headers: { "content-type": "text/event-stream" } });
      if (url.endsWith("/actions/jobs/5")) {
        jobReads++;
        const steps = jobReads === 1 ? [] : jobReads === 2 ? [step(1, "Install", null)] : jobReads === 3 ? [step(1, "Install", "success"), step(2, "Test", null)] : [step(1, "Install", "success"), step(2, "Test", "failure")];
        return new Response(JSON.stringify({ id: 5, run_id: 1, name: "build", status: "in_progress", conclusion: null, run_attempt: 1, steps }));
      }
      throw new Error(`unexpected ${url}`);
    }) as unknown as typeof fetch;
    const client = createApiClient({ server: "http://s", token: "t", fetch: fetchFake });
    let printed = "";
    const view = createRenderedLogView(new RunRenderer({ write: (t) => (printed += t), isTTY: false, color: false }));
    const output = await showLogs(client, "5", { repo: "a/b", follow: true, job: true }, view);
    expect(output).toEqual({ kind: "logs", conclusion: "failure" });
    const lines = printed.split("\n");
    expect(lines).toContain("[build] started");
    expect(lines).toContain("[build/Set up job] Runner ci-1 picked up the job");
    expect(lines).toContain("[build/Install] added 12 packages");
    expect(lines.some((l) => /^\[build\/Install\] success in /.test(l))).toBe(true);
    expect(lines).toContain("[build/Test] 1 failing");
    expect(lines.some((l) => /^\[build\/Test\] failure in /.test(l))).toBe(true);
    expect(lines.some((l) => /error: Process completed with exit code 1\./.test(l))).toBe(true);
    expect(lines.some((l) => /^\[build\] failure in /.test(l))).toBe(true);
    expect(lines.some((l) => /^Run failure in .* — jobs: 1 failure$/.test(l))).toBe(true);
    // Markers are read, never printed.
    expect(printed).not.toContain("##[");
    // Install is shown complete when Test begins, before Test's output.
    expect(printed.indexOf("[build/Install] success")).toBeLessThan(printed.indexOf("[build/Test] 1 failing"));
  });
});

/** `slipway logs`: following a job's live stream, and resuming one cut short. */
import { describe, expect, it } from "vitest";
import { createApiClient, showLogs } from "../../../src/cli/index.js";

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
    const output = await showLogs(client, "9", { repo: "a/b", follow: true }, (t) => (printed += t));
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
    const output = await showLogs(client, "4", { repo: "a/b", follow: true, job: true, pollMs: 1 }, (t) => (printed += t));
    expect(seen).toEqual([null, "3"]);
    expect(printed).toBe("one\ntwo\n");
    expect(output).toEqual({ kind: "logs", conclusion: "failure" });
  });
});

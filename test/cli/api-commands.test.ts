/** API CLI pieces: argument parsing, the event-stream reader, rendering, exit codes, log following. */
import { describe, expect, it } from "vitest";
import { SlipwayError } from "../../src/lib/index.js";
import { createApiClient, parseEventStream } from "../../src/cli/api-client.js";
import { exitCodeFor, parseInputs, parseRepoName, renderOutput, showLogs } from "../../src/cli/api-commands.js";

async function* bytes(...parts: string[]) {
  for (const p of parts) yield new TextEncoder().encode(p);
}

describe("parseEventStream", () => {
  it("reads events split across chunks, skipping comments and retry lines", async () => {
    const events = [];
    for await (const e of parseEventStream(bytes("retry: 2000\n\n: keep-alive\n\nid: 5\nevent: log\nda", 'ta: {"step":1,"text":"a\\n"}\n\n', 'event: end\r\ndata: {"conclusion":"success"}\r\n\r\n'))) events.push(e);
    expect(events).toEqual([
      { event: "log", id: "5", data: '{"step":1,"text":"a\\n"}' },
      { event: "end", id: undefined, data: '{"conclusion":"success"}' },
    ]);
  });
});

describe("arguments", () => {
  it("parses OWNER/NAME and NAME=VALUE, refusing anything else as a usage error", () => {
    expect(parseRepoName("acme/widgets").fullName).toBe("acme/widgets");
    expect(() => parseRepoName("widgets")).toThrow(/not a repository name/);
    expect(parseInputs(["a=1", "b=x=y"])).toEqual({ a: "1", b: "x=y" });
    let error: unknown;
    try {
      parseInputs(["novalue"]);
    } catch (e) {
      error = e;
    }
    expect(exitCodeFor(error)).toBe(2);
    expect(exitCodeFor(new SlipwayError("NOT_FOUND", "x"))).toBe(1);
  });
});

describe("renderOutput", () => {
  it("prints the registration token with the command that starts a runner, or JSON", () => {
    const output = { kind: "runner-token" as const, token: "slpreg_abc", expiresAt: "2030-01-01T00:00:00Z", command: "slipway runner --server http://s --token slpreg_abc" };
    expect(renderOutput(output, false)).toContain("slipway runner --server http://s --token slpreg_abc");
    expect(JSON.parse(renderOutput(output, true))).toEqual({ token: "slpreg_abc", expiresAt: "2030-01-01T00:00:00Z", command: output.command });
  });

  it("prints runs as a table and as a JSON array", () => {
    const run = { id: 3, name: "ci", head_branch: "main", head_sha: "abc", run_number: 2, run_attempt: 1, event: "push", status: "completed", conclusion: "failure", html_url: "u", created_at: "2030-01-01", repository: { full_name: "a/b" } };
    const text = renderOutput({ kind: "runs", runs: [run] }, false);
    expect(text.split("\n")[0]).toMatch(/^ID\s+REPOSITORY\s+WORKFLOW/);
    expect(text).toMatch(/3\s+a\/b\s+ci #2\s+push\s+main\s+failure/);
    expect(JSON.parse(renderOutput({ kind: "runs", runs: [run] }, true))).toEqual([run]);
  });
});

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

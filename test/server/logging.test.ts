/** The server's console: readable lines at a terminal, JSON elsewhere, and routine traffic kept at debug. */
import { Writable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { createServerLogger } from "../../src/server/index.js";
import { ADMIN_TOKEN, auth, startTestServer, type TestServer } from "./helpers.js";

function captureStream(isTTY: boolean): { stream: Writable & { isTTY: boolean }; lines: string[] } {
  const lines: string[] = [];
  const stream = Object.assign(
    new Writable({
      write(chunk, _enc, cb) {
        for (const line of String(chunk).split("\n")) if (line) lines.push(line);
        cb();
      },
    }),
    { isTTY },
  );
  return { stream, lines };
}

describe("the server logger", () => {
  it("writes one readable line per event at a terminal, JSON lines to anything else", () => {
    const tty = captureStream(true);
    createServerLogger({ level: "info", format: "auto", stream: tty.stream }).info({ component: "pipeline" }, "run 3 queued");
    expect(tty.lines).toHaveLength(1);
    expect(tty.lines[0]).toMatch(/\d\d:\d\d:\d\d.*INFO.*\[pipeline\] run 3 queued/);
    expect(() => JSON.parse(tty.lines[0]!)).toThrow();

    const pipe = captureStream(false);
    createServerLogger({ level: "info", format: "auto", stream: pipe.stream }).info({ component: "pipeline" }, "run 3 queued");
    expect(JSON.parse(pipe.lines[0]!)).toMatchObject({ level: 30, component: "pipeline", msg: "run 3 queued" });
  });

  it("follows an explicit format whatever the stream is, and never prints redacted headers", () => {
    const tty = captureStream(true);
    const logger = createServerLogger({ level: "info", format: "json", stream: tty.stream });
    logger.info({ req: { headers: { authorization: "Bearer slp_very_secret" } } }, "hello");
    expect(JSON.parse(tty.lines[0]!).msg).toBe("hello");
    expect(tty.lines.join("\n")).not.toContain("slp_very_secret");
  });
});

describe("the request log", () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it("logs people's requests at info with path and status but no query string, and runners' traffic at debug", async () => {
    server = await startTestServer();
    await server.app.inject({ method: "GET", url: "/api/v3/user?token=querysecret", headers: auth(ADMIN_TOKEN) });
    await server.app.inject({ method: "POST", url: "/api/v3/runner/claim", payload: {} });
    const lines = server.logs.map((line) => JSON.parse(line) as { level: number; msg: string; path?: string; statusCode?: number });
    const requests = lines.filter((line) => line.path !== undefined);
    expect(requests).toEqual([expect.objectContaining({ level: 30, path: "/api/v3/user", statusCode: 200, msg: expect.stringMatching(/^GET \/api\/v3\/user 200 \d+ ms$/) })]);
    expect(server.logs.join("\n")).not.toContain("querysecret");
  });
});

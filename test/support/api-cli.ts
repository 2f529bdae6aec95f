/** Runs `slipway` API commands in-process against a server, through the commander wiring, with a scripted stdin. */
import { Readable } from "node:stream";
import { Command } from "commander";
import { afterAll, beforeAll, expect } from "vitest";
import { readPlainValue, registerApiCommands } from "../../src/cli/index.js";
import { ADMIN_TOKEN, api, startTestServer, tempDir } from "../e2e/support.js";

export interface ApiCliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A `cli(args, stdin)` bound to `serverUrl()` and `token`; `stdin` is what `set` commands read without --value. */
export function apiCli(serverUrl: () => string, token: string): (args: string[], stdin?: string) => Promise<ApiCliResult> {
  return async (args, stdin = "") => {
    let stdout = "";
    let stderr = "";
    let code = -1;
    const program = new Command().exitOverride();
    registerApiCommands(program, {
      env: { SLIPWAY_SERVER: serverUrl(), SLIPWAY_TOKEN: token },
      stdout: (t) => (stdout += t),
      stderr: (t) => (stderr += t),
      readSecret: async () => stdin,
      readValue: () => readPlainValue(Readable.from([Buffer.from(stdin)]) as unknown as NodeJS.ReadStream, () => undefined),
      exit: (c) => (code = c),
    });
    await program.parseAsync(["node", "slipway", ...args]);
    return { code, stdout, stderr };
  };
}

/**
 * For a suite: a real server over HTTP, started before its tests with the
 * repository acme/widgets registered and closed after them, and a `cli`
 * signed in as the admin.
 */
export function suiteServer(label: string): { cli: ReturnType<typeof apiCli>; url: () => string } {
  let server: Awaited<ReturnType<typeof startTestServer>> | undefined;
  beforeAll(async () => {
    server = await startTestServer({ dataDir: tempDir(label) });
    const created = await api(server.url, "POST", "/api/v3/repos", { owner: "acme", name: "widgets", git_url: "https://git.example/acme/widgets.git" });
    expect(created.status).toBe(201);
  }, 60_000);
  afterAll(async () => {
    await server?.close();
  });
  const url = () => server!.url;
  return { cli: apiCli(url, ADMIN_TOKEN), url };
}

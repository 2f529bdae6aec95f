/** `slipway runner-token [--repo OWNER/NAME]`: the token registers an instance runner, or one of that repository only. */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { api, waitFor } from "../e2e/support.js";
import { suiteServer } from "../support/api-cli.js";
import { cliPath, runCli } from "../support/cli.js";

const { cli, url } = suiteServer("runner-token-cli");

async function registerWith(token: string, name: string): Promise<number> {
  const res = await fetch(`${url()}/api/v3/runner/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ token, name, labels: ["linux"] }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: number }).id;
}

describe("slipway runner-token", () => {
  it("makes an instance runner's token, or with --repo a token for that repository's runners", async () => {
    const instance = await cli(["runner-token", "--json"]);
    expect(instance.code).toBe(0);
    const forRepo = await cli(["runner-token", "--repo", "acme/widgets", "--json"]);
    expect(forRepo.code).toBe(0);
    const shared = await registerWith(JSON.parse(instance.stdout).token, "shared");
    const own = await registerWith(JSON.parse(forRepo.stdout).token, "own");
    const { data } = await api<{ runners: Array<{ id: number; scope: string; repository?: string }> }>(url(), "GET", "/api/v3/runners");
    expect(data.runners.find((r) => r.id === shared)).toMatchObject({ scope: "instance" });
    expect(data.runners.find((r) => r.id === own)).toMatchObject({ scope: "repository", repository: "acme/widgets" });
    expect((await cli(["runner-token", "--repo", "not a name"])).code).toBe(2);
  });
});

/** Starts the built `slipway runner` until it logs its registration (or gives up), then stops it; returns its output. */
async function registerRunner(args: string[], env: Record<string, string>): Promise<string> {
  const workDir = mkdtempSync(path.join(os.tmpdir(), "slipway-runner-token-"));
  const childEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^(GITHUB_|RUNNER_|SLIPWAY_)/.test(k)) childEnv[k] = v;
  const child = spawn(process.execPath, [cliPath, "runner", "--server", url(), "--work-dir", workDir, ...args], {
    env: { ...childEnv, ...env },
    cwd: workDir,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  try {
    await waitFor("the runner to register", () => (/registered as runner|error:/.test(out) || child.exitCode !== null ? true : undefined), 30_000);
  } finally {
    child.kill("SIGTERM");
    await exited;
    rmSync(workDir, { recursive: true, force: true });
  }
  return out;
}

async function createToken(): Promise<string> {
  const made = await cli(["runner-token", "--json"]);
  expect(made.code).toBe(0);
  return JSON.parse(made.stdout).token as string;
}

describe("slipway runner's registration token", () => {
  it("is read from SLIPWAY_RUNNER_TOKEN and from --token-file, neither on the command line", async () => {
    const fromEnv = await createToken();
    expect(await registerRunner(["--name", "from-env"], { SLIPWAY_RUNNER_TOKEN: fromEnv })).toContain("registered as runner 'from-env'");

    const fromFile = await createToken();
    const dir = mkdtempSync(path.join(os.tmpdir(), "slipway-token-file-"));
    try {
      writeFileSync(path.join(dir, "token"), `${fromFile}\n`, { mode: 0o600 });
      const out = await registerRunner(["--name", "from-file", "--token-file", path.join(dir, "token")], {});
      expect(out).toContain("registered as runner 'from-file'");
      expect(out).not.toContain(fromFile);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const { data } = await api<{ runners: Array<{ name: string }> }>(url(), "GET", "/api/v3/runners");
    expect(data.runners.map((r) => r.name)).toEqual(expect.arrayContaining(["from-env", "from-file"]));
  });

  it("refuses --token with --token-file, a missing and an empty token file, before contacting the server", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "slipway-token-file-"));
    try {
      writeFileSync(path.join(dir, "token"), "slpreg_fromfile\n");
      writeFileSync(path.join(dir, "empty"), "\n");
      const start = (args: string[]) => runCli(["runner", "--server", url(), "--work-dir", dir, ...args], { cwd: dir, timeoutMs: 20_000 });
      const both = await start(["--token", "slpreg_flag", "--token-file", "token"]);
      expect(both.code).toBe(2);
      expect(both.stderr).toContain("--token or --token-file, not both");
      const missing = await start(["--token-file", "missing"]);
      expect(missing.code).not.toBe(0);
      expect(missing.stderr).toContain(`--token-file ${path.join(dir, "missing")} does not exist`);
      const empty = await start(["--token-file", "empty"]);
      expect(empty.code).toBe(2);
      expect(empty.stderr).toContain("is empty");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

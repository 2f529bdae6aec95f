/** How a remote runner hands the job token to git, when it fetches the full history, what a failed fetch says, and its object cache. */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isSlipwayError } from "../../../src/lib/index.js";
import { cloneFromServer, copyTemplate, saveTemplate, serverGitEnv, wantsFullHistory } from "../../../src/runner/index.js";
import type { Step } from "../../../src/workflow/index.js";
import type { JobRequest } from "../../../src/protocol/index.js";

const TOKEN = "slpj_7_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
const root = mkdtempSync(path.join(os.tmpdir(), "slipway-remote-checkout-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function requestWith(steps: Array<Partial<Step>>): JobRequest {
  return {
    key: "j",
    jobId: "j",
    name: "j",
    workflowFile: ".github/workflows/ci.yml",
    matrix: null,
    contexts: {},
    env: {},
    defaults: {},
    steps: steps.map((s, index) => ({ index, with: {}, env: {}, continueOnError: false, position: { file: "ci.yml", line: 1, col: 1 }, ...s })),
    outputs: {},
    timeoutMinutes: 10,
    envTemplates: [],
    secrets: { source: "run" },
  };
}

describe("serverGitEnv", () => {
  it("sends the token only to the server, as a Basic header in git's environment, replacing inherited git settings", () => {
    const env = serverGitEnv("http://127.0.0.1:8080/git/acme/widgets.git", TOKEN, { PATH: "/bin", GIT_CONFIG_COUNT: "3", GIT_CONFIG_KEY_2: "core.x", GIT_CONFIG_VALUE_2: "y", GIT_CONFIG_PARAMETERS: "'a.b'='c'" });
    expect(env.GIT_CONFIG_COUNT).toBe("2");
    expect(env.GIT_CONFIG_KEY_0).toBe("http.http://127.0.0.1:8080/.extraHeader");
    const value = env.GIT_CONFIG_VALUE_0!;
    expect(value).toMatch(/^Authorization: Basic /);
    expect(Buffer.from(value.slice("Authorization: Basic ".length), "base64").toString()).toBe(`x-access-token:${TOKEN}`);
    expect(env.GIT_CONFIG_KEY_1).toBe("credential.helper");
    expect(env.GIT_CONFIG_KEY_2).toBeUndefined();
    expect(env.GIT_CONFIG_PARAMETERS).toBeUndefined();
    expect(env.GIT_TERMINAL_PROMPT).toBe("0");
    expect(env.PATH).toBe("/bin");
    // The raw token is nowhere in the environment.
    expect(Object.values(env).some((v) => v?.includes(TOKEN))).toBe(false);
  });
});

describe("wantsFullHistory", () => {
  it("is true only when an actions/checkout step asks for a depth other than 1", () => {
    expect(wantsFullHistory(requestWith([{ run: "make" }]))).toBe(false);
    expect(wantsFullHistory(requestWith([{ uses: "actions/checkout@v4" }]))).toBe(false);
    expect(wantsFullHistory(requestWith([{ uses: "actions/checkout@v4", with: { "fetch-depth": 1 } }]))).toBe(false);
    expect(wantsFullHistory(requestWith([{ uses: "actions/checkout@v4", with: { "fetch-depth": 0 } }]))).toBe(true);
    expect(wantsFullHistory(requestWith([{ uses: "actions/checkout@v3", with: { "fetch-depth": "${{ inputs.depth }}" } }]))).toBe(true);
    expect(wantsFullHistory(requestWith([{ uses: "acme/checkout-like@v1", with: { "fetch-depth": 0 } }]))).toBe(false);
  });
});

describe("cloneFromServer", () => {
  it("retries an unreachable server, then fails with REPOSITORY_INVALID naming the URL and commit, never the token", async () => {
    // A port nothing listens on.
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, "127.0.0.1", () => {
        const p = (probe.address() as { port: number }).port;
        probe.close(() => resolve(p));
      });
    });
    const url = `http://127.0.0.1:${port}/git/acme/widgets.git`;
    const sleeps: number[] = [];
    const error = await cloneFromServer({ url, token: TOKEN, sha: "a".repeat(40), target: path.join(root, "w"), retryForMs: 1600, sleep: async (ms) => void sleeps.push(ms) }).catch((e: unknown) => e);
    // A server that cannot be reached (e.g. restarting) is tried again with backoff, within the retry time.
    expect(sleeps).toEqual([500, 1000]);
    expect(isSlipwayError(error)).toBe(true);
    const e = error as Error & { code: string; hint: string };
    expect(e.code).toBe("REPOSITORY_INVALID");
    expect(e.message).toContain(`cannot clone ${url} at ${"a".repeat(40)}`);
    expect(e.message + e.hint).not.toContain(TOKEN);
  });

  it("through the runner's object cache: fetches a commit once, checks it out again without the server, with its history cut at the commit", async () => {
    const source = path.join(root, "cached-source");
    mkdirSync(source);
    const g = (...args: string[]) => execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", ...args], { cwd: source, encoding: "utf8" }).trim();
    g("init", "-q", "-b", "main");
    writeFileSync(path.join(source, "a.txt"), "one\n");
    g("add", "-A");
    g("commit", "-q", "-m", "first");
    writeFileSync(path.join(source, "a.txt"), "two\n");
    g("commit", "-q", "-am", "second");
    const sha = g("rev-parse", "HEAD");
    const url = `file://${source}`;
    const cache = path.join(root, "git-cache");

    const first = path.join(root, "cached-1");
    await cloneFromServer({ url, token: TOKEN, sha, target: first, cache });
    expect(readFileSync(path.join(first, "a.txt"), "utf8")).toBe("two\n");
    expect(readdirSync(cache).filter((name) => name.endsWith(".git"))).toHaveLength(1);

    // The server's repository is gone: the second workspace can only come from the cache.
    renameSync(source, `${source}-away`);
    const second = path.join(root, "cached-2");
    await cloneFromServer({ url, token: TOKEN, sha, target: second, cache });
    const w = (...args: string[]) => execFileSync("git", args, { cwd: second, encoding: "utf8" }).trim();
    expect(readFileSync(path.join(second, "a.txt"), "utf8")).toBe("two\n");
    expect(w("rev-parse", "HEAD")).toBe(sha);
    expect(w("status", "--porcelain")).toBe("");
    // One commit, as a shallow fetch gives; its origin is the server's URL.
    expect(w("log", "--format=%s")).toBe("second");
    expect(w("config", "remote.origin.url")).toBe(url);

    // A commit the cache lacks is fetched, and a server that does not answer fails the clone as without a cache.
    const error = await cloneFromServer({ url, token: TOKEN, sha: "b".repeat(40), target: path.join(root, "cached-3"), cache, retryForMs: 0 }).catch((e: unknown) => e);
    expect(isSlipwayError(error) && error.code).toBe("REPOSITORY_INVALID");
  });
});

describe("workspace templates", () => {
  it("give a later job on the same commit git's own checkout, modes and links included, untouched by what an earlier job changed", async () => {
    const source = path.join(root, "template-source");
    mkdirSync(path.join(source, "bin"), { recursive: true });
    const g = (...args: string[]) => execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", ...args], { cwd: source, encoding: "utf8" }).trim();
    g("init", "-q", "-b", "main");
    writeFileSync(path.join(source, "a.txt"), "alpha\n");
    writeFileSync(path.join(source, "bin", "run.sh"), "#!/bin/sh\necho run\n", { mode: 0o755 });
    symlinkSync("a.txt", path.join(source, "link"));
    g("add", "-A");
    g("commit", "-q", "-m", "first");
    const sha = g("rev-parse", "HEAD");
    const url = `file://${source}`;
    const cache = path.join(root, "template-cache");

    const first = path.join(root, "template-1");
    await cloneFromServer({ url, token: TOKEN, sha, target: first, cache });
    const templates = readdirSync(cache).filter((name) => name.endsWith(".trees"));
    expect(templates).toHaveLength(1);
    expect(readdirSync(path.join(cache, templates[0]!))).toEqual([sha]);
    // The first job changes its workspace; the template is the checkout as it was.
    writeFileSync(path.join(first, "a.txt"), "changed by a job\n");

    // The server's repository is gone: the workspace comes from the runner's own copies.
    renameSync(source, `${source}-away`);
    const second = path.join(root, "template-2");
    await cloneFromServer({ url, token: TOKEN, sha, target: second, cache });
    const w = (...args: string[]) => execFileSync("git", args, { cwd: second, encoding: "utf8" }).trim();
    expect(readFileSync(path.join(second, "a.txt"), "utf8")).toBe("alpha\n");
    expect(statSync(path.join(second, "bin", "run.sh")).mode & 0o111).not.toBe(0);
    expect(readlinkSync(path.join(second, "link"))).toBe("a.txt");
    expect(w("rev-parse", "HEAD")).toBe(sha);
    expect(w("status", "--porcelain")).toBe("");
    expect(w("log", "--format=%s")).toBe("first");
    expect(w("config", "remote.origin.url")).toBe(url);
  });

  it("are kept only for small trees, and only the most recently used per cache", async () => {
    const cacheDir = path.join(root, "limits-cache", "abc.git");
    const tree = (name: string, files: number) => {
      const dir = path.join(root, "limits", name);
      mkdirSync(path.join(dir, ".git"), { recursive: true });
      writeFileSync(path.join(dir, ".git", "HEAD"), "x\n");
      for (let i = 0; i < files; i++) writeFileSync(path.join(dir, `f${i}`), "x");
      return dir;
    };
    const limits = { maxEntries: 10, maxBytes: 1024, keep: 2 };
    await saveTemplate(cacheDir, "big", tree("big", 20), limits);
    await saveTemplate(cacheDir, "c1", tree("c1", 2), limits);
    await saveTemplate(cacheDir, "c2", tree("c2", 2), limits);
    // c1 is used again: c2 becomes the least recently used.
    const old = new Date(Date.now() - 60_000);
    utimesSync(path.join(root, "limits-cache", "abc.trees", "c2"), old, old);
    expect(await copyTemplate(cacheDir, "c1", path.join(root, "limits", "copy"))).toBe(true);
    await saveTemplate(cacheDir, "c3", tree("c3", 2), limits);
    expect(readdirSync(path.join(root, "limits-cache", "abc.trees")).sort()).toEqual(["c1", "c3"]);
    expect(await copyTemplate(cacheDir, "big", path.join(root, "limits", "none"))).toBe(false);
  });
});

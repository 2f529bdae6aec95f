/**
 * Git over HTTP from the server's mirrors: a claim carries a job token that
 * fetches the run's repository (a private-like one the client cannot reach)
 * while the job runs and only then; user API tokens with read access clone;
 * push is refused; protocol v2, gzip bodies and the body limit; git is
 * stopped when the client goes away; tokens stay out of the server's log.
 */
import { execFile, execFileSync } from "node:child_process";
import { existsSync, readFileSync, renameSync, rmSync } from "node:fs";
import { request as httpRequest } from "node:http";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { serverGitEnv } from "../../src/runner/index.js";
import { createMirrors, createSecretBox } from "../../src/server/index.js";
import { makeRepo, git } from "../support/git-repo.js";
import { ADMIN_TOKEN, auth, createUserWithToken, sampleRequest, startTestServer, SECRET_KEY, type TestServer } from "./helpers.js";

const REPO_CREDENTIAL = "ghp_serverSideOnlyCredential0123";

function runGit(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile("git", args, { cwd: options.cwd, env: { ...(options.env ?? process.env), GIT_TERMINAL_PROMPT: "0" } }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout: String(stdout), stderr: String(stderr) }),
    );
  });
}

const pkt = (line: string) => (line.length + 4).toString(16).padStart(4, "0") + line;

describe("git over HTTP", () => {
  let server: TestServer;
  let base: string;
  let sha: string;
  let sourceDir: string;
  let runnerCredential: string;

  beforeAll(async () => {
    server = await startTestServer();
    await server.app.listen({ port: 0, host: "127.0.0.1" });
    const address = server.app.server.address() as { port: number };
    base = `http://127.0.0.1:${address.port}`;
    sourceDir = makeRepo({ "version.txt": "1.2.3\n", "README.md": "hello\n" }, { dir: `${server.dir}-source` });
    sha = git(sourceDir, "rev-parse", "HEAD");
    const box = createSecretBox(Buffer.from(SECRET_KEY, "hex"));
    const repo = await server.store.createRepository({ owner: "acme", name: "private", gitUrl: `file://${sourceDir}` });
    await server.store.updateRepository(repo.id, { credentials: Buffer.from(box.encrypt(REPO_CREDENTIAL, `credentials:${repo.id}`)) });
    const other = await server.store.createRepository({ owner: "acme", name: "other", gitUrl: `file://${sourceDir}` });
    // The server mirrors both, then the origin moves away: only the server can serve them now.
    const mirrors = createMirrors(server.dir);
    await mirrors.fetch({ id: repo.id, gitUrl: `file://${sourceDir}` });
    await mirrors.fetch({ id: other.id, gitUrl: `file://${sourceDir}` });
    renameSync(sourceDir, `${sourceDir}-moved`);

    const reg = await server.app.inject({ method: "POST", url: "/api/v3/runners/registration-token", headers: auth(ADMIN_TOKEN) });
    const registered = await server.app.inject({ method: "POST", url: "/api/v3/runner/register", payload: { token: reg.json().token, name: "r1", labels: ["ubuntu-latest"] } });
    runnerCredential = registered.json().credential;
  });

  afterAll(async () => {
    await server?.close();
    for (const dir of [sourceDir, `${sourceDir}-moved`]) rmSync(dir, { recursive: true, force: true });
  });

  async function claimJobOf(repoName: string) {
    const repo = (await server.store.getRepositoryByName("acme", repoName))!;
    const run = await server.store.createRun({ repositoryId: repo.id, workflowFile: ".github/workflows/ci.yml", workflowName: "ci", event: "push", headBranch: "main", headSha: sha, status: "queued" });
    const request = { ...sampleRequest("build"), env: { GITHUB_TOKEN: "" } };
    await server.store.enqueueJobs(run.id, [{ key: "build", name: "build", labels: ["ubuntu-latest"], request }]);
    const claimed = await server.app.inject({ method: "POST", url: "/api/v3/runner/jobs/claim", headers: auth(runnerCredential), payload: { wait_seconds: 0 } });
    expect(claimed.statusCode).toBe(200);
    return claimed.json();
  }

  async function complete(claim: { job: { id: number }; lease_token: string }) {
    const done = await server.app.inject({
      method: "POST",
      url: `/api/v3/runner/jobs/${claim.job.id}/complete`,
      headers: { ...auth(runnerCredential), "x-slipway-lease-token": claim.lease_token },
      payload: { conclusion: "success" },
    });
    expect(done.statusCode).toBe(200);
  }

  test("a job token fetches the run's repository from the mirror while the job runs, and only that repository", async () => {
    const claim = await claimJobOf("private");
    const token: string = claim.job_token;
    expect(token).toMatch(/^slpj_/);
    expect(claim.run.clone_path).toBe("/git/acme/private.git");
    // The token is the job's github.token, secrets.GITHUB_TOKEN and the empty GITHUB_TOKEN env, and is masked.
    expect(claim.job.request.contexts.github.token).toBe(token);
    expect(claim.secrets.GITHUB_TOKEN).toBe(token);

    const url = `${base}${claim.run.clone_path}`;
    const target = path.join(server.dir, "clone-job");
    const cloned = await runGit(["clone", "--quiet", "--depth", "1", url, target], { env: serverGitEnv(url, token) });
    expect(cloned.stderr).toBe("");
    expect(cloned.code).toBe(0);
    expect(readFileSync(path.join(target, "version.txt"), "utf8")).toBe("1.2.3\n");
    expect(git(target, "rev-parse", "HEAD")).toBe(sha);
    // Nothing of the token lands in the clone's config.
    expect(readFileSync(path.join(target, ".git", "config"), "utf8")).not.toContain(token);

    // Not another repository, even one the job's runner could otherwise fetch.
    const otherUrl = `${base}/git/acme/other.git`;
    const denied = await runGit(["ls-remote", otherUrl], { env: serverGitEnv(otherUrl, token) });
    expect(denied.code).not.toBe(0);
    const direct = await server.app.inject({ method: "GET", url: "/git/acme/other.git/info/refs?service=git-upload-pack", headers: { authorization: `Basic ${Buffer.from(`x:${token}`).toString("base64")}` } });
    expect(direct.statusCode).toBe(404);

    // A token made for another job id, or with its signature altered, is refused.
    const forged = token.replace(/^slpj_\d+_/, `slpj_${claim.job.id + 1}_`);
    const tampered = token.slice(0, -2) + (token.endsWith("AA") ? "BB" : "AA");
    for (const bad of [forged, tampered]) {
      const res = await server.app.inject({ method: "GET", url: "/git/acme/private.git/info/refs?service=git-upload-pack", headers: { authorization: `Basic ${Buffer.from(`x:${bad}`).toString("base64")}` } });
      expect(res.statusCode).toBe(401);
      expect(res.headers["www-authenticate"]).toMatch(/^Basic /);
    }

    // Once the job ends, its token is worth nothing.
    await complete(claim);
    const after = await runGit(["ls-remote", url], { env: serverGitEnv(url, token) });
    expect(after.code).not.toBe(0);
    expect(after.stderr).toMatch(/401|Authentication failed|could not read/i);

    const logs = server.logs.join("\n");
    expect(logs).not.toContain(token);
    expect(logs).not.toContain(Buffer.from(`x-access-token:${token}`).toString("base64"));
    expect(logs).not.toContain(REPO_CREDENTIAL);
  });

  test("a job of another repository cannot use its token here", async () => {
    const claim = await claimJobOf("other");
    const res = await server.app.inject({
      method: "GET",
      url: "/git/acme/private.git/info/refs?service=git-upload-pack",
      headers: { authorization: `Basic ${Buffer.from(`x-access-token:${claim.job_token}`).toString("base64")}` },
    });
    expect(res.statusCode).toBe(404);
    expect(res.body).toContain("acme/private not found");
    await complete(claim);
  });

  test("a user token with read access clones; without access it is a 404; without credentials a 401", async () => {
    const repo = (await server.store.getRepositoryByName("acme", "private"))!;
    const reader = await createUserWithToken(server.store, "reader", { scopes: ["read"], role: { repo, role: "read" } });
    const stranger = await createUserWithToken(server.store, "stranger", { scopes: ["read"] });
    const target = path.join(server.dir, "clone-user");
    // The token in the URL: git first asks without it, gets 401 with a Basic challenge, then retries.
    const withToken = `${base.replace("http://", `http://x-access-token:${reader}@`)}/git/acme/private.git`;
    const cloned = await runGit(["clone", "--quiet", withToken, target]);
    expect(cloned.code).toBe(0);
    expect(readFileSync(path.join(target, "README.md"), "utf8")).toBe("hello\n");
    expect(git(target, "rev-parse", "HEAD")).toBe(sha);
    // The `.git` suffix is optional.
    const plain = await server.app.inject({ method: "GET", url: "/git/acme/private/info/refs?service=git-upload-pack", headers: auth(reader) });
    expect(plain.statusCode).toBe(200);

    const strangerRes = await server.app.inject({ method: "GET", url: "/git/acme/private.git/info/refs?service=git-upload-pack", headers: auth(stranger) });
    expect(strangerRes.statusCode).toBe(404);
    const anonymous = await server.app.inject({ method: "GET", url: "/git/acme/private.git/info/refs?service=git-upload-pack" });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers["www-authenticate"]).toContain("Basic");
    expect(anonymous.body).toContain("Requires authentication");
    // A runner's credential is not a reader's.
    const runner = await server.app.inject({ method: "GET", url: "/git/acme/private.git/info/refs?service=git-upload-pack", headers: auth(runnerCredential) });
    expect(runner.statusCode).toBe(401);
    expect(server.logs.join("\n")).not.toContain(reader);
  });

  test("push is refused with a clear message", async () => {
    const target = path.join(server.dir, "clone-push");
    const reader = await createUserWithToken(server.store, "pusher", { scopes: ["admin"], isAdmin: true });
    const url = `${base.replace("http://", `http://x-access-token:${reader}@`)}/git/acme/private.git`;
    expect((await runGit(["clone", "--quiet", url, target])).code).toBe(0);
    git(target, "config", "user.email", "t@example.com");
    git(target, "config", "user.name", "T");
    git(target, "commit", "-q", "--allow-empty", "-m", "nope");
    const pushed = await runGit(["push", "origin", "HEAD:refs/heads/main"], { cwd: target });
    expect(pushed.code).not.toBe(0);
    expect(pushed.stderr).toContain("read-only");
    const refs = await server.app.inject({ method: "GET", url: "/git/acme/private.git/info/refs?service=git-receive-pack", headers: auth(reader) });
    expect(refs.statusCode).toBe(403);
    expect(refs.body).toContain("push is not supported");
    const post = await server.app.inject({ method: "POST", url: "/git/acme/private.git/git-receive-pack", headers: { ...auth(reader), "content-type": "application/x-git-receive-pack-request" }, payload: "0000" });
    expect(post.statusCode).toBe(403);
    const dumb = await server.app.inject({ method: "GET", url: "/git/acme/private.git/info/refs", headers: auth(reader) });
    expect(dumb.statusCode).toBe(422);
    expect(dumb.body).toContain("smart HTTP");
  });

  test("protocol v2 through Git-Protocol, gzip request bodies, and the body size limit", async () => {
    const v0 = await server.app.inject({ method: "GET", url: "/git/acme/private.git/info/refs?service=git-upload-pack", headers: auth(ADMIN_TOKEN) });
    expect(v0.statusCode).toBe(200);
    expect(v0.headers["content-type"]).toBe("application/x-git-upload-pack-advertisement");
    expect(v0.body.startsWith("001e# service=git-upload-pack\n0000")).toBe(true);
    expect(v0.body).toContain(`${sha} HEAD`);

    const v2 = await server.app.inject({ method: "GET", url: "/git/acme/private.git/info/refs?service=git-upload-pack", headers: { ...auth(ADMIN_TOKEN), "git-protocol": "version=2" } });
    expect(v2.statusCode).toBe(200);
    expect(v2.body.startsWith("000eversion 2\n")).toBe(true);
    expect(v2.body).toContain("ls-refs");

    const lsRefs = pkt("command=ls-refs\n") + "0001" + pkt("ref-prefix refs/heads/\n") + "0000";
    const gz = await server.app.inject({
      method: "POST",
      url: "/git/acme/private.git/git-upload-pack",
      headers: { ...auth(ADMIN_TOKEN), "git-protocol": "version=2", "content-type": "application/x-git-upload-pack-request", "content-encoding": "gzip" },
      payload: gzipSync(Buffer.from(lsRefs)),
    });
    expect(gz.statusCode).toBe(200);
    expect(gz.headers["content-type"]).toBe("application/x-git-upload-pack-result");
    expect(gz.body).toContain(`${sha} refs/heads/main`);

    // An ls-refs command with 40 MB of arguments, well under a megabyte gzipped: git reads arguments
    // up to the final flush, so the body is refused once inflated past the limit.
    const argument = pkt("ref-prefix refs/heads/" + "x".repeat(200) + "\n");
    const huge = pkt("command=ls-refs\n") + "0001" + argument.repeat(Math.ceil((40 * 1024 * 1024) / argument.length)) + "0000";
    const bomb = await server.app.inject({
      method: "POST",
      url: "/git/acme/private.git/git-upload-pack",
      headers: { ...auth(ADMIN_TOKEN), "git-protocol": "version=2", "content-type": "application/x-git-upload-pack-request", "content-encoding": "gzip" },
      payload: gzipSync(Buffer.from(huge)),
    });
    expect(bomb.statusCode).toBe(413);
    expect(bomb.body).toContain("larger than");
  });

  test("git is stopped when the client goes away mid-request", async () => {
    const children = () => {
      try {
        return execFileSync("ps", ["-o", "args=", "--ppid", String(process.pid)], { encoding: "utf8" })
          .split("\n")
          .filter((l) => l.includes("upload-pack") && l.includes("--stateless-rpc") && !l.includes("--advertise-refs"));
      } catch {
        return [];
      }
    };
    const { port } = server.app.server.address() as { port: number };
    const req = httpRequest({
      host: "127.0.0.1",
      port,
      method: "POST",
      path: "/git/acme/private.git/git-upload-pack",
      headers: { ...auth(ADMIN_TOKEN), "content-type": "application/x-git-upload-pack-request", "transfer-encoding": "chunked" },
    });
    req.on("error", () => undefined);
    // Half a request: git waits for the rest.
    req.write(pkt(`want ${sha}\n`));
    const deadline = Date.now() + 10_000;
    while (children().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(children().length).toBe(1);
    req.destroy();
    const gone = Date.now() + 10_000;
    while (children().length > 0 && Date.now() < gone) await new Promise((r) => setTimeout(r, 50));
    expect(children()).toEqual([]);
    // The cut-short request left nothing the server counts as an error.
    expect(server.logs.filter((l) => /"level":50/.test(l))).toEqual([]);
  });

  test("the mirror is fetched when it lacks the job's commit", async () => {
    // A new commit at the origin, not yet in the mirror (no trigger came).
    renameSync(`${sourceDir}-moved`, sourceDir);
    execFileSync("git", ["commit", "-q", "--allow-empty", "-m", "newer"], { cwd: sourceDir });
    const newer = git(sourceDir, "rev-parse", "HEAD");
    const repo = (await server.store.getRepositoryByName("acme", "private"))!;
    const mirror = path.join(server.dir, "mirrors", `${repo.id}.git`);
    expect(existsSync(mirror)).toBe(true);
    const run = await server.store.createRun({ repositoryId: repo.id, workflowFile: ".github/workflows/ci.yml", workflowName: "ci", event: "push", headBranch: "main", headSha: newer, status: "queued" });
    await server.store.enqueueJobs(run.id, [{ key: "build", name: "build", labels: ["ubuntu-latest"], request: sampleRequest("build") }]);
    const claim = (await server.app.inject({ method: "POST", url: "/api/v3/runner/jobs/claim", headers: auth(runnerCredential), payload: { wait_seconds: 0 } })).json();
    const url = `${base}${claim.run.clone_path}`;
    const target = path.join(server.dir, "clone-newer");
    execFileSync("git", ["init", "-q", target]);
    const fetched = await runGit(["fetch", "--quiet", "--depth", "1", url, newer], { cwd: target, env: serverGitEnv(url, claim.job_token) });
    expect(fetched.stderr).toBe("");
    expect(fetched.code).toBe(0);
    expect(git(target, "rev-parse", "FETCH_HEAD")).toBe(newer);
    await complete(claim);
    rmSync(target, { recursive: true, force: true });
  });

  test("a replica without the mirror makes it when upload-pack is asked first", async () => {
    // Another replica answered info/refs: this one has no mirror yet (the origin is reachable again since the previous test).
    const repo = (await server.store.getRepositoryByName("acme", "private"))!;
    rmSync(path.join(server.dir, "mirrors", `${repo.id}.git`), { recursive: true, force: true });
    const lsRefs = pkt("command=ls-refs\n") + "0001" + pkt("ref-prefix refs/heads/\n") + "0000";
    const res = await server.app.inject({
      method: "POST",
      url: "/git/acme/private.git/git-upload-pack",
      headers: { ...auth(ADMIN_TOKEN), "git-protocol": "version=2", "content-type": "application/x-git-upload-pack-request" },
      payload: Buffer.from(lsRefs),
    });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain(`${git(sourceDir, "rev-parse", "HEAD")} refs/heads/main`);
  });
});

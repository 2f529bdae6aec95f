/**
 * Git's smart HTTP protocol, read-only, served from the server's mirror of a
 * registered repository:
 *
 *   GET  /git/{owner}/{repo}.git/info/refs?service=git-upload-pack
 *   POST /git/{owner}/{repo}.git/git-upload-pack
 *
 * (`.git` is optional). Each request runs `git upload-pack --stateless-rpc`
 * on the mirror and streams its output; protocol v2 is passed through from
 * the `Git-Protocol` header, gzip request bodies are inflated, request bodies
 * are capped, and git is killed when the client goes away. Push
 * (`git-receive-pack`) is refused.
 *
 * Authentication is HTTP Basic with any user name and, as the password, the
 * job token of a job of this repository (while that job runs) or an API token
 * of a user who can read the repository. Errors are plain text, which git
 * shows to its user as `remote:` lines.
 */
import { spawn } from "node:child_process";
import { PassThrough, pipeline, Transform, type Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { httpStatusOf, isSlipwayError, SlipwayError } from "../../lib/index.js";
import type { Repository } from "../../store/index.js";
import { effectiveRank, jobTokenKey, resolveGitPrincipal, type GitPrincipal } from "../auth.js";
import type { RouteContext } from "../context.js";
import { RateLimitedError } from "../http-errors.js";
import { createMirrors, ensureMirror, hasMirror, type MirrorSource } from "../pipeline/git-mirror.js";
import { mirrorSourceOf } from "../pipeline/stored-secrets.js";
import { repositoryUrlSettingsOf } from "../repository-url.js";

/** The most a single git request body may hold, compressed or inflated (wants and haves, not packs). */
const MAX_GIT_REQUEST_BYTES = 32 * 1024 * 1024;

const UPLOAD_PACK = "git-upload-pack";
const RECEIVE_PACK = "git-receive-pack";
/** `Git-Protocol` values are `key[=value]` pairs separated by colons, e.g. `version=2`. */
const GIT_PROTOCOL = /^[A-Za-z0-9._-]+(=[A-Za-z0-9._-]*)?(:[A-Za-z0-9._-]+(=[A-Za-z0-9._-]*)?)*$/;

/** The path of a repository's git URL on the server. */
export function gitPathOf(fullName: string): string {
  return `/git/${fullName}.git`;
}

const pushRefused = () =>
  new SlipwayError("REPOSITORY_READ_ONLY", "Slipway serves repositories read-only: push is not supported here", {
    hint: "Push to the repository's origin (its git URL); Slipway's mirror follows it.",
  });

function repoName(params: unknown): { owner: string; name: string } {
  const p = params as { owner?: string; repo?: string };
  return { owner: p.owner ?? "", name: (p.repo ?? "").replace(/\.git$/, "") };
}

/** Writes an error as text for git clients; 401 answers ask for Basic credentials so git prompts or uses its helper. */
function sendGitError(request: FastifyRequest, reply: FastifyReply, error: unknown): void {
  if (reply.sent || reply.raw.headersSent) {
    // Too late for a status: cut the answer short so git reports a broken transfer.
    reply.raw.destroy();
    return;
  }
  const known = isSlipwayError(error) ? error : null;
  if (!known) request.log.error({ err: error }, "git request failed");
  const status = known ? httpStatusOf(known.code) : 500;
  if (status === 401) void reply.header("www-authenticate", 'Basic realm="Slipway", charset="UTF-8"');
  if (error instanceof RateLimitedError) void reply.header("retry-after", String(error.retryAfterSeconds));
  const text = known ? `${known.message} [${known.code}]\n${known.hint}\n` : "Internal server error [INTERNAL_ERROR]\nThe server logged the cause.\n";
  void reply.status(status).header("content-type", "text/plain; charset=utf-8").header("cache-control", "no-cache").send(text);
}

/** Counts bytes through a stream and fails it past `limit`. */
function byteLimit(limit: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      if (seen > limit) {
        callback(
          new SlipwayError("QUOTA_EXCEEDED", `The git request body is larger than ${limit} bytes`, {
            hint: "Fetch with fewer refs at once, or shallower (git fetch --depth).",
          }),
        );
        return;
      }
      callback(null, chunk);
    },
  });
}

export function registerGitHttpRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { store } = ctx;
  const mirrors = createMirrors(ctx.config.dataDir, repositoryUrlSettingsOf(ctx.config));
  const key = jobTokenKey(ctx.secretBox);

  // The body goes to git as a stream: these parsers leave it unread.
  for (const type of ["application/x-git-upload-pack-request", "application/x-git-receive-pack-request"]) {
    app.addContentTypeParser(type, (_request: FastifyRequest, _payload: unknown, done: (err: Error | null, body?: unknown) => void) => done(null));
  }

  const sourceOf = (repo: Repository): MirrorSource => mirrorSourceOf(repo, ctx.secretBox);

  /**
   * The repository the caller may read, or a 404 that does not tell a
   * repository it may not see from one that does not exist. A job token
   * reads only its own run's repository.
   */
  const authorizeRead = async (request: FastifyRequest): Promise<{ repo: Repository; who: GitPrincipal; sha: string | null }> => {
    const who = await resolveGitPrincipal(request, { store, now: ctx.now, limiter: ctx.limiter, jobTokenKey: key });
    const { owner, name } = repoName(request.params);
    const missing = new SlipwayError("REPOSITORY_NOT_FOUND", `Repository ${owner}/${name} not found`, {
      hint: "Check the owner and name; a job's token reads only the repository of its own run.",
    });
    const repo = await store.getRepositoryByName(owner, name);
    if (!repo) throw missing;
    if (who.kind === "job") {
      const run = await store.getRun(who.job.runId);
      if (!run || run.repositoryId !== repo.id) throw missing;
      return { repo, who, sha: run.headSha || null };
    }
    if ((await effectiveRank(store, who.principal, repo)) < 1) throw missing;
    return { repo, who, sha: null };
  };

  /** Runs upload-pack on the mirror; stdin is the request body (or nothing) and stdout the answer. */
  const uploadPack = (mirror: string, request: FastifyRequest, advertise: boolean) => {
    const given = request.headers["git-protocol"];
    const protocol = typeof given === "string" && given.length <= 256 && GIT_PROTOCOL.test(given) ? given : undefined;
    const env: NodeJS.ProcessEnv = { ...process.env, GIT_TERMINAL_PROMPT: "0" };
    delete env.GIT_PROTOCOL;
    if (protocol) env.GIT_PROTOCOL = protocol;
    // Any object of the mirror may be wanted: the caller may read the whole repository, and
    // runners fetch the run's commit by id. Filters allow partial clones.
    const args = ["-c", "uploadpack.allowAnySHA1InWant=true", "-c", "uploadpack.allowFilter=true", "upload-pack", "--stateless-rpc"];
    if (advertise) args.push("--advertise-refs");
    args.push(mirror);
    const child = spawn("git", args, { env, stdio: ["pipe", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => {
      if (stderr.length < 4096) stderr += d.toString("utf8");
    });
    const exited = new Promise<number | null>((resolve) => {
      child.on("error", () => resolve(-1));
      child.on("close", (code) => resolve(code));
    });
    return { child, exited, stderr: () => stderr.trim(), v2: protocol?.split(":").includes("version=2") ?? false };
  };

  /**
   * Streams git's answer: headers go out with its first bytes, so a git that
   * fails before answering still gets an error status. `prefix` comes first.
   */
  const stream = async (
    request: FastifyRequest,
    reply: FastifyReply,
    run: ReturnType<typeof uploadPack>,
    contentType: string,
    prefix: Buffer | null,
    inputFailed: Promise<Error>,
  ): Promise<void> => {
    const { child } = run;
    // The client went away: stop git at once.
    const onClose = () => {
      if (!reply.raw.writableFinished && child.exitCode === null) child.kill("SIGKILL");
    };
    reply.raw.on("close", onClose);
    const first = await Promise.race([
      new Promise<Buffer | null>((resolve) => {
        child.stdout.once("data", (chunk: Buffer) => {
          child.stdout.pause();
          resolve(chunk);
        });
        child.stdout.once("end", () => resolve(null));
      }),
      run.exited.then(() => null),
      inputFailed,
    ]);
    if (first instanceof Error) {
      child.kill("SIGKILL");
      throw first;
    }
    if (first === null) {
      const code = await run.exited;
      if (code !== 0) {
        request.log.warn({ code, stderr: run.stderr() }, "git upload-pack failed");
        throw new SlipwayError("INTERNAL_ERROR", "git upload-pack failed on the server's mirror", { hint: "The server logged git's message; retry, or ask the operator." });
      }
    }
    const body = new PassThrough();
    if (prefix) body.write(prefix);
    if (first) body.write(first);
    pipeline(child.stdout as Readable, body, (error) => {
      if (error && child.exitCode === null) child.kill("SIGKILL");
    });
    child.stdout.resume();
    void run.exited.then((code) => {
      if (code !== 0 && code !== null) request.log.warn({ code, stderr: run.stderr() }, "git upload-pack ended with an error");
    });
    // Not awaited: the reply settles when the stream ends or the client goes away, which onClose handles.
    void reply
      .status(200)
      .header("content-type", contentType)
      .header("cache-control", "no-cache, max-age=0, must-revalidate")
      .header("pragma", "no-cache")
      .send(body);
  };

  app.get("/git/:owner/:repo/info/refs", { config: { permission: "public" }, exposeHeadRoute: false }, async (request, reply) => {
    try {
      const service = (request.query as { service?: unknown }).service;
      if (service === RECEIVE_PACK) throw pushRefused();
      if (service !== UPLOAD_PACK) {
        throw new SlipwayError("VALIDATION_FAILED", "Slipway serves git's smart HTTP protocol only (service=git-upload-pack)", {
          hint: "Use git 1.6.6 or later; the dumb HTTP protocol is not served.",
        });
      }
      const { repo, sha } = await authorizeRead(request);
      // A job's commit must be in the mirror before the job fetches it; others get the mirror as it is.
      const mirror = await ensureMirror(mirrors, sourceOf(repo), sha);
      const run = uploadPack(mirror, request, true);
      run.child.stdin.end();
      // Protocol v2 answers start with the capability advertisement; v0/v1 with the service line.
      const prefix = run.v2 ? null : Buffer.from(`001e# service=git-upload-pack\n0000`);
      await stream(request, reply, run, "application/x-git-upload-pack-advertisement", prefix, new Promise<Error>(() => undefined));
    } catch (error) {
      sendGitError(request, reply, error);
    }
    return reply;
  });

  app.post("/git/:owner/:repo/git-upload-pack", { config: { permission: "public" } }, async (request, reply) => {
    try {
      const { repo, sha } = await authorizeRead(request);
      // With several replicas, info/refs may have been answered by another one: this replica's mirror is made or fetched as needed.
      if (!hasMirror(ctx.config.dataDir, repo.id) || sha) await ensureMirror(mirrors, sourceOf(repo), sha);
      const contentType = String(request.headers["content-type"] ?? "");
      if (!contentType.startsWith("application/x-git-upload-pack-request")) {
        throw new SlipwayError("VALIDATION_FAILED", "git-upload-pack takes an application/x-git-upload-pack-request body", { hint: "Fetch with a git client." });
      }
      const encoding = String(request.headers["content-encoding"] ?? "identity").toLowerCase();
      if (encoding !== "identity" && encoding !== "gzip" && encoding !== "x-gzip") {
        throw new SlipwayError("VALIDATION_FAILED", `Content-Encoding ${encoding} is not supported`, { hint: "Send the body as is or gzip-compressed." });
      }
      const run = uploadPack(mirrors.path(repo.id), request, false);
      const stages: NodeJS.ReadWriteStream[] = [byteLimit(MAX_GIT_REQUEST_BYTES)];
      if (encoding !== "identity") stages.push(createGunzip(), byteLimit(MAX_GIT_REQUEST_BYTES));
      const inputFailed = new Promise<Error>((resolve) => {
        pipeline([request.raw, ...stages, run.child.stdin], (error) => {
          if (!error) return;
          // Only a body over the limit or broken gzip is the request's fault. git may close its stdin
          // as soon as it has read a complete command (EPIPE, premature close): its exit code then
          // tells how it went; a client that went away is handled where the answer is streamed.
          const code = (error as NodeJS.ErrnoException).code ?? "";
          if (!isSlipwayError(error) && !code.startsWith("Z_")) return;
          if (run.child.exitCode === null) run.child.kill("SIGKILL");
          resolve(
            isSlipwayError(error)
              ? error
              : new SlipwayError("VALIDATION_FAILED", `The git request body could not be read: ${error.message}`, { hint: "Retry the fetch." }),
          );
        });
      });
      await stream(request, reply, run, "application/x-git-upload-pack-result", null, inputFailed);
    } catch (error) {
      sendGitError(request, reply, error);
    }
    return reply;
  });

  app.post("/git/:owner/:repo/git-receive-pack", { config: { permission: "public" } }, async (request, reply) => {
    sendGitError(request, reply, pushRefused());
    return reply;
  });
}

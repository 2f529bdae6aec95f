/**
 * A stand-in for `slipway server` in browser tests: serves the built UI from
 * dist/ui (index.html for every non-API path) and answers the public HTTP API
 * with GitHub-shaped JSON, including a job log as server-sent events that
 * resume from Last-Event-ID. State lives in memory and tests steer it
 * (start a live job, add a run, expire sessions, drop a stream).
 */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";

type Status = "queued" | "in_progress" | "completed";
type Conclusion = "success" | "failure" | "cancelled" | "skipped" | null;

interface FakeStep {
  number: number;
  name: string;
  status: Status;
  conclusion: Conclusion;
  started_at: string | null;
  completed_at: string | null;
}

interface FakeJob {
  id: number;
  run_id: number;
  key: string;
  name: string;
  needs: string[];
  matrix: Record<string, unknown> | null;
  status: Status;
  conclusion: Conclusion;
  started_at: string | null;
  completed_at: string | null;
  labels: string[];
  runner_name: string | null;
  steps: FakeStep[];
  /** Log chunks; a chunk's index is its event id. */
  chunks: Array<{ step: number; text: string }>;
  /** For a live job: chunks still to come, one per tick, with the step state they imply. */
  pending: Array<{ step: number; text: string }>;
  summary?: string;
}

interface FakeRun {
  id: number;
  repo: string;
  name: string;
  display_title: string;
  path: string;
  status: Status;
  conclusion: Conclusion;
  event: string;
  head_branch: string;
  head_sha: string;
  actor: string;
  run_number: number;
  run_attempt: number;
  created_at: string;
  run_started_at: string | null;
  updated_at: string;
  jobs: FakeJob[];
  /** Jobs of earlier attempts, index 0 = attempt 1. */
  previousAttempts: FakeJob[][];
}

export interface FakeApiOptions {
  /** Folder with the built UI (index.html + assets). */
  uiDir: string;
}

export interface Dispatch {
  repo: string;
  workflow: string;
  ref: string;
  inputs: Record<string, string>;
}

const ANSI_GREEN = "\x1b[32m";
const ANSI_RED = "\x1b[31m";
const ANSI_BOLD = "\x1b[1m";
const ANSI_RESET = "\x1b[0m";

function iso(msAgo: number): string {
  return new Date(Date.now() - msAgo).toISOString();
}

function sha(seed: number): string {
  return (seed * 2654435761).toString(16).padStart(8, "0").repeat(5).slice(0, 40);
}

const MIME: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".json": "application/json",
};

/** Serves the built UI: a file when it exists, index.html for every other path (client-side routes). */
export function serveUi(dir: string, res: http.ServerResponse, pathname: string): void {
  let file = path.join(dir, path.normalize(pathname).replace(/^([/\\])+/, ""));
  if (!file.startsWith(dir) || !existsSync(file) || pathname === "/" || !path.extname(file)) file = path.join(dir, "index.html");
  const type = MIME[path.extname(file)] ?? "application/octet-stream";
  res.writeHead(200, { "content-type": type });
  res.end(readFileSync(file));
}

export class FakeApi {
  readonly users = new Map<string, { id: number; login: string; password: string; site_admin: boolean; created_at: string }>();
  readonly sessions = new Map<string, string>();
  readonly repos = [
    { id: 1, owner: "acme", name: "web", default_branch: "main" },
    { id: 2, owner: "acme", name: "api", default_branch: "trunk" },
  ];
  readonly runs: FakeRun[] = [];
  readonly secrets = new Map<string, { value: string; updated_at: string }>();
  readonly dispatches: Dispatch[] = [];
  readonly requests: string[] = [];
  /** Every response body sent, for checks that a secret never left the server. */
  readonly responseBodies: string[] = [];
  private nextId = 100;
  private server?: http.Server;
  private timers = new Set<NodeJS.Timeout>();
  private streams = new Set<{ job: FakeJob; res: http.ServerResponse; sent: number }>();
  /** When set, the next live log stream is cut after this many events, to exercise resuming. */
  dropStreamAfter: number | undefined;
  /** Answer every API call with 503, as a server that is going away. */
  down = false;

  constructor(private readonly options: FakeApiOptions) {
    this.users.set("ada", { id: 1, login: "ada", password: "correct-horse-battery", site_admin: true, created_at: iso(86_400_000 * 40) });
    this.users.set("grace", { id: 2, login: "grace", password: "another-password", site_admin: false, created_at: iso(86_400_000 * 12) });
    this.seed();
  }

  // ------------------------------------------------------------------ fixtures

  private id(): number {
    return this.nextId++;
  }

  private steps(names: string[], outcome: "success" | "failure-at-last" | "queued", startMsAgo: number): FakeStep[] {
    return names.map((name, i) => {
      if (outcome === "queued") return { number: i + 1, name, status: "queued", conclusion: null, started_at: null, completed_at: null };
      const failed = outcome === "failure-at-last" && i === names.length - 1;
      return {
        number: i + 1,
        name,
        status: "completed",
        conclusion: failed ? "failure" : "success",
        started_at: iso(startMsAgo - i * 4000),
        completed_at: iso(startMsAgo - i * 4000 - 3500),
      };
    });
  }

  private job(run: FakeRun, key: string, name: string, opts: Partial<FakeJob> & { stepNames?: string[]; outcome?: "success" | "failure-at-last" | "queued"; startMsAgo?: number }): FakeJob {
    const outcome = opts.outcome ?? "success";
    const steps = this.steps(opts.stepNames ?? ["Set up job", "Run actions/checkout@v4", "Build"], outcome, opts.startMsAgo ?? 600_000);
    const done = outcome !== "queued";
    const job: FakeJob = {
      id: this.id(),
      run_id: run.id,
      key,
      name,
      needs: opts.needs ?? [],
      matrix: opts.matrix ?? null,
      status: done ? "completed" : "queued",
      conclusion: done ? (outcome === "failure-at-last" ? "failure" : "success") : null,
      started_at: done ? steps[0]!.started_at : null,
      completed_at: done ? steps[steps.length - 1]!.completed_at : null,
      labels: ["ubuntu-latest"],
      runner_name: done ? "builder-1" : null,
      steps,
      chunks: opts.chunks ?? steps.flatMap((s) => [{ step: s.number, text: `Running ${s.name}\n${ANSI_GREEN}ok${ANSI_RESET} ${s.name} done\n` }]),
      pending: [],
      summary: opts.summary,
    };
    run.jobs.push(job);
    return job;
  }

  private run(repo: string, fields: Partial<FakeRun>): FakeRun {
    const id = this.id();
    const number = this.runs.filter((r) => r.repo === repo).length + 1;
    const run: FakeRun = {
      id,
      repo,
      name: "CI",
      display_title: `Commit ${number}`,
      path: ".github/workflows/ci.yml",
      status: "completed",
      conclusion: "success",
      event: "push",
      head_branch: "main",
      head_sha: sha(id),
      actor: "ada",
      run_number: number,
      run_attempt: 1,
      created_at: iso(3_600_000 * (10 - number)),
      run_started_at: iso(3_600_000 * (10 - number) - 2000),
      updated_at: iso(3_600_000 * (10 - number) - 95_000),
      jobs: [],
      previousAttempts: [],
      ...fields,
    };
    this.runs.push(run);
    return run;
  }

  private seed(): void {
    const ok = this.run("acme/web", { display_title: "Add dark theme", head_branch: "main" });
    this.job(ok, "lint", "lint", {});
    this.job(ok, "test", "test", { needs: ["lint"] });

    const failed = this.run("acme/web", {
      display_title: "Speed up the parser",
      head_branch: "feature/parser",
      conclusion: "failure",
      actor: "grace",
      event: "pull_request",
    });
    this.job(failed, "lint", "lint", {});
    for (const [i, node] of [18, 20, 22].entries()) {
      const fails = node === 22;
      this.job(failed, `test-${i + 1}`, `test (${node})`, {
        needs: ["lint"],
        matrix: { node },
        outcome: fails ? "failure-at-last" : "success",
        stepNames: ["Set up job", "Install", "Run tests"],
        chunks: fails
          ? [
              { step: 1, text: "Runner builder-2\nImage ubuntu-latest\n" },
              { step: 2, text: "::group::npm ci output\nadded 312 packages\naudited 313 packages\n::endgroup::\nInstalled.\n" },
              {
                step: 3,
                text:
                  `${ANSI_BOLD}> vitest run${ANSI_RESET}\n` +
                  ` ${ANSI_GREEN}✓${ANSI_RESET} test/lexer.test.ts (12 tests)\n` +
                  ` ${ANSI_RED}✗${ANSI_RESET} test/parser.test.ts > parses nested groups\n` +
                  "::error file=src/parser.ts,line=42,col=7,title=Assertion failed::expected 3 to equal 4\n" +
                  "::warning file=src/lexer.ts,line=9::unused variable 'peek'\n" +
                  "##[error]Process completed with exit code 1.\n",
              },
            ]
          : undefined,
        summary: fails
          ? "## Test results\n\n| suite | passed | failed |\n|---|---|---|\n| lexer | 12 | 0 |\n| parser | 8 | 1 |\n\n<script>window.__pwned = true</script><img src=x onerror=\"window.__pwned = true\">\n\n**1 failure** in `parser.test.ts` ([details](javascript:window.__pwned=true), [report](https://ci.example.com/r/1))"
          : undefined,
      });
    }
    this.job(failed, "deploy", "deploy", { needs: ["test"], outcome: "success", stepNames: ["Set up job"] }).conclusion = "skipped";

    const huge = this.run("acme/api", { display_title: "Verbose build", conclusion: "failure", created_at: iso(86_400_000) });
    const lines = Array.from({ length: 6000 }, (_, i) => `compiling module ${i + 1}\n`).join("");
    this.job(huge, "build", "build", { outcome: "failure-at-last", stepNames: ["Compile"], chunks: [{ step: 1, text: lines }] });

    const api = this.run("acme/api", { display_title: "Bump fastify", head_branch: "trunk", actor: "ada" });
    this.job(api, "build", "build", {});
  }

  /** A run whose single job streams its log, one chunk every `intervalMs`, then succeeds. */
  startLiveRun(intervalMs = 120): FakeRun {
    const run = this.run("acme/web", {
      display_title: "Stream the logs",
      status: "in_progress",
      conclusion: null,
      created_at: iso(1000),
      run_started_at: iso(900),
      updated_at: iso(500),
      event: "push",
    });
    const job = this.job(run, "build", "build", { outcome: "queued", stepNames: ["Set up job", "Compile", "Package"], chunks: [] });
    job.status = "in_progress";
    job.started_at = iso(800);
    job.runner_name = "builder-1";
    for (let i = 1; i <= 3; i++) {
      for (let n = 1; n <= 5; n++) job.pending.push({ step: i, text: `step ${i} line ${n}\n` });
    }
    job.summary = "Built **3** packages.";
    const tick = () => {
      if (job.status === "completed") return;
      const next = job.pending.shift();
      if (!next) {
        this.finishJob(run, job, "success");
        return;
      }
      this.startStep(job, next.step);
      this.pushChunk(job, next);
      this.later(tick, intervalMs);
    };
    this.later(tick, intervalMs);
    return run;
  }

  /** A run that stays in progress until cancelled. */
  startIdleRun(): FakeRun {
    const run = this.run("acme/web", { display_title: "Long deploy", status: "in_progress", conclusion: null, created_at: iso(5000), run_started_at: iso(4000), updated_at: iso(100), event: "workflow_dispatch" });
    const job = this.job(run, "deploy", "deploy", { outcome: "queued", stepNames: ["Set up job", "Wait for approval"], chunks: [] });
    job.status = "in_progress";
    job.started_at = iso(3000);
    this.startStep(job, 1);
    this.pushChunk(job, { step: 1, text: "Preparing\n" });
    return run;
  }

  addRun(repo: string, title: string): FakeRun {
    const run = this.run(repo, { display_title: title, status: "queued", conclusion: null, created_at: iso(0), run_started_at: null, updated_at: iso(0) });
    this.job(run, "build", "build", { outcome: "queued" });
    return run;
  }

  expireSessions(): void {
    this.sessions.clear();
  }

  private later(fn: () => void, ms: number): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  private startStep(job: FakeJob, number: number): void {
    for (const s of job.steps) {
      if (s.number < number && s.status !== "completed") {
        s.status = "completed";
        s.conclusion = "success";
        s.completed_at = new Date().toISOString();
        s.started_at ??= s.completed_at;
      }
      if (s.number === number && s.status === "queued") {
        s.status = "in_progress";
        s.started_at = new Date().toISOString();
      }
    }
  }

  private pushChunk(job: FakeJob, chunk: { step: number; text: string }): void {
    job.chunks.push(chunk);
    const index = job.chunks.length - 1;
    for (const stream of this.streams) if (stream.job === job) this.sendChunk(stream, index);
  }

  private finishJob(run: FakeRun, job: FakeJob, conclusion: Conclusion): void {
    const now = new Date().toISOString();
    for (const s of job.steps) {
      if (s.status !== "completed") {
        s.conclusion = conclusion === "cancelled" ? (s.status === "queued" ? "skipped" : "cancelled") : conclusion;
        s.status = "completed";
        s.started_at ??= now;
        s.completed_at = now;
      }
    }
    job.status = "completed";
    job.conclusion = conclusion;
    job.completed_at = now;
    job.pending = [];
    if (run.jobs.every((j) => j.status === "completed")) {
      run.status = "completed";
      run.conclusion = run.jobs.some((j) => j.conclusion === "failure") ? "failure" : run.jobs.some((j) => j.conclusion === "cancelled") ? "cancelled" : "success";
      run.updated_at = now;
    }
    for (const stream of [...this.streams]) if (stream.job === job) this.endStream(stream);
  }

  // ------------------------------------------------------------------ JSON shapes (as src/server/json.ts renders them)

  private runJson(run: FakeRun) {
    const [owner, name] = run.repo.split("/");
    return {
      id: run.id,
      name: run.name,
      display_title: run.display_title,
      head_branch: run.head_branch,
      head_sha: run.head_sha,
      path: run.path,
      run_number: run.run_number,
      run_attempt: run.run_attempt,
      event: run.event,
      status: run.status,
      conclusion: run.conclusion,
      html_url: `${this.url}/${run.repo}/actions/runs/${run.id}`,
      created_at: run.created_at,
      updated_at: run.updated_at,
      run_started_at: run.run_started_at,
      actor: { login: run.actor },
      repository: { full_name: run.repo, name, owner: { login: owner } },
    };
  }

  private jobJson(job: FakeJob) {
    const { chunks: _c, pending: _p, summary: _s, ...rest } = job;
    return { ...rest, steps: job.steps.map((s) => ({ ...s })) };
  }

  // ------------------------------------------------------------------ HTTP

  url = "";

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((error: Error) => {
        if (!res.headersSent) this.json(res, 500, { message: error.message });
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    for (const s of this.streams) s.res.end();
    this.streams.clear();
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  private json(res: http.ServerResponse, status: number, body: unknown): void {
    const text = body === undefined ? "" : JSON.stringify(body);
    this.responseBodies.push(text);
    res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
    res.end(text);
  }

  private error(res: http.ServerResponse, status: number, code: string, message: string, hint?: string): void {
    this.json(res, status, { message, code, hint });
  }

  private async body(req: http.IncomingMessage): Promise<any> {
    let data = "";
    for await (const chunk of req) data += chunk;
    return data ? JSON.parse(data) : {};
  }

  private userOf(req: http.IncomingMessage) {
    const cookie = req.headers.cookie ?? "";
    const m = /(?:^|;\s*)slipway_session=([^;]+)/.exec(cookie);
    const login = m ? this.sessions.get(m[1]!) : undefined;
    return login ? this.users.get(login) : undefined;
  }

  private serveUi(res: http.ServerResponse, pathname: string): void {
    serveUi(this.options.uiDir, res, pathname);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://x");
    const p = url.pathname;
    const method = req.method ?? "GET";
    if (!p.startsWith("/api/")) return this.serveUi(res, p);
    this.requests.push(`${method} ${p}${url.search}`);
    if (this.down) return this.error(res, 503, "UNAVAILABLE", "Service unavailable");

    if (p === "/api/v3/session" && method === "POST") {
      const b = await this.body(req);
      const user = this.users.get(String(b.login ?? ""));
      if (!user || user.password !== b.password) return this.error(res, 401, "AUTH_REQUIRED", "Incorrect login or password", "Check the login and password.");
      const token = randomBytes(16).toString("hex");
      this.sessions.set(token, user.login);
      res.setHeader("set-cookie", `slipway_session=${token}; Path=/; HttpOnly; SameSite=Lax`);
      return this.json(res, 201, this.userJson(user));
    }
    let mm0: RegExpExecArray | null;
    const user = this.userOf(req);
    if (!user) return this.error(res, 401, "AUTH_REQUIRED", "Sign in first", "Your session may have expired.");
    if (p === "/api/v3/session" && method === "DELETE") {
      res.setHeader("set-cookie", "slipway_session=; Path=/; Max-Age=0");
      res.writeHead(204).end();
      return;
    }
    if (p === "/api/v3/user") return this.json(res, 200, this.userJson(user));
    if (p === "/api/v3/user/repos") return this.json(res, 200, this.repos.map((r) => this.repoJson(r)));
    if (p === "/api/v3/user/tokens" && method === "GET") return this.json(res, 200, { total_count: 1, tokens: [{ id: 1, name: "ci bot", scopes: ["read"], expires_at: null, last_used_at: iso(3_600_000), created_at: iso(86_400_000) }] });
    if ((mm0 = /^\/api\/v3\/users\/([^/]+)$/.exec(p)) && method === "DELETE") {
      if (!this.users.delete(decodeURIComponent(mm0[1]!))) return this.error(res, 404, "NOT_FOUND", "User not found");
      res.writeHead(204).end();
      return;
    }
    if (p === "/api/v3/users" && method === "GET") return this.json(res, 200, { total_count: this.users.size, users: [...this.users.values()].map((u) => this.userJson(u)) });

    const m = /^\/api\/v3\/repos\/([^/]+)\/([^/]+)(\/.*)?$/.exec(p);
    if (!m) return this.error(res, 404, "NOT_FOUND", "Not found");
    const repoName = `${m[1]}/${m[2]}`;
    const repo = this.repos.find((r) => `${r.owner}/${r.name}` === repoName);
    if (!repo) return this.error(res, 404, "NOT_FOUND", `Repository ${repoName} not found`);
    const rest = m[3] ?? "";
    const runs = this.runs.filter((r) => r.repo === repoName);
    let mm: RegExpExecArray | null;

    if (rest === "") return this.json(res, 200, this.repoJson(repo));
    const byWorkflow = /^\/actions\/workflows\/([^/]+)\/runs$/.exec(rest);
    if (rest === "/actions/runs" || byWorkflow) {
      const q = url.searchParams;
      let list = [...runs].sort((a, b) => b.created_at.localeCompare(a.created_at));
      if (byWorkflow) list = list.filter((r) => r.path.endsWith(`/${decodeURIComponent(byWorkflow[1]!)}`));
      const status = q.get("status");
      if (status) list = list.filter((r) => (["queued", "in_progress", "completed"].includes(status) ? r.status === status : r.conclusion === status));
      for (const key of ["branch", "event", "actor"] as const) {
        const v = q.get(key);
        if (v) list = list.filter((r) => (key === "branch" ? r.head_branch : key === "event" ? r.event : r.actor) === v);
      }
      const perPage = Number(q.get("per_page") ?? 30);
      const page = Number(q.get("page") ?? 1);
      return this.json(res, 200, { total_count: list.length, workflow_runs: list.slice((page - 1) * perPage, page * perPage).map((r) => this.runJson(r)) });
    }
    if ((mm = /^\/actions\/runs\/(\d+)\/attempts\/(\d+)\/jobs$/.exec(rest))) {
      const run = runs.find((r) => r.id === Number(mm![1]));
      const n = Number(mm[2]);
      if (!run || n < 1 || n > run.run_attempt) return this.error(res, 404, "NOT_FOUND", "Run attempt not found");
      const jobs = n === run.run_attempt ? run.jobs : run.previousAttempts[n - 1]!;
      return this.json(res, 200, { total_count: jobs.length, jobs: jobs.map((j) => this.jobJson(j)) });
    }
    if ((mm = /^\/actions\/runs\/(\d+)(\/[a-z-]+)?$/.exec(rest))) {
      const run = runs.find((r) => r.id === Number(mm![1]));
      if (!run) return this.error(res, 404, "NOT_FOUND", "Run not found");
      const action = mm[2] ?? "";
      if (action === "" && method === "GET") return this.json(res, 200, this.runJson(run));
      if (action === "/jobs") return this.json(res, 200, { total_count: run.jobs.length, jobs: run.jobs.map((j) => this.jobJson(j)) });
      if (action === "/artifacts")
        return this.json(res, 200, {
          total_count: run.conclusion ? 1 : 0,
          artifacts: run.conclusion ? [{ id: 7, name: "coverage-report", size_in_bytes: 48213, archive_download_url: `/api/v3/repos/${repoName}/actions/artifacts/7/zip`, expired: false, created_at: run.updated_at }] : [],
        });
      if (action === "/cancel" && method === "POST") {
        if (run.status === "completed") return this.error(res, 409, "CONFLICT", "Cannot cancel a completed run");
        for (const j of run.jobs) if (j.status !== "completed") this.finishJob(run, j, "cancelled");
        return this.json(res, 202, {});
      }
      if ((action === "/rerun" || action === "/rerun-failed-jobs") && method === "POST") {
        if (run.status !== "completed") return this.error(res, 409, "CONFLICT", "The run is still going");
        run.previousAttempts.push(run.jobs);
        run.run_attempt += 1;
        run.status = "queued";
        run.conclusion = null;
        run.updated_at = new Date().toISOString();
        run.jobs = run.jobs.map((j) => {
          if (action === "/rerun-failed-jobs" && j.conclusion === "success") return j;
          return { ...j, id: this.id(), status: "queued" as Status, conclusion: null, started_at: null, completed_at: null, runner_name: null, chunks: [], steps: j.steps.map((s) => ({ ...s, status: "queued" as Status, conclusion: null, started_at: null, completed_at: null })) };
        });
        return this.json(res, 201, {});
      }
      return this.error(res, 404, "NOT_FOUND", "Not found");
    }
    if ((mm = /^\/actions\/jobs\/(\d+)\/(logs|logs\/stream|summary)$/.exec(rest))) {
      const job = runs.flatMap((r) => [...r.jobs, ...r.previousAttempts.flat()]).find((j) => j.id === Number(mm![1]));
      if (!job) return this.error(res, 404, "JOB_NOT_FOUND", "Job not found");
      if (mm[2] === "summary") {
        if (!job.summary || job.status !== "completed") return this.error(res, 404, "NOT_FOUND", "No summary");
        res.writeHead(200, { "content-type": "text/markdown; charset=utf-8" });
        res.end(job.summary);
        return;
      }
      if (mm[2] === "logs") {
        res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
        res.end(job.chunks.map((c) => c.text).join(""));
        return;
      }
      return this.openStream(req, res, job);
    }
    if (rest === "/actions/workflows") {
      return this.json(res, 200, {
        total_count: 3,
        workflows: [
          { id: 11, name: "CI", path: ".github/workflows/ci.yml", state: "active", dispatch_inputs: null },
          { id: 13, name: "Nightly", path: ".github/workflows/nightly.yml", state: "active" },
          {
            id: 12,
            name: "Deploy",
            path: ".github/workflows/deploy.yml",
            state: "active",
            dispatch_inputs: {
              environment: { description: "Where to deploy", required: true, type: "choice", options: ["staging", "production"], default: "staging" },
              version: { description: "Release to deploy, e.g. 1.4.2", required: true, type: "string" },
              replicas: { description: "How many instances", type: "number", default: 2 },
              dry_run: { description: "Plan only", type: "boolean", default: false },
            },
          },
        ],
      });
    }
    if ((mm = /^\/actions\/workflows\/([^/]+)\/dispatches$/.exec(rest)) && method === "POST") {
      const b = await this.body(req);
      const workflow = decodeURIComponent(mm[1]!);
      this.dispatches.push({ repo: repoName, workflow, ref: b.ref, inputs: b.inputs ?? {} });
      const run = this.addRun(repoName, `Manual run of ${workflow}`);
      run.event = "workflow_dispatch";
      run.name = "Deploy";
      run.path = `.github/workflows/${workflow}`;
      run.head_branch = b.ref;
      // As the real server: GitHub's `return_run_details` answer.
      return this.json(res, 200, { workflow_run_id: run.id, run_url: `${this.url}/api/v3/repos/${repoName}/actions/runs/${run.id}` });
    }
    if (rest === "/actions/runners") {
      return this.json(res, 200, {
        total_count: 2,
        runners: [
          { id: 1, name: "builder-1", os: "linux", status: "online", busy: true, labels: [{ id: 1, name: "self-hosted" }, { id: 2, name: "linux" }, { id: 3, name: "x64" }], version: "0.1.0", last_seen_at: iso(2000), current_job: { id: 999, name: "build", run_id: 1 } },
          { id: 2, name: "mac-mini", os: "macos", status: "offline", busy: false, labels: [{ id: 1, name: "self-hosted" }, { id: 2, name: "macos" }], version: "0.1.0", last_seen_at: iso(86_400_000 * 2), current_job: null },
        ],
      });
    }
    if (rest === "/actions/runners/registration-token" && method === "POST") return this.json(res, 201, { token: "slpg_REGISTRATIONTOKEN123", expires_at: new Date(Date.now() + 3_600_000).toISOString() });
    if (rest === "/actions/secrets") {
      const list = [...this.secrets.entries()].map(([name, s]) => ({ name, created_at: s.updated_at, updated_at: s.updated_at }));
      return this.json(res, 200, { total_count: list.length, secrets: list });
    }
    if ((mm = /^\/actions\/secrets\/([A-Za-z0-9_]+)$/.exec(rest))) {
      const name = mm[1]!;
      if (method === "PUT") {
        const b = await this.body(req);
        if (typeof b.value !== "string") return this.error(res, 422, "VALIDATION_FAILED", "value: the secret's plain value as a string");
        const existed = this.secrets.has(name);
        this.secrets.set(name, { value: b.value, updated_at: new Date().toISOString() });
        res.writeHead(existed ? 204 : 201).end();
        return;
      }
      if (method === "DELETE") {
        if (!this.secrets.delete(name)) return this.error(res, 404, "NOT_FOUND", `Secret ${name} not found`);
        res.writeHead(204).end();
        return;
      }
    }
    if (rest === "/collaborators") return this.json(res, 200, [{ login: "grace", role_name: "write" }]);
    if (rest === "/hooks") return this.json(res, 200, [{ id: 1, active: true, events: ["workflow_run"], config: { url: "https://chat.example.com/hooks/ci", content_type: "json" } }]);
    return this.error(res, 404, "NOT_FOUND", "Not found");
  }

  private userJson(u: { id: number; login: string; site_admin: boolean; created_at: string }) {
    return { id: u.id, login: u.login, type: "User", site_admin: u.site_admin, created_at: u.created_at };
  }

  private repoJson(r: { id: number; owner: string; name: string; default_branch: string }) {
    return { id: r.id, name: r.name, full_name: `${r.owner}/${r.name}`, owner: { login: r.owner }, private: true, default_branch: r.default_branch, updated_at: iso(3_600_000) };
  }

  // ------------------------------------------------------------------ server-sent events

  private openStream(req: http.IncomingMessage, res: http.ServerResponse, job: FakeJob): void {
    const lastId = req.headers["last-event-id"];
    const from = typeof lastId === "string" && /^\d+$/.test(lastId) ? Number(lastId) + 1 : 0;
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive" });
    res.write("retry: 300\n\n");
    const stream = { job, res, sent: 0 };
    this.streams.add(stream);
    req.on("close", () => this.streams.delete(stream));
    for (let i = from; i < job.chunks.length; i++) this.sendChunk(stream, i);
    if (job.status === "completed" && this.streams.has(stream)) this.endStream(stream);
  }

  private sendChunk(stream: { job: FakeJob; res: http.ServerResponse; sent: number }, index: number): void {
    if (!this.streams.has(stream)) return;
    const chunk = stream.job.chunks[index]!;
    stream.res.write(`event: log\nid: ${index}\ndata: ${JSON.stringify({ step: chunk.step, text: chunk.text })}\n\n`);
    stream.sent++;
    if (this.dropStreamAfter !== undefined && stream.sent >= this.dropStreamAfter) {
      this.dropStreamAfter = undefined;
      this.streams.delete(stream);
      stream.res.destroy();
    }
  }

  private endStream(stream: { job: FakeJob; res: http.ServerResponse }): void {
    stream.res.write(`event: end\ndata: ${JSON.stringify({ status: stream.job.status, conclusion: stream.job.conclusion })}\n\n`);
    stream.res.end();
    this.streams.delete(stream as { job: FakeJob; res: http.ServerResponse; sent: number });
  }
}

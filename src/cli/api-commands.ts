/**
 * The CLI commands that talk to a Slipway server's API. Each handler returns
 * data (an Output); `renderOutput` prints it for humans or as JSON. Only
 * `logs` streams, through the `write` sink it is given.
 */
import { InvalidArgumentError, type Command } from "commander";
import { readFileSync } from "node:fs";
import { formatError, httpStatusOfError, isSlipwayError, SlipwayError } from "../lib/index.js";
import { createApiClient, DEFAULT_SERVER_URL, type ApiClient } from "./api-client.js";

interface Repo {
  id: number;
  full_name: string;
  clone_url: string;
  default_branch: string;
  html_url: string;
}

interface Run {
  id: number;
  name: string;
  /** The run's title; servers before titles were kept send the workflow's name. */
  display_title?: string;
  head_branch: string | null;
  head_sha: string;
  run_number: number;
  run_attempt: number;
  event: string;
  status: string;
  conclusion: string | null;
  html_url: string;
  created_at: string;
  repository?: { full_name: string };
}

interface Job {
  id: number;
  run_id: number;
  name: string;
  status: string;
  conclusion: string | null;
  run_attempt: number;
}

export type Output =
  | { kind: "repo-added"; repo: Repo; webhookSecret: string | null; webhookUrl: string }
  | { kind: "repos"; repos: Repo[] }
  | { kind: "dispatched"; runId: number; url: string; runUrl: string }
  | { kind: "runs"; runs: Run[] }
  | { kind: "done"; message: string; data: Record<string, unknown> }
  | { kind: "secrets"; repo: string; environment?: string; secrets: Array<{ name: string; created_at: string; updated_at: string }> }
  | { kind: "variables"; repo: string; environment?: string; variables: Variable[] }
  | { kind: "environments"; repo: string; environments: Array<{ name: string; created_at: string; updated_at: string }> }
  | { kind: "runner-token"; token: string; expiresAt: string; command: string }
  | { kind: "token"; token: string; name: string; scopes: string[]; id: number }
  | { kind: "logs"; conclusion: string | null };

interface Variable {
  name: string;
  value: string;
  created_at: string;
  updated_at: string;
}

const enc = encodeURIComponent;

/** `OWNER/NAME`, validated; a usage error otherwise. */
export function parseRepoName(value: string): { owner: string; name: string; fullName: string } {
  const m = /^([A-Za-z0-9_.-]{1,100})\/([A-Za-z0-9_.-]{1,100})$/.exec(value);
  if (!m) throw new SlipwayError("CLI_USAGE", `'${value}' is not a repository name`, { hint: "Name repositories as OWNER/NAME, e.g. acme/widgets." });
  return { owner: m[1], name: m[2], fullName: `${m[1]}/${m[2]}` };
}

function repoPath(fullName: string): string {
  const { owner, name } = parseRepoName(fullName);
  return `/api/v3/repos/${enc(owner)}/${enc(name)}`;
}

/** Where a repository's secrets and variables live (`.../actions`), or those of one of its environments. */
function levelPath(fullName: string, environment: string | undefined): string {
  return environment === undefined ? `${repoPath(fullName)}/actions` : `${repoPath(fullName)}/environments/${enc(environment)}`;
}

/** "acme/widgets", or "acme/widgets (environment production)" in messages. */
function levelText(fullName: string, environment: string | undefined): string {
  return environment === undefined ? fullName : `${fullName} (environment ${environment})`;
}

/** `--env`: the environment, created when it does not exist yet (as a job naming it would). */
async function ensureEnvironment(client: ApiClient, fullName: string, environment: string | undefined): Promise<void> {
  if (environment !== undefined) await client.request("PUT", `${repoPath(fullName)}/environments/${enc(environment)}`, {});
}

function levelData(fullName: string, environment: string | undefined, rest: Record<string, unknown>): Record<string, unknown> {
  return { repository: fullName, ...(environment === undefined ? {} : { environment }), ...rest };
}

function parseId(value: string, what: string): number {
  if (!/^[1-9]\d{0,15}$/.test(value)) throw new SlipwayError("CLI_USAGE", `'${value}' is not a ${what} id`, { hint: `Pass the numeric ${what} id (see \`slipway runs\`).` });
  return Number(value);
}

export function parseInputs(pairs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new SlipwayError("CLI_USAGE", `--input ${pair}: expected NAME=VALUE`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

export async function listRepos(client: ApiClient): Promise<Repo[]> {
  const all: Repo[] = [];
  for (let page = 1; ; page++) {
    const batch = await client.request<Repo[]>("GET", `/api/v3/user/repos?per_page=100&page=${page}`);
    all.push(...batch);
    if (batch.length < 100) return all;
  }
}

export interface AddRepoFlags {
  url: string;
  branch?: string;
  /** A file holding a token or user:password for fetching the repository (never passed on the command line). */
  credentialsFile?: string;
  /** Seconds between fetches, for repositories whose forge sends no webhooks. */
  poll?: number;
}

export async function addRepo(client: ApiClient, fullName: string, flags: AddRepoFlags): Promise<Output> {
  const { owner, name } = parseRepoName(fullName);
  let credentials: string | undefined;
  if (flags.credentialsFile) {
    try {
      credentials = readFileSync(flags.credentialsFile, "utf8").trim();
    } catch {
      throw new SlipwayError("CLI_FILE_UNREADABLE", `credentials file ${flags.credentialsFile} cannot be read`);
    }
  }
  const created = await client.request<Repo & { webhook_secret?: string }>("POST", "/api/v3/repos", {
    owner,
    name,
    git_url: flags.url,
    ...(flags.branch ? { default_branch: flags.branch } : {}),
    ...(credentials !== undefined ? { credentials } : {}),
    ...(flags.poll !== undefined ? { polling_interval: flags.poll } : {}),
  });
  const { webhook_secret, ...repo } = created;
  return { kind: "repo-added", repo, webhookSecret: webhook_secret ?? null, webhookUrl: `${client.server}/api/v3/webhooks/github` };
}

export async function repoList(client: ApiClient): Promise<Output> {
  return { kind: "repos", repos: await listRepos(client) };
}

export async function dispatchWorkflow(client: ApiClient, fullName: string, workflow: string, flags: { ref?: string; input: string[] }): Promise<Output> {
  const inputs = parseInputs(flags.input);
  const base = repoPath(fullName);
  const ref = flags.ref ?? (await client.request<Repo>("GET", base)).default_branch;
  const answer = await client.request<{ workflow_run_id: number; run_url: string; html_url: string }>(
    "POST",
    `${base}/actions/workflows/${enc(workflow)}/dispatches`,
    { ref, inputs },
  );
  return { kind: "dispatched", runId: answer.workflow_run_id, url: answer.html_url, runUrl: answer.run_url };
}

export async function listRuns(client: ApiClient, fullName: string | undefined, flags: { status?: string; limit?: number }): Promise<Output> {
  const repos = fullName ? [parseRepoName(fullName).fullName] : (await listRepos(client)).map((r) => r.full_name);
  const perPage = Math.min(100, flags.limit ?? 30);
  const query = `?per_page=${perPage}${flags.status ? `&status=${enc(flags.status)}` : ""}`;
  const runs: Run[] = [];
  for (const repo of repos) {
    const page = await client.request<{ workflow_runs: Run[] }>("GET", `${repoPath(repo)}/actions/runs${query}`);
    runs.push(...page.workflow_runs.map((r) => ({ ...r, repository: r.repository ?? { full_name: repo } })));
  }
  runs.sort((a, b) => b.created_at.localeCompare(a.created_at) || b.id - a.id);
  return { kind: "runs", runs: runs.slice(0, flags.limit ?? 30) };
}

/** The repository a run belongs to: the one named, else the first of the caller's repositories that has it. */
async function locateRun(client: ApiClient, runId: number, fullName?: string): Promise<{ repo: string; run: Run }> {
  const candidates = fullName ? [parseRepoName(fullName).fullName] : (await listRepos(client)).map((r) => r.full_name);
  for (const repo of candidates) {
    try {
      return { repo, run: await client.request<Run>("GET", `${repoPath(repo)}/actions/runs/${runId}`) };
    } catch (error) {
      if (!(error instanceof SlipwayError) || httpStatusOfError(error) !== 404) throw error;
    }
  }
  throw new SlipwayError("RUN_NOT_FOUND", `no run ${runId}${fullName ? ` in ${fullName}` : " in your repositories"}`, { hint: "List runs with `slipway runs`." });
}

async function locateJob(client: ApiClient, jobId: number, fullName?: string): Promise<{ repo: string; job: Job } | null> {
  const candidates = fullName ? [parseRepoName(fullName).fullName] : (await listRepos(client)).map((r) => r.full_name);
  for (const repo of candidates) {
    try {
      return { repo, job: await client.request<Job>("GET", `${repoPath(repo)}/actions/jobs/${jobId}`) };
    } catch (error) {
      if (!(error instanceof SlipwayError) || httpStatusOfError(error) !== 404) throw error;
    }
  }
  return null;
}

export async function cancelRun(client: ApiClient, runId: string, flags: { repo?: string }): Promise<Output> {
  const id = parseId(runId, "run");
  const { repo } = await locateRun(client, id, flags.repo);
  await client.request("POST", `${repoPath(repo)}/actions/runs/${id}/cancel`);
  return { kind: "done", message: `Cancelling run ${id} of ${repo}.`, data: { run_id: id, repository: repo, cancelled: true } };
}

export async function rerunRun(client: ApiClient, runId: string, flags: { repo?: string; failed?: boolean }): Promise<Output> {
  const id = parseId(runId, "run");
  const { repo } = await locateRun(client, id, flags.repo);
  await client.request("POST", `${repoPath(repo)}/actions/runs/${id}/${flags.failed ? "rerun-failed-jobs" : "rerun"}`);
  const run = await client.request<Run>("GET", `${repoPath(repo)}/actions/runs/${id}`);
  return {
    kind: "done",
    message: `Re-running ${flags.failed ? "the failed jobs of " : ""}run ${id} of ${repo} (attempt ${run.run_attempt}): ${run.html_url}`,
    data: { run_id: id, repository: repo, run_attempt: run.run_attempt, html_url: run.html_url },
  };
}

export async function setSecret(client: ApiClient, fullName: string, name: string, value: string, environment?: string): Promise<Output> {
  if (value === "") throw new SlipwayError("CLI_USAGE", "the secret value is empty", { hint: "Pass --value or pipe the value on stdin." });
  await ensureEnvironment(client, fullName, environment);
  await client.request("PUT", `${levelPath(fullName, environment)}/secrets/${enc(name)}`, { value });
  return { kind: "done", message: `Secret ${name.toUpperCase()} of ${levelText(fullName, environment)} is set.`, data: levelData(fullName, environment, { name: name.toUpperCase() }) };
}

/**
 * Sets a configuration variable: updates it when it exists, creates it otherwise.
 * `fromStdin` marks a value that was read rather than passed with --value.
 */
export async function setVariable(client: ApiClient, fullName: string, name: string, value: string, options: { fromStdin?: boolean; environment?: string } = {}): Promise<Output> {
  if (value === "" && options.fromStdin) {
    throw new SlipwayError("CLI_USAGE", `no value for variable ${name.toUpperCase()} on stdin`, { hint: "Pipe the value on stdin, or pass --value VALUE (--value '' sets an empty value)." });
  }
  const { environment } = options;
  await ensureEnvironment(client, fullName, environment);
  const base = `${levelPath(fullName, environment)}/variables`;
  let created = false;
  try {
    await client.request("PATCH", `${base}/${enc(name)}`, { value });
  } catch (error) {
    // A missing variable is created; any other failure (a missing repository included) is reported as it is.
    if (!(error instanceof SlipwayError && error.code === "VARIABLE_NOT_FOUND")) throw error;
    await client.request("POST", base, { name, value });
    created = true;
  }
  const upper = name.toUpperCase();
  return {
    kind: "done",
    message: `Variable ${upper} of ${levelText(fullName, environment)} is ${created ? "created" : "updated"}.`,
    data: levelData(fullName, environment, { name: upper, value, created }),
  };
}

export async function listVariables(client: ApiClient, fullName: string, environment?: string): Promise<Output> {
  const variables: Variable[] = [];
  for (let page = 1; ; page++) {
    const answer = await client.request<{ total_count: number; variables: Variable[] }>("GET", `${levelPath(fullName, environment)}/variables?per_page=100&page=${page}`);
    variables.push(...answer.variables);
    if (answer.variables.length < 100 || variables.length >= answer.total_count) break;
  }
  return { kind: "variables", repo: fullName, ...(environment === undefined ? {} : { environment }), variables };
}

export async function deleteVariable(client: ApiClient, fullName: string, name: string, environment?: string): Promise<Output> {
  await client.request("DELETE", `${levelPath(fullName, environment)}/variables/${enc(name)}`);
  return {
    kind: "done",
    message: `Variable ${name.toUpperCase()} of ${levelText(fullName, environment)} is deleted.`,
    data: levelData(fullName, environment, { name: name.toUpperCase(), deleted: true }),
  };
}

/** A value on one table line: line breaks shown as \n, long values shortened. */
function oneLine(value: string, max = 60): string {
  const flat = value.replace(/\r?\n/g, "\\n");
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

export async function listSecrets(client: ApiClient, fullName: string, environment?: string): Promise<Output> {
  const answer = await client.request<{ secrets: Array<{ name: string; created_at: string; updated_at: string }> }>("GET", `${levelPath(fullName, environment)}/secrets?per_page=100`);
  return { kind: "secrets", repo: fullName, ...(environment === undefined ? {} : { environment }), secrets: answer.secrets };
}

export async function deleteSecret(client: ApiClient, fullName: string, name: string, environment?: string): Promise<Output> {
  await client.request("DELETE", `${levelPath(fullName, environment)}/secrets/${enc(name)}`);
  return {
    kind: "done",
    message: `Secret ${name.toUpperCase()} of ${levelText(fullName, environment)} is deleted.`,
    data: levelData(fullName, environment, { name: name.toUpperCase(), deleted: true }),
  };
}

/** The repository's deployment environments. */
export async function listEnvironments(client: ApiClient, fullName: string): Promise<Output> {
  const environments: Array<{ name: string; created_at: string; updated_at: string }> = [];
  for (let page = 1; ; page++) {
    const answer = await client.request<{ total_count: number; environments: typeof environments }>("GET", `${repoPath(fullName)}/environments?per_page=100&page=${page}`);
    environments.push(...answer.environments.map((e) => ({ name: e.name, created_at: e.created_at, updated_at: e.updated_at })));
    if (answer.environments.length < 100 || environments.length >= answer.total_count) break;
  }
  return { kind: "environments", repo: fullName, environments };
}

/** Creates a deployment environment (nothing changes if it exists). */
export async function createEnvironment(client: ApiClient, fullName: string, name: string): Promise<Output> {
  const answer = await client.request<{ name: string }>("PUT", `${repoPath(fullName)}/environments/${enc(name)}`, {});
  return { kind: "done", message: `Environment ${answer.name} of ${fullName} is ready.`, data: { repository: fullName, environment: answer.name } };
}

/** Deletes a deployment environment with its secrets and variables. */
export async function deleteEnvironment(client: ApiClient, fullName: string, name: string): Promise<Output> {
  await client.request("DELETE", `${repoPath(fullName)}/environments/${enc(name)}`);
  return { kind: "done", message: `Environment ${name} of ${fullName} is deleted, with its secrets and variables.`, data: { repository: fullName, environment: name, deleted: true } };
}

export async function createRunnerToken(client: ApiClient): Promise<Output> {
  const answer = await client.request<{ token: string; expires_at: string }>("POST", "/api/v3/runners/registration-token");
  return { kind: "runner-token", token: answer.token, expiresAt: answer.expires_at, command: `slipway runner --server ${client.server} --token ${answer.token}` };
}

export async function createApiToken(client: ApiClient, name: string, flags: { scopes?: string; expiresInDays?: number }): Promise<Output> {
  const scopes = flags.scopes ? flags.scopes.split(",").map((s) => s.trim()).filter(Boolean) : undefined;
  const answer = await client.request<{ id: number; name: string; scopes: string[]; token: string }>("POST", "/api/v3/user/tokens", {
    name,
    ...(scopes ? { scopes } : {}),
    ...(flags.expiresInDays ? { expires_in_days: flags.expiresInDays } : {}),
  });
  return { kind: "token", token: answer.token, name: answer.name, scopes: answer.scopes, id: answer.id };
}

/**
 * Prints the logs of a run (every job of its latest attempt, in order) or of
 * one job. With `follow`, live logs are streamed until each job ends; for a
 * run, jobs that start later are followed as they start, until the run ends.
 */
export async function showLogs(
  client: ApiClient,
  id: string,
  flags: { repo?: string; follow?: boolean; job?: boolean; signal?: AbortSignal; pollMs?: number },
  write: (text: string) => void,
): Promise<Output> {
  const numeric = parseId(id, "run or job");
  const pollMs = flags.pollMs ?? 1000;
  let target: { repo: string; run?: Run; job?: Job } | null = null;
  if (!flags.job) {
    try {
      target = await locateRun(client, numeric, flags.repo);
    } catch (error) {
      if (!(error instanceof SlipwayError) || error.code !== "RUN_NOT_FOUND") throw error;
    }
  }
  if (!target) {
    target = await locateJob(client, numeric, flags.repo);
    if (!target) throw new SlipwayError("RUN_NOT_FOUND", `no run or job ${numeric}${flags.repo ? ` in ${flags.repo}` : " in your repositories"}`, { hint: "List runs with `slipway runs`." });
  }
  const base = repoPath(target.repo);

  const printJob = async (job: Job, heading: boolean): Promise<string | null> => {
    if (heading) write(`\n=== ${job.name} (job ${job.id}) ===\n`);
    if (!flags.follow) {
      await client.pipeText(`${base}/actions/jobs/${job.id}/logs`, write);
      return job.conclusion;
    }
    // A stream cut short (server restart, proxy timeout) resumes after the last event seen.
    let conclusion: string | null = null;
    let lastEventId: string | undefined;
    for (let failures = 0; ; failures++) {
      try {
        for await (const event of client.events(`${base}/actions/jobs/${job.id}/logs/stream`, { signal: flags.signal, lastEventId })) {
          failures = 0;
          if (event.id) lastEventId = event.id;
          if (event.event === "log") {
            const data = JSON.parse(event.data) as { text?: string };
            write(data.text ?? "");
          } else if (event.event === "end") {
            conclusion = (JSON.parse(event.data) as { conclusion?: string | null }).conclusion ?? null;
            return conclusion;
          }
        }
      } catch (error) {
        // Server errors (404, 401, ...) are final; a dropped connection or an unreachable server is retried.
        const retriable = error instanceof SlipwayError ? error.code === "SERVER_UNREACHABLE" : true;
        if (flags.signal?.aborted || !retriable || failures >= 30) throw error;
      }
      if (flags.signal?.aborted) return conclusion;
      await new Promise((resolve) => setTimeout(resolve, Math.min(pollMs * 2, 2000)));
    }
  };

  if (target.job) return { kind: "logs", conclusion: await printJob(target.job, false) };

  const runId = target.run!.id;
  const shown = new Set<number>();
  for (;;) {
    const run = await client.request<Run>("GET", `${base}/actions/runs/${runId}`);
    const jobs = (await client.request<{ jobs: Job[] }>("GET", `${base}/actions/runs/${runId}/jobs?per_page=100`)).jobs;
    const next = jobs.filter((j) => !shown.has(j.id) && (!flags.follow || j.status !== "queued" || run.status === "completed")).filter((j) => j.status !== "pending" || run.status === "completed");
    for (const job of next) {
      if (flags.signal?.aborted) return { kind: "logs", conclusion: null };
      shown.add(job.id);
      await printJob(job, true);
    }
    if (!flags.follow || flags.signal?.aborted) return { kind: "logs", conclusion: run.conclusion };
    if (run.status === "completed" && jobs.every((j) => shown.has(j.id))) {
      const final = await client.request<Run>("GET", `${base}/actions/runs/${runId}`);
      return { kind: "logs", conclusion: final.conclusion };
    }
    if (next.length === 0) await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/** A run's title for a table cell: its first line, at most 72 characters (the last column, so long ones do not widen the others). */
function runTitle(run: Run): string {
  const line = (run.display_title ?? run.name).split(/\r?\n|\r/)[0]!.trim();
  const chars = Array.from(line);
  return chars.length > 72 ? `${chars.slice(0, 71).join("")}…` : line;
}

function table(rows: string[][]): string {
  if (rows.length === 0) return "";
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join("  ").trimEnd()).join("\n") + "\n";
}

/** Prints a handler's result: human text, or one JSON document with `json`. */
export function renderOutput(output: Output, json: boolean): string {
  if (json) {
    const { kind: _kind, ...rest } = output;
    const doc = output.kind === "repos" ? output.repos : output.kind === "runs" ? output.runs : output.kind === "done" ? output.data : rest;
    return JSON.stringify(doc, null, 2) + "\n";
  }
  switch (output.kind) {
    case "repo-added":
      return [
        `Added ${output.repo.full_name} (${output.repo.clone_url}, default branch ${output.repo.default_branch}).`,
        ...(output.webhookSecret
          ? [
              "",
              "Configure a webhook on your forge (shown only now):",
              `  URL:    ${output.webhookUrl}   (content type application/json)`,
              `  Secret: ${output.webhookSecret}`,
            ]
          : []),
      ].join("\n") + "\n";
    case "repos":
      if (output.repos.length === 0) return "No repositories. Add one with `slipway repo add OWNER/NAME --url GIT_URL`.\n";
      return table([["REPOSITORY", "BRANCH", "GIT URL"], ...output.repos.map((r) => [r.full_name, r.default_branch, r.clone_url])]);
    case "dispatched":
      return `Run ${output.runId} started: ${output.url}\n`;
    case "runs":
      if (output.runs.length === 0) return "No runs.\n";
      return table([
        ["ID", "REPOSITORY", "WORKFLOW", "EVENT", "BRANCH", "STATUS", "CREATED", "TITLE"],
        ...output.runs.map((r) => [
          String(r.id),
          r.repository?.full_name ?? "",
          `${r.name} #${r.run_number}`,
          r.event,
          r.head_branch ?? "",
          r.status === "completed" ? (r.conclusion ?? "completed") : r.status,
          r.created_at,
          runTitle(r),
        ]),
      ]);
    case "done":
      return output.message + "\n";
    case "secrets":
      if (output.secrets.length === 0) return `${levelText(output.repo, output.environment)} has no secrets.\n`;
      return table([["NAME", "UPDATED"], ...output.secrets.map((s) => [s.name, s.updated_at])]);
    case "variables":
      if (output.variables.length === 0) return `${levelText(output.repo, output.environment)} has no variables.\n`;
      return table([["NAME", "VALUE", "UPDATED"], ...output.variables.map((v) => [v.name, oneLine(v.value), v.updated_at])]);
    case "environments":
      if (output.environments.length === 0) return `${output.repo} has no environments.\n`;
      return table([["NAME", "CREATED", "UPDATED"], ...output.environments.map((e) => [e.name, e.created_at, e.updated_at])]);
    case "runner-token":
      return [
        `Registration token (valid until ${output.expiresAt}, single use):`,
        "",
        `  ${output.token}`,
        "",
        "Start a runner with:",
        "",
        `  ${output.command}`,
        "",
      ].join("\n");
    case "token":
      return [`Token '${output.name}' (scopes: ${output.scopes.join(", ")}), shown only now:`, "", `  ${output.token}`, ""].join("\n");
    case "logs":
      return "";
  }
}

// ---------------------------------------------------------------- wiring

export interface ApiCommandContext {
  env: NodeJS.ProcessEnv;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Reads a secret value: stdin to its end, or a hidden prompt on a terminal. */
  readSecret: () => Promise<string>;
  /** Reads a variable value (not secret): stdin to its end, or one visible line on a terminal. Default: stdin to its end. */
  readValue?: () => Promise<string>;
  exit: (code: number) => void;
  fetch?: typeof fetch;
}

interface CommonFlags {
  server?: string;
  token?: string;
  json?: boolean;
}

/** Exit code of a failed API command: 2 for usage errors, 1 otherwise. */
export function exitCodeFor(error: unknown): number {
  return error instanceof SlipwayError && (error.code === "CLI_USAGE" || error.code === "CONFIG_INVALID") ? 2 : 1;
}

function clientOf(flags: CommonFlags, ctx: ApiCommandContext): ApiClient {
  return createApiClient({ server: flags.server ?? ctx.env.SLIPWAY_SERVER ?? DEFAULT_SERVER_URL, token: flags.token ?? ctx.env.SLIPWAY_TOKEN, fetch: ctx.fetch });
}

const collectValues = (value: string, previous: string[] = []) => [...previous, value];

const ENV_FLAG = "a deployment environment of the repository instead of the repository itself";
const ENV_FLAG_SET = `${ENV_FLAG} (created when it does not exist)`;

/** Registers the API commands (repo, dispatch, runs, logs, cancel, rerun, secret, var, env, runner-token, token). */
export function registerApiCommands(program: Command, ctx: ApiCommandContext): void {
  const withCommon = (command: Command) =>
    command
      .option("--server <url>", `Slipway server (default: SLIPWAY_SERVER or ${DEFAULT_SERVER_URL})`)
      .option("--token <token>", "API token (default: SLIPWAY_TOKEN)")
      .option("--json", "print JSON instead of text");

  /** Runs a handler, prints its output, and maps failures to exit codes with the server's message and hint. */
  const act =
    <A extends unknown[]>(handler: (client: ApiClient, ...args: A) => Promise<Output>) =>
    async (...args: unknown[]) => {
      const command = args[args.length - 1] as Command;
      const flags = command.opts() as CommonFlags;
      try {
        const output = await handler(clientOf(flags, ctx), ...(args.slice(0, -1) as A));
        ctx.stdout(renderOutput(output, Boolean(flags.json)));
        ctx.exit(0);
      } catch (error) {
        if (!isSlipwayError(error)) throw error;
        ctx.stderr(formatError(error) + "\n");
        ctx.exit(exitCodeFor(error));
      }
    };

  const repo = program.command("repo").description("Manage the repositories a Slipway server runs");
  withCommon(repo.command("add").description("Add a repository (prints the webhook URL and secret once)"))
    .argument("<owner/name>", "repository name")
    .requiredOption("--url <git-url>", "where runners clone it from (https://, ssh://, git@host:path, file:// or an absolute path)")
    .option("--branch <name>", "default branch (default: main)")
    .option("--credentials-file <file>", "file holding a token or user:password the server fetches the repository with")
    .option("--poll <seconds>", "fetch every N seconds (60-86400) when the forge sends no webhooks", (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 60 || n > 86_400) throw new InvalidArgumentError("expected whole seconds from 60 to 86400");
      return n;
    })
    .action(act((client, fullName: string, flags: AddRepoFlags) => addRepo(client, fullName, flags)));
  withCommon(repo.command("list").description("List the repositories you can read")).action(act((client) => repoList(client)));

  withCommon(program.command("dispatch").description("Start a workflow_dispatch run on the server"))
    .argument("<owner/name>", "repository")
    .argument("<workflow>", "workflow file, e.g. ci.yml")
    .option("--ref <ref>", "branch or tag (default: the repository's default branch)")
    .option("--input <NAME=VALUE>", "a workflow input (repeatable)", collectValues, [])
    .action(act((client, fullName: string, workflow: string, flags: { ref?: string; input: string[] }) => dispatchWorkflow(client, fullName, workflow, flags)));

  withCommon(program.command("runs").description("List recent runs"))
    .argument("[owner/name]", "only this repository")
    .option("--status <status>", "queued, in_progress, completed, success, failure, ...")
    .option("--limit <n>", "how many (default 30, at most 100)", (v) => Number(v))
    .action(act((client, fullName: string | undefined, flags: { status?: string; limit?: number }) => listRuns(client, fullName, flags)));

  withCommon(program.command("logs").description("Print the logs of a run or a job; -f follows them live to the end"))
    .argument("<id>", "run id (or job id)")
    .option("-f, --follow", "stream live logs until the run or job ends")
    .option("--job", "the id is a job id")
    .option("--repo <owner/name>", "the repository (default: found among yours)")
    .action(async (id: string, flags: CommonFlags & { follow?: boolean; job?: boolean; repo?: string }) => {
      const controller = new AbortController();
      const onSignal = () => controller.abort();
      process.once("SIGINT", onSignal);
      try {
        const output = await showLogs(clientOf(flags, ctx), id, { ...flags, signal: controller.signal }, ctx.stdout);
        if (flags.json) ctx.stdout(renderOutput(output, true));
        ctx.exit(0);
      } catch (error) {
        if (controller.signal.aborted) return ctx.exit(130);
        if (!isSlipwayError(error)) throw error;
        ctx.stderr(formatError(error) + "\n");
        ctx.exit(exitCodeFor(error));
      } finally {
        process.off("SIGINT", onSignal);
      }
    });

  withCommon(program.command("cancel").description("Cancel a run"))
    .argument("<run-id>", "run id")
    .option("--repo <owner/name>", "the repository (default: found among yours)")
    .action(act((client, runId: string, flags: { repo?: string }) => cancelRun(client, runId, flags)));

  withCommon(program.command("rerun").description("Re-run a completed run"))
    .argument("<run-id>", "run id")
    .option("--failed", "only the failed jobs (and the jobs that need them)")
    .option("--repo <owner/name>", "the repository (default: found among yours)")
    .action(act((client, runId: string, flags: { repo?: string; failed?: boolean }) => rerunRun(client, runId, flags)));

  const secret = program.command("secret").description("Manage a repository's Actions secrets (values are never printed)");
  withCommon(secret.command("set").description("Set a secret; the value comes from --value or stdin"))
    .argument("<owner/name>", "repository")
    .argument("<name>", "secret name")
    .option("--value <value>", "the value (visible in your shell history; prefer stdin)")
    .option("--env <environment>", ENV_FLAG_SET)
    .action(
      act(async (client, fullName: string, name: string, flags: { value?: string; env?: string }) =>
        setSecret(client, fullName, name, flags.value ?? (await ctx.readSecret()), flags.env),
      ),
    );
  withCommon(secret.command("list").description("List secret names"))
    .argument("<owner/name>", "repository")
    .option("--env <environment>", ENV_FLAG)
    .action(act((client, fullName: string, flags: { env?: string }) => listSecrets(client, fullName, flags.env)));
  withCommon(secret.command("delete").description("Delete a secret"))
    .argument("<owner/name>", "repository")
    .argument("<name>", "secret name")
    .option("--env <environment>", ENV_FLAG)
    .action(act((client, fullName: string, name: string, flags: { env?: string }) => deleteSecret(client, fullName, name, flags.env)));

  const readValue = ctx.readValue ?? (() => readPlainValue());
  const variable = program.command("var").description("Manage a repository's configuration variables (the vars context; values are not secret)");
  withCommon(variable.command("set").description("Create or update a variable; the value comes from --value or stdin"))
    .argument("<owner/name>", "repository")
    .argument("<name>", "variable name (letters, digits, _; case-insensitive, stored upper-case)")
    .option("--value <value>", "the value (default: read from stdin)")
    .option("--env <environment>", ENV_FLAG_SET)
    .action(
      act(async (client, fullName: string, name: string, flags: { value?: string; env?: string }) =>
        flags.value !== undefined
          ? setVariable(client, fullName, name, flags.value, { environment: flags.env })
          : setVariable(client, fullName, name, await readValue(), { fromStdin: true, environment: flags.env }),
      ),
    );
  withCommon(variable.command("list").description("List variables with their values"))
    .argument("<owner/name>", "repository")
    .option("--env <environment>", ENV_FLAG)
    .action(act((client, fullName: string, flags: { env?: string }) => listVariables(client, fullName, flags.env)));
  withCommon(variable.command("delete").description("Delete a variable"))
    .argument("<owner/name>", "repository")
    .argument("<name>", "variable name")
    .option("--env <environment>", ENV_FLAG)
    .action(act((client, fullName: string, name: string, flags: { env?: string }) => deleteVariable(client, fullName, name, flags.env)));

  const environment = program.command("env").description("A repository's deployment environments (jobs naming one get its secrets and variables)");
  withCommon(environment.command("list").description("List environments"))
    .argument("<owner/name>", "repository")
    .action(act((client, fullName: string) => listEnvironments(client, fullName)));
  withCommon(environment.command("create").description("Create an environment (jobs naming one create it too)"))
    .argument("<owner/name>", "repository")
    .argument("<environment>", "environment name")
    .action(act((client, fullName: string, name: string) => createEnvironment(client, fullName, name)));
  withCommon(environment.command("delete").description("Delete an environment with its secrets and variables"))
    .argument("<owner/name>", "repository")
    .argument("<environment>", "environment name")
    .action(act((client, fullName: string, name: string) => deleteEnvironment(client, fullName, name)));

  withCommon(program.command("runner-token").description("Create a runner registration token and print the command that starts a runner")).action(
    act((client) => createRunnerToken(client)),
  );

  const token = program.command("token").description("Manage your API tokens");
  withCommon(token.command("create").description("Create an API token (shown once)"))
    .argument("<name>", "a name to recognise it by")
    .option("--scopes <list>", "comma-separated: read, write, admin (default: read)")
    .option("--expires-in-days <n>", "expiry in days", (v) => Number(v))
    .action(act((client, name: string, flags: { scopes?: string; expiresInDays?: number }) => createApiToken(client, name, flags)));
}

/** Reads a secret value from stdin (to its end, one trailing newline dropped) or, on a terminal, from a hidden prompt. */
export function readSecretValue(stdin: NodeJS.ReadStream = process.stdin, prompt: (text: string) => void = (t) => process.stderr.write(t)): Promise<string> {
  if (!stdin.isTTY) {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      stdin.on("data", (c: Buffer) => chunks.push(c));
      stdin.on("end", () => resolve(Buffer.concat(chunks).toString("utf8").replace(/\r?\n$/, "")));
      stdin.on("error", reject);
    });
  }
  prompt("Secret value (input hidden): ");
  return new Promise((resolve) => {
    let value = "";
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding("utf8");
    const onData = (text: string) => {
      for (const ch of text) {
        if (ch === "\r" || ch === "\n" || ch === "\u0004") {
          stdin.setRawMode(false);
          stdin.pause();
          stdin.off("data", onData);
          prompt("\n");
          return resolve(value);
        }
        if (ch === "\u0003") process.exit(130);
        if (ch === "\u007f") value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on("data", onData);
  });
}

/** Reads a variable value: stdin to its end (one trailing newline dropped) or, on a terminal, one visible line. */
export function readPlainValue(stdin: NodeJS.ReadStream = process.stdin, prompt: (text: string) => void = (t) => process.stderr.write(t)): Promise<string> {
  return new Promise((resolve, reject) => {
    if (stdin.isTTY) prompt("Value: ");
    let text = "";
    const onData = (chunk: Buffer | string) => {
      text += String(chunk);
      const newline = text.indexOf("\n");
      if (stdin.isTTY && newline >= 0) {
        finish();
        resolve(text.slice(0, newline).replace(/\r$/, ""));
      }
    };
    const onEnd = () => {
      finish();
      resolve(text.replace(/\r?\n$/, ""));
    };
    const onError = (error: Error) => {
      finish();
      reject(error);
    };
    const finish = () => {
      stdin.off("data", onData);
      stdin.off("end", onEnd);
      stdin.off("error", onError);
      if (stdin.isTTY) stdin.pause();
    };
    stdin.on("data", onData);
    stdin.on("end", onEnd);
    stdin.on("error", onError);
  });
}

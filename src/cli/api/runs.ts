/** `slipway dispatch|runs|logs|cancel|rerun`: starting, listing, reading and steering runs. */
import type { Command } from "commander";
import { SlipwayError } from "../../lib/index.js";
import type { ApiClient, Repo, Run } from "../api-client.js";
import { createRawLogView, createRenderedLogView, renderOutput, RunRenderer, type ApiOutput, type LogView } from "../render/index.js";
import { act, createClient, reportFailure, withCommonFlags, type ApiCommandContext, type CommonFlags } from "./command.js";
import { collectRepeated } from "../options.js";
import { showLogs } from "./logs.js";
import { candidateRepos, enc, locateRun, parseId, repoPath } from "./locate.js";

/** `--input NAME=VALUE` pairs as an object; a usage error for a pair without a name. */
export function parseInputs(pairs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new SlipwayError("CLI_USAGE", `--input ${pair}: expected NAME=VALUE`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

async function dispatchWorkflow(client: ApiClient, fullName: string, workflow: string, flags: { ref?: string; input: string[] }): Promise<ApiOutput> {
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

/** The latest runs of one repository or of all the caller's, newest first. */
/** A run's repository as the API names it, for servers that leave it out of run lists. */
function repositoryOf(fullName: string): NonNullable<Run["repository"]> {
  const [owner = "", name = ""] = fullName.split("/");
  return { full_name: fullName, name, owner: { login: owner } };
}

async function listRuns(client: ApiClient, fullName: string | undefined, flags: { status?: string; limit?: number }): Promise<ApiOutput> {
  const repos = await candidateRepos(client, fullName);
  const perPage = Math.min(100, flags.limit ?? 30);
  const query = `?per_page=${perPage}${flags.status ? `&status=${enc(flags.status)}` : ""}`;
  const runs: Run[] = [];
  for (const repo of repos) {
    const page = await client.request<{ workflow_runs: Run[] }>("GET", `${repoPath(repo)}/actions/runs${query}`);
    runs.push(...page.workflow_runs.map((r) => ({ ...r, repository: r.repository ?? repositoryOf(repo) })));
  }
  runs.sort((a, b) => b.created_at.localeCompare(a.created_at) || b.id - a.id);
  return { kind: "runs", runs: runs.slice(0, flags.limit ?? 30) };
}

async function cancelRun(client: ApiClient, runId: string, flags: { repo?: string }): Promise<ApiOutput> {
  const id = parseId(runId, "run");
  const { repo } = await locateRun(client, id, flags.repo);
  await client.request("POST", `${repoPath(repo)}/actions/runs/${id}/cancel`);
  return { kind: "run-cancelled", runId: id, repository: repo };
}

async function rerunRun(client: ApiClient, runId: string, flags: { repo?: string; failed?: boolean }): Promise<ApiOutput> {
  const id = parseId(runId, "run");
  const { repo } = await locateRun(client, id, flags.repo);
  await client.request("POST", `${repoPath(repo)}/actions/runs/${id}/${flags.failed ? "rerun-failed-jobs" : "rerun"}`);
  const run = await client.request<Run>("GET", `${repoPath(repo)}/actions/runs/${id}`);
  return { kind: "run-rerun", runId: id, repository: repo, failedOnly: Boolean(flags.failed), runAttempt: run.run_attempt, htmlUrl: run.html_url ?? "" };
}

/** `logs` streams as it goes, so it writes to stdout itself; Ctrl-C stops following and exits 130. */
/**
 * Where the logs go: rendered as `slipway run` shows a run (on stderr with
 * `--json`, whose document is stdout's), or with `--raw` as stored, on stdout.
 */
function logViewOf(ctx: ApiCommandContext, flags: { raw?: boolean; json?: boolean; job?: boolean }, headings: boolean): LogView {
  if (flags.raw) return createRawLogView(ctx.stdout, { headings });
  const stream = flags.json ? "stderr" : "stdout";
  const terminal = ctx.terminal?.[stream] ?? { isTTY: false, color: false };
  return createRenderedLogView(new RunRenderer({ write: flags.json ? ctx.stderr : ctx.stdout, ...terminal }));
}

function logsAction(ctx: ApiCommandContext) {
  return async (id: string, flags: CommonFlags & { follow?: boolean; job?: boolean; raw?: boolean; repo?: string }): Promise<void> => {
    const controller = new AbortController();
    const onSignal = () => controller.abort();
    process.once("SIGINT", onSignal);
    try {
      const output = await showLogs(createClient(flags, ctx), id, { ...flags, signal: controller.signal }, logViewOf(ctx, flags, !flags.job));
      if (flags.json) ctx.stdout(renderOutput(output, true));
      ctx.exit(0);
    } catch (error) {
      if (controller.signal.aborted) return ctx.exit(130);
      reportFailure(error, ctx);
    } finally {
      process.off("SIGINT", onSignal);
    }
  };
}

export function registerRunCommands(program: Command, ctx: ApiCommandContext): void {
  withCommonFlags(program.command("dispatch").description("Start a workflow_dispatch run on the server"))
    .argument("<owner/name>", "repository")
    .argument("<workflow>", "workflow file, e.g. ci.yml")
    .option("--ref <ref>", "branch or tag (default: the repository's default branch)")
    .option("--input <NAME=VALUE>", "a workflow input (repeatable)", collectRepeated, [])
    .action(act(ctx, (client, fullName: string, workflow: string, flags: { ref?: string; input: string[] }) => dispatchWorkflow(client, fullName, workflow, flags)));

  withCommonFlags(program.command("runs").description("List recent runs"))
    .argument("[owner/name]", "only this repository")
    .option("--status <status>", "queued, in_progress, completed, success, failure, ...")
    .option("--limit <n>", "how many (default 30, at most 100)", (v) => Number(v))
    .action(act(ctx, (client, fullName: string | undefined, flags: { status?: string; limit?: number }) => listRuns(client, fullName, flags)));

  withCommonFlags(program.command("logs").description("Print the logs of a run or a job; -f follows them live to the end"))
    .argument("<id>", "run id (or job id)")
    .option("-f, --follow", "stream live logs until the run or job ends")
    .option("--job", "the id is a job id")
    .option("--raw", "print the logs as stored (with ##[group] markers), without rendering")
    .option("--repo <owner/name>", "the repository (default: found among yours)")
    .action(logsAction(ctx));

  withCommonFlags(program.command("cancel").description("Cancel a run"))
    .argument("<run-id>", "run id")
    .option("--repo <owner/name>", "the repository (default: found among yours)")
    .action(act(ctx, (client, runId: string, flags: { repo?: string }) => cancelRun(client, runId, flags)));

  withCommonFlags(program.command("rerun").description("Re-run a completed run"))
    .argument("<run-id>", "run id")
    .option("--failed", "only the failed jobs (and the jobs that need them)")
    .option("--repo <owner/name>", "the repository (default: found among yours)")
    .action(act(ctx, (client, runId: string, flags: { repo?: string; failed?: boolean }) => rerunRun(client, runId, flags)));
}

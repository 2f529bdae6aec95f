/**
 * The `slipway` command line (main.ts runs it): every command is registered
 * here. Handlers return data and the renderer (render/) prints it; this file
 * parses flags and wires signals. Exit codes: 0 success, 1 the run failed or
 * was cancelled, 2 the workflow or the command line is invalid.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { isSlipwayError } from "../lib/index.js";
import type { RunPlan } from "../engine/index.js";
import type { SettingDescription } from "../server/index.js";
import { runCommand, type RunFlags } from "./run-command.js";
import { runnerCommand } from "./runner-command.js";
import { askAtTerminal } from "./local-deployments.js";
import { collectRepeated } from "./options.js";
import { renderFailure, renderInternalError, renderOutput, RunRenderer } from "./render/index.js";
import { exitCodeFor, type ApiCommandContext } from "./api/command.js";
import { registerRepoCommands } from "./api/repos.js";
import { registerRunCommands } from "./api/runs.js";
import { registerSecretCommands } from "./api/secrets.js";
import { registerVariableCommands } from "./api/variables.js";
import { registerFlagCommands } from "./api/flags.js";
import { registerEnvironmentCommands } from "./api/environments.js";
import { registerDeployCommands } from "./api/deploy.js";
import { registerTokenCommands } from "./api/tokens.js";
import { readSecretValue } from "./api/read-value.js";

const VERSION = "0.1.0";

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected a whole number of at least 1");
  return n;
}

function wantsColor(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR && env.FORCE_COLOR !== "0") return true;
  return Boolean(stream.isTTY);
}

function withListDefaults(given: Partial<RunFlags>): RunFlags {
  const lists = ["secret", "secretFile", "var", "varFile", "env", "envFile", "input", "matrix", "label", "action", "disableBuiltin", "skipJob", "approve", "protect"] as const;
  const flags = { ...given } as RunFlags;
  for (const key of lists) flags[key] = given[key] ?? [];
  return flags;
}

/** Prints a SlipwayError of a long-running command; usage and configuration errors exit 2, others 1. */
function failedWith(error: unknown): number {
  if (!isSlipwayError(error)) throw error;
  process.stderr.write(renderFailure(error));
  return exitCodeFor(error);
}

/** The commands that talk to a server's API (repo, dispatch, runs, logs, cancel, rerun, secret, var, env, runner-token, token), in help order. */
export function registerApiCommands(program: Command, ctx: ApiCommandContext): void {
  registerRepoCommands(program, ctx);
  registerRunCommands(program, ctx);
  registerSecretCommands(program, ctx);
  registerVariableCommands(program, ctx);
  registerEnvironmentCommands(program, ctx);
  registerDeployCommands(program, ctx);
  registerFlagCommands(program, ctx);
  registerTokenCommands(program, ctx);
}

/**
 * `serverSettings`: the server's settings, to register `slipway server`'s flags.
 * The server and its database drivers load only for the server command, so the
 * other commands start fast; main() passes them when the command line names it.
 */
export function buildProgram(exit: (code: number) => void, serverSettings: readonly SettingDescription[] = []): Command {
  const program = new Command("slipway")
    .description("Run GitHub Actions workflows on your own machines, and ship safely.")
    .version(VERSION, "-V, --version")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();

  program
    .command("run")
    .description("Run the workflows triggered by EVENT (default: push) on this machine")
    .argument("[event]", "event name, e.g. push, pull_request, workflow_dispatch")
    .option("-C, --directory <dir>", "repository to run (default: the current directory)")
    .option("-W, --workflows <path>", "workflow file or folder (default: .github/workflows)")
    .option("-e, --event-path <file>", "event payload JSON file")
    .option("-j, --job <id>", "run only this job and the jobs it needs")
    .option("-s, --secret <NAME[=VALUE]>", "a secret; without =VALUE it is read from the environment (repeatable)", collectRepeated)
    .option("--secret-file <file>", "dotenv file of secrets (repeatable)", collectRepeated)
    .option("--var <NAME=VALUE>", "a configuration variable, `vars.NAME` (repeatable)", collectRepeated)
    .option("--var-file <file>", "dotenv file of variables (repeatable)", collectRepeated)
    .option("--env <NAME=VALUE>", "an environment variable for every job (repeatable)", collectRepeated)
    .option("--env-file <file>", "dotenv file of environment variables (repeatable)", collectRepeated)
    .option("--input <NAME=VALUE>", "a workflow_dispatch / workflow_call input (repeatable)", collectRepeated)
    .option("--matrix <key:value>", "keep only matrix legs where key is value (repeatable)", collectRepeated)
    .option("-l, --list", "list the planned jobs, needs and matrix legs; run nothing")
    .option("-n, --dryrun", "validate and plan; run nothing")
    .option("--json", "print one JSON document with the result on stdout; logs go to stderr")
    .option("-b, --bind", "run in the repository itself instead of a fresh copy per job")
    .option("--keep-workspace", "keep the per-job workspace copies (and job HOMEs) after the run")
    .option("--share-home", "steps use your HOME, npm prefix and temp dir instead of a fresh one per job")
    .option("--tool-cache <dir>", "RUNNER_TOOL_CACHE, where setup actions install toolchains (default: SLIPWAY_TOOL_CACHE, else ~/.cache/slipway/tool-cache)")
    .addOption(new Option("--jobs <n>", "how many jobs run at once (default: number of cores)").argParser(positiveInt))
    .option("--label <label>", "an extra runs-on label this machine answers to (repeatable)", collectRepeated)
    .option("--artifact-dir <dir>", "where artifacts of this run are kept")
    .option("--action <OWNER/REPO@REF=DIR>", "use a local directory for a remote action or reusable workflow (repeatable)", collectRepeated)
    .option("--actions-url <url>", "base URL remote actions are cloned from (default: https://github.com)")
    .option("--disable-builtin <action>", "run the real action instead of Slipway's built-in, e.g. actions/cache (repeatable)", collectRepeated)
    .option("--skip-job <id>", "leave this job out of the run; jobs that need it are skipped too (repeatable)", collectRepeated)
    .option("--allow-empty", "succeed when no job could run (no runner matches any job's runs-on)")
    .option("--full-history", "actions/checkout keeps the full git history and tags, whatever its fetch-depth")
    .option("--approve <env>", "approve deploying to this protected environment without asking (repeatable)", collectRepeated)
    .option("--protect <env>", "treat this environment as protected, besides .slipway/environments.yml (repeatable)", collectRepeated)
    .action(async (event: string | undefined, given: Partial<RunFlags>) => {
      const flags = withListDefaults(given);
      const human = flags.json ? process.stderr : process.stdout;
      const renderer = new RunRenderer({
        write: (t) => human.write(t),
        isTTY: Boolean(human.isTTY),
        color: wantsColor(human, process.env),
      });
      const controller = new AbortController();
      let interrupts = 0;
      const onSignal = () => {
        interrupts++;
        if (interrupts === 1) {
          renderer.message("warning", "cancelling the run (steps with always() still run); press Ctrl-C again to stop at once");
          controller.abort();
        } else {
          process.exit(130);
        }
      };
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);
      try {
        const ask = process.stdin.isTTY && process.stderr.isTTY ? (question: string) => askAtTerminal(question) : undefined;
        const outcome = await runCommand(event, flags, { cwd: process.cwd(), env: process.env, renderer, signal: controller.signal, ...(ask ? { ask } : {}) });
        const output =
          flags.list || flags.dryrun
            ? { kind: "plan" as const, plan: outcome.document as RunPlan, dryrun: Boolean(flags.dryrun) }
            : { kind: "run-result" as const, document: outcome.document };
        const text = renderOutput(output, Boolean(flags.json));
        if (text) process.stdout.write(text);
        exit(outcome.exitCode);
      } finally {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
      }
    });

  const server = program
    .command("server")
    .description("Start the Slipway server: API, webhooks, web UI and an embedded runner")
    .option("--no-embedded-runner", "do not run jobs in the server process (use `slipway runner` machines)")
    .addOption(new Option("--runner-capacity <n>", "jobs the embedded runner runs at once (default: cores, at most 4)").argParser(positiveInt))
    .option("--runner-labels <list>", "extra comma-separated labels of the embedded runner");
  // One flag per server setting; each also reads its environment variable and the config file.
  for (const s of serverSettings) {
    const value = s.kind === "boolean" ? "[bool]" : "<value>";
    server.addOption(new Option(`${s.flag} ${value}`, `${s.description} (env ${s.env})`));
  }
  server.action(async (given: Record<string, unknown>) => {
    const { serverCommand, SERVER_SETTINGS } = await import("./server-command.js");
    const settings: Record<string, string | undefined> = {};
    for (const s of SERVER_SETTINGS) {
      const key = s.flag.replace(/^--/, "").replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
      const v = given[key];
      if (v !== undefined) settings[s.flag.replace(/^--/, "")] = v === true ? "true" : String(v);
    }
    const code = await serverCommand(
      {
        settings,
        embeddedRunner: given.embeddedRunner !== false,
        runnerCapacity: given.runnerCapacity as number | undefined,
        runnerLabels: given.runnerLabels as string | undefined,
      },
      { env: process.env, cwd: process.cwd(), print: (m) => process.stdout.write(m + "\n"), version: VERSION },
    ).catch(failedWith);
    exit(code);
  });

  program
    .command("runner")
    .description("Run jobs for a Slipway server on this machine")
    .option("--server <url>", "the server's URL (default: SLIPWAY_SERVER)")
    .option("--token-file <file>", "file holding the registration token from `slipway runner-token` (needed on first start only; or SLIPWAY_RUNNER_TOKEN)")
    .option("--token <token>", "the registration token itself (visible in the process list: prefer --token-file or SLIPWAY_RUNNER_TOKEN)")
    .option("--labels <list>", "extra comma-separated runs-on labels this runner answers to")
    .addOption(new Option("--capacity <n>", "jobs run at once (default 1)").argParser(positiveInt))
    .option("--work-dir <dir>", "credential, workspaces and artifacts (default: ~/.slipway-runner)")
    .option("--name <name>", "runner name (default: the host name)")
    .option("--keep-workspaces", "keep job directories after jobs end")
    .addOption(new Option("--max-retry-delay <seconds>", "longest wait between two attempts to reach the server (default 30)").argParser(positiveInt))
    .option("--share-home", "steps use the runner user's HOME, npm prefix and temp dir instead of a fresh one per job")
    .option("--tool-cache <dir>", "RUNNER_TOOL_CACHE, where setup actions install toolchains (default: SLIPWAY_TOOL_CACHE, else <work dir>/tool-cache)")
    .action(async (flags: Record<string, unknown>) => {
      const code = await runnerCommand(flags, {
        env: process.env,
        cwd: process.cwd(),
        version: VERSION,
        logger: {
          info: (m) => process.stderr.write(`${new Date().toISOString()} ${m}\n`),
          warn: (m) => process.stderr.write(`${new Date().toISOString()} warning: ${m}\n`),
          error: (m) => process.stderr.write(`${new Date().toISOString()} error: ${m}\n`),
        },
      }).catch(failedWith);
      exit(code);
    });

  registerApiCommands(program, {
    env: process.env,
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    terminal: {
      stdout: { isTTY: Boolean(process.stdout.isTTY), color: wantsColor(process.stdout, process.env) },
      stderr: { isTTY: Boolean(process.stderr.isTTY), color: wantsColor(process.stderr, process.env) },
    },
    readSecret: () => readSecretValue(),
    exit,
  });

  return program;
}

export async function main(argv: string[]): Promise<number> {
  let code = 0;
  const forServer = argv.slice(0, 2).includes("server");
  const program = buildProgram((c) => (code = c), forServer ? (await import("./server-command.js")).SERVER_SETTINGS : []);
  try {
    await program.parseAsync(argv, { from: "user" });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode === 0 ? 0 : 2;
    }
    if (isSlipwayError(e)) {
      process.stderr.write(renderFailure(e));
      return 2;
    }
    process.stderr.write(renderInternalError(e));
    return 1;
  }
}

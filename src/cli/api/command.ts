/**
 * Wiring every API command shares: the flags for the server and the token,
 * the client they make, printing a handler's output through the renderer, and
 * exit codes (0 done, 1 failed, 2 usage).
 */
import type { Command } from "commander";
import { isSlipwayError, ServerAnswerError, SlipwayError } from "../../lib/index.js";
import { createApiClient, DEFAULT_SERVER_URL, type ApiClient } from "../api-client.js";
import { renderFailure, renderOutput, type ApiOutput } from "../render/index.js";

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
  /** Whether stdout and stderr are terminals and take colour; neither when absent. */
  terminal?: Record<"stdout" | "stderr", { isTTY: boolean; color: boolean }>;
}

export interface CommonFlags {
  server?: string;
  token?: string;
  json?: boolean;
}

/** Exit code of a failed command: 2 for usage and configuration errors, 1 otherwise. */
export function exitCodeFor(error: unknown): number {
  return error instanceof SlipwayError && (error.code === "CLI_USAGE" || error.code === "CONFIG_INVALID") ? 2 : 1;
}

export function createClient(flags: CommonFlags, ctx: ApiCommandContext): ApiClient {
  return createApiClient({ server: flags.server ?? ctx.env.SLIPWAY_SERVER ?? DEFAULT_SERVER_URL, token: flags.token ?? ctx.env.SLIPWAY_TOKEN, fetch: ctx.fetch });
}

/** Prints a SlipwayError with the server's message and hint, and exits with its code; a bug is thrown on. */
export function reportFailure(error: unknown, ctx: ApiCommandContext): void {
  if (!isSlipwayError(error)) throw error;
  ctx.stderr(renderFailure(error));
  ctx.exit(exitCodeFor(error));
}

/** Adds the flags every API command takes: --server, --token and --json. */
export function withCommonFlags(command: Command): Command {
  return command
    .option("--server <url>", `Slipway server (default: SLIPWAY_SERVER or ${DEFAULT_SERVER_URL})`)
    .option("--token <token>", "API token (default: SLIPWAY_TOKEN)")
    .option("--json", "print JSON instead of text");
}

/** A commander action that runs `handler` with a client and commander's arguments, then prints what it returns. */
export function act<A extends unknown[]>(ctx: ApiCommandContext, handler: (client: ApiClient, ...args: A) => Promise<ApiOutput>) {
  return async (...args: unknown[]): Promise<void> => {
    const command = args[args.length - 1] as Command;
    const flags = command.opts() as CommonFlags;
    try {
      const output = await handler(createClient(flags, ctx), ...(args.slice(0, -1) as A));
      ctx.stdout(renderOutput(output, Boolean(flags.json)));
      ctx.exit(0);
    } catch (error) {
      // With --json, stdout holds the server's error answer as it came (its `errors[]` with places included).
      if (flags.json && error instanceof ServerAnswerError && error.body !== null) ctx.stdout(JSON.stringify(error.body, null, 2) + "\n");
      reportFailure(error, ctx);
    }
  };
}

const ENV_FLAG = "a deployment environment of the repository instead of the repository itself";

/** `--env` of the secret and var commands; `creates` for the ones that create the environment when it does not exist. */
export function envFlagDescription(creates: boolean): string {
  return creates ? `${ENV_FLAG} (created when it does not exist)` : ENV_FLAG;
}

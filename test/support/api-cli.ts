/** Runs `slipway` API commands in-process against a server, through the commander wiring, with a scripted stdin. */
import { Readable } from "node:stream";
import { Command } from "commander";
import { readPlainValue, registerApiCommands } from "../../src/cli/api-commands.js";

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

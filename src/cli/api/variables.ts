/** `slipway var set|list|delete`: configuration variables (the vars context) of a repository or one of its environments. */
import type { Command } from "commander";
import { SlipwayError } from "../../lib/index.js";
import type { ApiClient, Variable } from "../api-client.js";
import type { ApiOutput } from "../render/index.js";
import { act, envFlagDescription, withCommonFlags, type ApiCommandContext } from "./command.js";
import { enc, ensureEnvironment, levelPath } from "./locate.js";
import { readPlainValue } from "./read-value.js";

/**
 * Sets a configuration variable: updates it when it exists, creates it otherwise.
 * `fromStdin` marks a value that was read rather than passed with --value.
 */
async function setVariable(client: ApiClient, fullName: string, name: string, value: string, options: { fromStdin?: boolean; environment?: string } = {}): Promise<ApiOutput> {
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
  return { kind: "variable-set", repository: fullName, ...(environment === undefined ? {} : { environment }), name: name.toUpperCase(), value, created };
}

async function listVariables(client: ApiClient, fullName: string, environment?: string): Promise<ApiOutput> {
  const variables: Variable[] = [];
  for (let page = 1; ; page++) {
    const answer = await client.request<{ total_count: number; variables: Variable[] }>("GET", `${levelPath(fullName, environment)}/variables?per_page=100&page=${page}`);
    variables.push(...answer.variables);
    if (answer.variables.length < 100 || variables.length >= answer.total_count) break;
  }
  return { kind: "variables", repo: fullName, ...(environment === undefined ? {} : { environment }), variables };
}

async function deleteVariable(client: ApiClient, fullName: string, name: string, environment?: string): Promise<ApiOutput> {
  await client.request("DELETE", `${levelPath(fullName, environment)}/variables/${enc(name)}`);
  return { kind: "variable-deleted", repository: fullName, ...(environment === undefined ? {} : { environment }), name: name.toUpperCase() };
}

export function registerVariableCommands(program: Command, ctx: ApiCommandContext): void {
  const readValue = ctx.readValue ?? (() => readPlainValue());
  const variable = program.command("var").description("Manage a repository's configuration variables (the vars context; values are not secret)");
  withCommonFlags(variable.command("set").description("Create or update a variable; the value comes from --value or stdin"))
    .argument("<owner/name>", "repository")
    .argument("<name>", "variable name (letters, digits, _; case-insensitive, stored upper-case)")
    .option("--value <value>", "the value (default: read from stdin)")
    .option("--env <environment>", envFlagDescription(true))
    .action(
      act(ctx, async (client, fullName: string, name: string, flags: { value?: string; env?: string }) =>
        flags.value !== undefined
          ? setVariable(client, fullName, name, flags.value, { environment: flags.env })
          : setVariable(client, fullName, name, await readValue(), { fromStdin: true, environment: flags.env }),
      ),
    );
  withCommonFlags(variable.command("list").description("List variables with their values"))
    .argument("<owner/name>", "repository")
    .option("--env <environment>", envFlagDescription(false))
    .action(act(ctx, (client, fullName: string, flags: { env?: string }) => listVariables(client, fullName, flags.env)));
  withCommonFlags(variable.command("delete").description("Delete a variable"))
    .argument("<owner/name>", "repository")
    .argument("<name>", "variable name")
    .option("--env <environment>", envFlagDescription(false))
    .action(act(ctx, (client, fullName: string, name: string, flags: { env?: string }) => deleteVariable(client, fullName, name, flags.env)));
}

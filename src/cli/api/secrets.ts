/** `slipway secret set|list|delete`: Actions secrets of a repository or one of its environments; values are never printed. */
import type { Command } from "commander";
import { SlipwayError } from "../../lib/index.js";
import type { ApiClient, Secret } from "../api-client.js";
import type { ApiOutput } from "../render/index.js";
import { act, envFlagDescription, withCommonFlags, type ApiCommandContext } from "./command.js";
import { enc, ensureEnvironment, levelPath } from "./locate.js";

async function setSecret(client: ApiClient, fullName: string, name: string, value: string, environment?: string): Promise<ApiOutput> {
  if (value === "") throw new SlipwayError("CLI_USAGE", "the secret value is empty", { hint: "Pass --value or pipe the value on stdin." });
  await ensureEnvironment(client, fullName, environment);
  await client.request("PUT", `${levelPath(fullName, environment)}/secrets/${enc(name)}`, { value });
  return { kind: "secret-set", repository: fullName, ...(environment === undefined ? {} : { environment }), name: name.toUpperCase() };
}

async function listSecrets(client: ApiClient, fullName: string, environment?: string): Promise<ApiOutput> {
  const answer = await client.request<{ secrets: Secret[] }>("GET", `${levelPath(fullName, environment)}/secrets?per_page=100`);
  return { kind: "secrets", repo: fullName, ...(environment === undefined ? {} : { environment }), secrets: answer.secrets };
}

async function deleteSecret(client: ApiClient, fullName: string, name: string, environment?: string): Promise<ApiOutput> {
  await client.request("DELETE", `${levelPath(fullName, environment)}/secrets/${enc(name)}`);
  return { kind: "secret-deleted", repository: fullName, ...(environment === undefined ? {} : { environment }), name: name.toUpperCase() };
}

export function registerSecretCommands(program: Command, ctx: ApiCommandContext): void {
  const secret = program.command("secret").description("Manage a repository's Actions secrets (values are never printed)");
  withCommonFlags(secret.command("set").description("Set a secret; the value comes from --value or stdin"))
    .argument("<owner/name>", "repository")
    .argument("<name>", "secret name")
    .option("--value <value>", "the value (visible in your shell history; prefer stdin)")
    .option("--env <environment>", envFlagDescription(true))
    .action(
      act(ctx, async (client, fullName: string, name: string, flags: { value?: string; env?: string }) =>
        setSecret(client, fullName, name, flags.value ?? (await ctx.readSecret()), flags.env),
      ),
    );
  withCommonFlags(secret.command("list").description("List secret names"))
    .argument("<owner/name>", "repository")
    .option("--env <environment>", envFlagDescription(false))
    .action(act(ctx, (client, fullName: string, flags: { env?: string }) => listSecrets(client, fullName, flags.env)));
  withCommonFlags(secret.command("delete").description("Delete a secret"))
    .argument("<owner/name>", "repository")
    .argument("<name>", "secret name")
    .option("--env <environment>", envFlagDescription(false))
    .action(act(ctx, (client, fullName: string, name: string, flags: { env?: string }) => deleteSecret(client, fullName, name, flags.env)));
}

/** `slipway runner-token` and `slipway token create`: registration tokens for runners, API tokens for people and scripts. */
import type { Command } from "commander";
import type { ApiClient } from "../api-client.js";
import type { ApiOutput } from "../render/index.js";
import { act, withCommonFlags, type ApiCommandContext } from "./command.js";
import { repoPath } from "./locate.js";

/** A token registering an instance runner, or with `repo` a runner of that repository only. */
async function createRunnerToken(client: ApiClient, repo: string | undefined): Promise<ApiOutput> {
  const path = repo === undefined ? "/api/v3/runners/registration-token" : `${repoPath(repo)}/actions/runners/registration-token`;
  const answer = await client.request<{ token: string; expires_at: string }>("POST", path);
  return { kind: "runner-token", token: answer.token, expiresAt: answer.expires_at, command: `SLIPWAY_RUNNER_TOKEN=${answer.token} slipway runner --server ${client.server}` };
}

async function createApiToken(client: ApiClient, name: string, flags: { scopes?: string; expiresInDays?: number }): Promise<ApiOutput> {
  const scopes = flags.scopes ? flags.scopes.split(",").map((s) => s.trim()).filter(Boolean) : undefined;
  const answer = await client.request<{ id: number; name: string; scopes: string[]; token: string }>("POST", "/api/v3/user/tokens", {
    name,
    ...(scopes ? { scopes } : {}),
    ...(flags.expiresInDays ? { expires_in_days: flags.expiresInDays } : {}),
  });
  return { kind: "token", token: answer.token, name: answer.name, scopes: answer.scopes, id: answer.id };
}

export function registerTokenCommands(program: Command, ctx: ApiCommandContext): void {
  withCommonFlags(program.command("runner-token").description("Create a runner registration token and print the command that starts a runner"))
    .option("--repo <owner/name>", "register a runner of this repository only (default: an instance runner, which needs an instance admin)")
    .action(act(ctx, (client, flags: { repo?: string }) => createRunnerToken(client, flags.repo)));

  const token = program.command("token").description("Manage your API tokens");
  withCommonFlags(token.command("create").description("Create an API token (shown once)"))
    .argument("<name>", "a name to recognise it by")
    .option("--scopes <list>", "comma-separated: read, write, admin (default: read)")
    .option("--expires-in-days <n>", "expiry in days", (v) => Number(v))
    .action(act(ctx, (client, name: string, flags: { scopes?: string; expiresInDays?: number }) => createApiToken(client, name, flags)));
}

/** `slipway env list|create|delete`: a repository's deployment environments (jobs naming one get its secrets and variables). */
import type { Command } from "commander";
import type { ApiClient, Environment } from "../api-client.js";
import type { ApiOutput } from "../render/index.js";
import { act, withCommonFlags, type ApiCommandContext } from "./command.js";
import { enc, repoPath } from "./locate.js";

async function listEnvironments(client: ApiClient, fullName: string): Promise<ApiOutput> {
  const environments: Environment[] = [];
  for (let page = 1; ; page++) {
    const answer = await client.request<{ total_count: number; environments: Environment[] }>("GET", `${repoPath(fullName)}/environments?per_page=100&page=${page}`);
    environments.push(...answer.environments);
    if (answer.environments.length < 100 || environments.length >= answer.total_count) break;
  }
  return { kind: "environments", repo: fullName, environments };
}

/** Creates a deployment environment (nothing changes if it exists). */
async function createEnvironment(client: ApiClient, fullName: string, name: string): Promise<ApiOutput> {
  const answer = await client.request<{ name: string }>("PUT", `${repoPath(fullName)}/environments/${enc(name)}`, {});
  return { kind: "environment-created", repository: fullName, environment: answer.name };
}

/** Deletes a deployment environment with its secrets and variables. */
async function deleteEnvironment(client: ApiClient, fullName: string, name: string): Promise<ApiOutput> {
  await client.request("DELETE", `${repoPath(fullName)}/environments/${enc(name)}`);
  return { kind: "environment-deleted", repository: fullName, environment: name };
}

export function registerEnvironmentCommands(program: Command, ctx: ApiCommandContext): void {
  const environment = program.command("env").description("A repository's deployment environments (jobs naming one get its secrets and variables)");
  withCommonFlags(environment.command("list").description("List environments"))
    .argument("<owner/name>", "repository")
    .action(act(ctx, (client, fullName: string) => listEnvironments(client, fullName)));
  withCommonFlags(environment.command("create").description("Create an environment (jobs naming one create it too)"))
    .argument("<owner/name>", "repository")
    .argument("<environment>", "environment name")
    .action(act(ctx, (client, fullName: string, name: string) => createEnvironment(client, fullName, name)));
  withCommonFlags(environment.command("delete").description("Delete an environment with its secrets and variables"))
    .argument("<owner/name>", "repository")
    .argument("<environment>", "environment name")
    .action(act(ctx, (client, fullName: string, name: string) => deleteEnvironment(client, fullName, name)));
}

/**
 * `slipway deploy list|status|rollback`: a repository's deployments, one
 * deployment with its statuses, and rolling an environment back to an earlier
 * successful deployment (its job re-runs alone, through the environment's rules).
 */
import type { Command } from "commander";
import { SlipwayError } from "../../lib/index.js";
import type { ApiClient } from "../api-client.js";
import type { ApiOutput } from "../render/index.js";
import { formatTable } from "../render/text.js";
import { act, withCommonFlags, type ApiCommandContext } from "./command.js";
import { registerRolloutCommands } from "./deploy-rollouts.js";
import { enc, repoPath } from "./locate.js";

interface Deployment {
  id: number;
  sha: string;
  ref: string;
  task: string;
  environment: string;
  state: string;
  environment_url: string | null;
  creator: { login: string } | null;
  created_at: string;
  run_id: number | null;
}

interface DeploymentStatus {
  state: string;
  description: string;
  environment_url: string;
  created_at: string;
}

function idOf(raw: string, what: string): number {
  if (!/^[1-9]\d{0,15}$/.test(raw)) throw new SlipwayError("CLI_USAGE", `${what} '${raw}' is not a deployment id`, { hint: "Pass the numeric id `slipway deploy list OWNER/NAME` shows." });
  return Number(raw);
}

async function listDeployments(client: ApiClient, fullName: string, environment: string | undefined, limit: number): Promise<ApiOutput> {
  const query = `per_page=${Math.min(100, limit)}${environment ? `&environment=${enc(environment)}` : ""}`;
  const deployments = await client.request<Deployment[]>("GET", `${repoPath(fullName)}/deployments?${query}`);
  const text =
    deployments.length === 0
      ? `${fullName} has no deployments${environment ? ` to ${environment}` : ""}.\n`
      : formatTable([
          ["ID", "ENVIRONMENT", "STATE", "COMMIT", "REF", "BY", "CREATED", "URL"],
          ...deployments.map((d) => [String(d.id), d.environment, d.state, d.sha.slice(0, 7), d.ref, d.creator?.login ?? "", d.created_at, d.environment_url ?? ""]),
        ]);
  return { kind: "rendered", text, document: deployments };
}

async function showDeployment(client: ApiClient, fullName: string, rawId: string): Promise<ApiOutput> {
  const id = idOf(rawId, "deployment");
  const deployment = await client.request<Deployment>("GET", `${repoPath(fullName)}/deployments/${id}`);
  const statuses = await client.request<DeploymentStatus[]>("GET", `${repoPath(fullName)}/deployments/${id}/statuses`);
  const head = [
    `Deployment ${deployment.id} to ${deployment.environment}: ${deployment.state}`,
    `  commit ${deployment.sha} (${deployment.ref}), task ${deployment.task}, by ${deployment.creator?.login ?? "unknown"} at ${deployment.created_at}`,
    ...(deployment.run_id === null ? [] : [`  workflow run ${deployment.run_id}`]),
    ...(deployment.environment_url ? [`  ${deployment.environment_url}`] : []),
    "",
  ].join("\n");
  const table = formatTable([["STATE", "AT", "DESCRIPTION"], ...statuses.map((s) => [s.state, s.created_at, s.description])]);
  return { kind: "rendered", text: `${head}\n${table}`, document: { ...deployment, statuses } };
}

async function rollback(client: ApiClient, fullName: string, environment: string, to: string | undefined): Promise<ApiOutput> {
  const body = to === undefined ? {} : { deployment_id: idOf(to, "--to") };
  const answer = await client.request<{ run_id: number; run_attempt: number; job: string; target: Deployment }>("POST", `${repoPath(fullName)}/environments/${enc(environment)}/rollback`, body);
  const text = `Rolling ${environment} back to deployment ${answer.target.id} (commit ${answer.target.sha.slice(0, 7)}): job ${answer.job} re-runs as attempt ${answer.run_attempt} of run ${answer.run_id}.\n`;
  return { kind: "rendered", text, document: answer };
}

export function registerDeployCommands(program: Command, ctx: ApiCommandContext): void {
  const deploy = program.command("deploy").description("A repository's deployments: history, details, rollback and rollouts");
  withCommonFlags(deploy.command("list").description("List deployments, newest first"))
    .argument("<owner/name>", "repository")
    .option("--env <environment>", "only deployments to this environment")
    .option("--limit <n>", "how many (at most 100)", "30")
    .action(act(ctx, (client, fullName: string, flags: { env?: string; limit: string }) => listDeployments(client, fullName, flags.env, Math.max(1, Number.parseInt(flags.limit, 10) || 30))));
  withCommonFlags(deploy.command("status").description("Show one deployment with its statuses"))
    .argument("<owner/name>", "repository")
    .argument("<deployment-id>", "deployment id")
    .action(act(ctx, (client, fullName: string, id: string) => showDeployment(client, fullName, id)));
  withCommonFlags(deploy.command("rollback").description("Roll an environment back: re-run an earlier successful deployment's job (default: the one before the current)"))
    .argument("<owner/name>", "repository")
    .argument("<environment>", "environment name")
    .option("--to <deployment-id>", "the deployment to go back to")
    .action(act(ctx, (client, fullName: string, environment: string, flags: { to?: string }) => rollback(client, fullName, environment, flags.to)));
  registerRolloutCommands(deploy, ctx);
}

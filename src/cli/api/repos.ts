/** `slipway repo add|list`: the repositories a server runs. */
import { InvalidArgumentError, type Command } from "commander";
import { readFileSync } from "node:fs";
import { SlipwayError } from "../../lib/index.js";
import type { ApiClient, Repo } from "../api-client.js";
import type { ApiOutput } from "../render/index.js";
import { act, withCommonFlags, type ApiCommandContext } from "./command.js";
import { listRepos, parseRepoName } from "./locate.js";

interface AddRepoFlags {
  url: string;
  branch?: string;
  /** A file holding a token or user:password for fetching the repository (never passed on the command line). */
  credentialsFile?: string;
  /** Seconds between fetches, for repositories whose forge sends no webhooks. */
  poll?: number;
}

async function addRepo(client: ApiClient, fullName: string, flags: AddRepoFlags): Promise<ApiOutput> {
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

function parsePollSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 60 || n > 86_400) throw new InvalidArgumentError("expected whole seconds from 60 to 86400");
  return n;
}

export function registerRepoCommands(program: Command, ctx: ApiCommandContext): void {
  const repo = program.command("repo").description("Manage the repositories a Slipway server runs");
  withCommonFlags(repo.command("add").description("Add a repository (prints the webhook URL and secret once)"))
    .argument("<owner/name>", "repository name")
    .requiredOption("--url <git-url>", "where runners clone it from (https://, ssh://, git@host:path, file:// or an absolute path)")
    .option("--branch <name>", "default branch (default: main)")
    .option("--credentials-file <file>", "file holding a token or user:password the server fetches the repository with")
    .option("--poll <seconds>", "fetch every N seconds (60-86400) when the forge sends no webhooks", parsePollSeconds)
    .action(act(ctx, (client, fullName: string, flags: AddRepoFlags) => addRepo(client, fullName, flags)));
  withCommonFlags(repo.command("list").description("List the repositories you can read")).action(
    act(ctx, async (client) => ({ kind: "repos", repos: await listRepos(client) })),
  );
}

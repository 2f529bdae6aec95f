/**
 * What the commands that talk to a server's API return, and its two views:
 * text for people and the `--json` document. The JSON keeps the server's
 * field names where the data comes from the server.
 */
import type { Environment, Repo, Run, Secret, Variable } from "../api-client.js";
import { clip, firstLine, formatTable } from "./text.js";

/** The repository, or one of its deployment environments, that a secret or variable belongs to. */
interface Level {
  repository: string;
  environment?: string;
}

export type ApiOutput =
  | { kind: "repo-added"; repo: Repo; webhookSecret: string | null; webhookUrl: string }
  | { kind: "repos"; repos: Repo[] }
  | { kind: "dispatched"; runId: number; url: string; runUrl: string }
  | { kind: "runs"; runs: Run[] }
  | { kind: "run-cancelled"; runId: number; repository: string }
  | { kind: "run-rerun"; runId: number; repository: string; failedOnly: boolean; runAttempt: number; htmlUrl: string }
  | { kind: "logs"; conclusion: string | null }
  | ({ kind: "secret-set"; name: string } & Level)
  | ({ kind: "secret-deleted"; name: string } & Level)
  | { kind: "secrets"; repo: string; environment?: string; secrets: Secret[] }
  | ({ kind: "variable-set"; name: string; value: string; created: boolean } & Level)
  | ({ kind: "variable-deleted"; name: string } & Level)
  | { kind: "variables"; repo: string; environment?: string; variables: Variable[] }
  | { kind: "environments"; repo: string; environments: Environment[] }
  | { kind: "environment-created"; repository: string; environment: string }
  | { kind: "environment-deleted"; repository: string; environment: string }
  | { kind: "runner-token"; token: string; expiresAt: string; command: string }
  | { kind: "token"; token: string; name: string; scopes: string[]; id: number }
  /** A command that renders its own text (`slipway deploy`, `slipway flags`); `document` is its --json output. */
  | { kind: "rendered"; text: string; document: unknown };

/** "acme/widgets", or "acme/widgets (environment production)". */
function describeLevel(repository: string, environment: string | undefined): string {
  return environment === undefined ? repository : `${repository} (environment ${environment})`;
}

/** The level's fields of a JSON document: `environment` only when there is one. */
function levelDocument(level: Level): Record<string, unknown> {
  return { repository: level.repository, ...(level.environment === undefined ? {} : { environment: level.environment }) };
}

/** A run's title for a table cell: its first line, at most 72 characters (the last column, so long ones do not widen the others). */
function runTitle(run: Run): string {
  return clip(firstLine(run.display_title ?? run.name).trim(), 72);
}

/** A value on one table line: line breaks shown as \n, long values shortened. */
function oneLine(value: string): string {
  return clip(value.replace(/\r?\n/g, "\\n"), 60);
}

export function apiOutputDocument(output: ApiOutput): unknown {
  switch (output.kind) {
    case "repos":
      return output.repos;
    case "runs":
      return output.runs;
    case "run-cancelled":
      return { run_id: output.runId, repository: output.repository, cancelled: true };
    case "run-rerun":
      return { run_id: output.runId, repository: output.repository, run_attempt: output.runAttempt, html_url: output.htmlUrl };
    case "secret-set":
      return { ...levelDocument(output), name: output.name };
    case "secret-deleted":
    case "variable-deleted":
      return { ...levelDocument(output), name: output.name, deleted: true };
    case "variable-set":
      return { ...levelDocument(output), name: output.name, value: output.value, created: output.created };
    case "environment-created":
      return { repository: output.repository, environment: output.environment };
    case "environment-deleted":
      return { repository: output.repository, environment: output.environment, deleted: true };
    case "rendered":
      return output.document;
    default: {
      const { kind: _kind, ...rest } = output;
      return rest;
    }
  }
}

export function renderApiOutput(output: ApiOutput): string {
  switch (output.kind) {
    case "repo-added":
      return (
        [
          `Added ${output.repo.full_name} (${output.repo.clone_url}, default branch ${output.repo.default_branch}).`,
          ...(output.webhookSecret
            ? [
                "",
                "Configure a webhook on your forge (shown only now):",
                `  URL:    ${output.webhookUrl}   (content type application/json)`,
                `  Secret: ${output.webhookSecret}`,
              ]
            : []),
        ].join("\n") + "\n"
      );
    case "repos":
      if (output.repos.length === 0) return "No repositories. Add one with `slipway repo add OWNER/NAME --url GIT_URL`.\n";
      return formatTable([["REPOSITORY", "BRANCH", "GIT URL"], ...output.repos.map((r) => [r.full_name, r.default_branch, r.clone_url ?? ""])]);
    case "dispatched":
      return `Run ${output.runId} started: ${output.url}\n`;
    case "runs":
      if (output.runs.length === 0) return "No runs.\n";
      return formatTable([
        ["ID", "REPOSITORY", "WORKFLOW", "EVENT", "BRANCH", "STATUS", "CREATED", "TITLE"],
        ...output.runs.map((r) => [
          String(r.id),
          r.repository?.full_name ?? "",
          `${r.name} #${r.run_number}`,
          r.event,
          r.head_branch ?? "",
          r.status === "completed" ? (r.conclusion ?? "completed") : r.status,
          r.created_at,
          runTitle(r),
        ]),
      ]);
    case "run-cancelled":
      return `Cancelling run ${output.runId} of ${output.repository}.\n`;
    case "run-rerun":
      return `Re-running ${output.failedOnly ? "the failed jobs of " : ""}run ${output.runId} of ${output.repository} (attempt ${output.runAttempt}): ${output.htmlUrl}\n`;
    case "logs":
      return "";
    case "secret-set":
      return `Secret ${output.name} of ${describeLevel(output.repository, output.environment)} is set.\n`;
    case "secret-deleted":
      return `Secret ${output.name} of ${describeLevel(output.repository, output.environment)} is deleted.\n`;
    case "secrets":
      if (output.secrets.length === 0) return `${describeLevel(output.repo, output.environment)} has no secrets.\n`;
      return formatTable([["NAME", "UPDATED"], ...output.secrets.map((s) => [s.name, s.updated_at])]);
    case "variable-set":
      return `Variable ${output.name} of ${describeLevel(output.repository, output.environment)} is ${output.created ? "created" : "updated"}.\n`;
    case "variable-deleted":
      return `Variable ${output.name} of ${describeLevel(output.repository, output.environment)} is deleted.\n`;
    case "variables":
      if (output.variables.length === 0) return `${describeLevel(output.repo, output.environment)} has no variables.\n`;
      return formatTable([["NAME", "VALUE", "UPDATED"], ...output.variables.map((v) => [v.name, oneLine(v.value), v.updated_at])]);
    case "environments":
      if (output.environments.length === 0) return `${output.repo} has no environments.\n`;
      return formatTable([["NAME", "CREATED", "UPDATED"], ...output.environments.map((e) => [e.name, e.created_at, e.updated_at])]);
    case "environment-created":
      return `Environment ${output.environment} of ${output.repository} is ready.\n`;
    case "environment-deleted":
      return `Environment ${output.environment} of ${output.repository} is deleted, with its secrets and variables.\n`;
    case "rendered":
      return output.text;
    case "runner-token":
      return [
        `Registration token (valid until ${output.expiresAt}, single use):`,
        "",
        `  ${output.token}`,
        "",
        "Start a runner with:",
        "",
        `  ${output.command}`,
        "",
      ].join("\n");
    case "token":
      return [`Token '${output.name}' (scopes: ${output.scopes.join(", ")}), shown only now:`, "", `  ${output.token}`, ""].join("\n");
  }
}

/**
 * Secrets are released when a job is handed to whoever runs it, never
 * earlier: a job request only names what it may receive (see
 * `SecretsGrant`). The server calls `releaseSecrets` when a runner claims
 * the job (after decrypting), `slipway run` when its host executor starts it.
 */
import type { JobRequest, Template } from "../protocol/index.js";
import { evaluateTemplate } from "../workflow/index.js";

function toText(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

/**
 * The `secrets` context a job receives: the repository's secrets (with
 * `GITHUB_TOKEN` the job token unless a secret of that name exists), passed
 * through each reusable-workflow call from the outermost inward (`inherit`
 * passes them on; a mapping gives the called workflow only the names it
 * maps, plus the token), then the secrets of the environment the job names
 * over them. Throws when a mapping does not evaluate (a bad expression).
 */
export function releaseSecrets(
  request: Pick<JobRequest, "secrets">,
  repositorySecrets: Record<string, string>,
  environmentSecrets: Record<string, string>,
  jobToken: string,
): Record<string, string> {
  let current: Record<string, string> = { ...repositorySecrets };
  if (jobToken !== "" && !("GITHUB_TOKEN" in current)) current.GITHUB_TOKEN = jobToken;
  for (const call of request.secrets.calls ?? []) {
    if ("inherit" in call) continue;
    const mapped = evaluateTemplate(call.map as Template, { ...call.contexts, secrets: current });
    const next: Record<string, string> = {};
    if (mapped && typeof mapped === "object" && !Array.isArray(mapped)) {
      for (const [name, value] of Object.entries(mapped as Record<string, unknown>)) next[name] = toText(value);
    }
    // Called workflows always receive the token.
    if (current.GITHUB_TOKEN !== undefined && next.GITHUB_TOKEN === undefined) next.GITHUB_TOKEN = current.GITHUB_TOKEN;
    current = next;
  }
  return { ...current, ...environmentSecrets };
}

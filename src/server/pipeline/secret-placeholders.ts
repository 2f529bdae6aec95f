/**
 * Keeps secret values out of stored job requests. Env values the engine
 * evaluated with a secret keep a placeholder naming the secret instead, and
 * the runner protocol puts the value back when it hands the job to a runner
 * (`restoreSecrets`). The `secrets` context keeps its names with placeholders
 * too (`restoreSecretsContext`), and the mask list is emptied of secret
 * values; the protocol adds the repository's secrets, and those of the
 * environment the job names over them, to both.
 */
import type { JobRequest } from "../../protocol/index.js";

const PLACEHOLDER = /\u0000slipway-secret:([A-Za-z0-9_]+)\u0000/g;

function placeholder(name: string): string {
  return `\u0000slipway-secret:${name}\u0000`;
}

/**
 * The request as it may be stored: no secret value anywhere in its contexts,
 * env or mask. `environmentSecrets` (of the environment the job names)
 * override repository secrets of the same name; a repository value they
 * shadow is still kept out of the mask list.
 */
export function hideSecrets(request: JobRequest, secrets: Record<string, string>, environmentSecrets: Record<string, string> = {}): JobRequest {
  const entries = Object.entries({ ...secrets, ...environmentSecrets })
    .filter(([, v]) => v !== "")
    .sort((a, b) => b[1].length - a[1].length);
  const values = new Set([...Object.values(secrets), ...entries.map(([, v]) => v)]);
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(request.env)) {
    let out = v;
    for (const [name, value] of entries) out = out.split(value).join(placeholder(name));
    env[k] = out;
  }
  const contexts = { ...request.contexts };
  delete contexts.secrets;
  // The job's own `secrets` context may name values differently (a called workflow's
  // `secrets: { X: ${{ secrets.Y }} }`): keep its names, each pointing at the secret it holds.
  const own = request.contexts.secrets;
  if (own && typeof own === "object") {
    const byValue = new Map(entries.map(([name, value]) => [value, name]));
    const mapped: Record<string, string> = {};
    for (const [k, v] of Object.entries(own as Record<string, unknown>)) {
      if (typeof v !== "string") continue;
      const name = byValue.get(v);
      if (name !== undefined) mapped[k] = placeholder(name);
      else if (!values.has(v)) mapped[k] = v;
    }
    if (Object.keys(mapped).length > 0) contexts.secrets = mapped;
  }
  return { ...request, contexts, env, mask: request.mask.filter((m) => !values.has(m)) };
}

/** The job's stored `secrets` context with placeholders filled in (unknown names become empty). */
export function restoreSecretsContext(stored: unknown, secrets: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  if (!stored || typeof stored !== "object") return out;
  for (const [k, v] of Object.entries(stored as Record<string, unknown>)) {
    if (typeof v === "string") out[k] = v.replace(PLACEHOLDER, (_, name: string) => secrets[name] ?? "");
  }
  return out;
}

/** Puts secret values back into env placeholders (unknown names become empty). */
export function restoreSecrets(request: JobRequest, secrets: Record<string, string>): JobRequest {
  let changed = false;
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(request.env)) {
    const out = v.replace(PLACEHOLDER, (_, name: string) => secrets[name] ?? "");
    if (out !== v) changed = true;
    env[k] = out;
  }
  return changed ? { ...request, env } : request;
}

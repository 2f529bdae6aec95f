/**
 * The npm registry the user configured, read the way npm reads it: the
 * `npm_config_registry` variable, then the project's `.npmrc`, then the
 * user's (`NPM_CONFIG_USERCONFIG` or `~/.npmrc`), else registry.npmjs.org;
 * with the `//host/path/:_authToken` (or `:_auth`) entry that covers it, so
 * downloads work behind an npm-only proxy that needs credentials.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

export interface NpmRegistry {
  /** Base URL ending in `/`. */
  url: string;
  /** An Authorization header value for requests to the registry's host; never logged. */
  authorization?: string;
}

const DEFAULT_REGISTRY = "https://registry.npmjs.org/";

/** key=value lines of an .npmrc, `${VAR}` expanded from `env`; comments and sections dropped. */
function parseNpmrc(text: string, env: Record<string, string | undefined>): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";") || line.startsWith("[")) continue;
    const eq = line.indexOf("=");
    if (eq <= 0) continue;
    const key = line.slice(0, eq).trim();
    let value = line.slice(eq + 1).trim();
    if (/^".*"$/.test(value)) value = value.slice(1, -1);
    out.set(key, value.replace(/\$\{([^}]+)\}/g, (_m, name: string) => env[name] ?? ""));
  }
  return out;
}

function envValue(env: Record<string, string | undefined>, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(env)) if (k.toLowerCase() === lower && v) return v;
  return undefined;
}

/** The user's npmrc file: NPM_CONFIG_USERCONFIG, else `$HOME/.npmrc`. */
function userNpmrcPath(env: Record<string, string | undefined>): string | undefined {
  const configured = envValue(env, "npm_config_userconfig");
  if (configured) return configured;
  return env.HOME ? path.join(env.HOME, ".npmrc") : undefined;
}

function readNpmrc(file: string | undefined, env: Record<string, string | undefined>): Map<string, string> {
  if (!file || !existsSync(file)) return new Map();
  try {
    return parseNpmrc(readFileSync(file, "utf8"), env);
  } catch {
    return new Map();
  }
}

/** The registry for unscoped packages and its credentials, from `env` and the npmrc files of `projectDir` and the user. */
export function readNpmRegistry(env: Record<string, string | undefined>, projectDir?: string): NpmRegistry {
  const configs = [projectDir ? readNpmrc(path.join(projectDir, ".npmrc"), env) : new Map<string, string>(), readNpmrc(userNpmrcPath(env), env)];
  let url = envValue(env, "npm_config_registry") ?? configs.map((c) => c.get("registry")).find((v) => v !== undefined && v !== "") ?? DEFAULT_REGISTRY;
  if (!url.endsWith("/")) url += "/";
  // npm's nerf-dart: `//host[:port]/path/` keys carry the credentials of every URL below them.
  const nerfed = url.replace(/^https?:/, "");
  let best: { prefix: string; value: string; basic: boolean } | undefined;
  for (const config of configs) {
    for (const [key, value] of config) {
      const m = /^(\/\/.+\/):(_authToken|_auth)$/.exec(key);
      if (!m || !nerfed.startsWith(m[1]!) || value === "") continue;
      if (!best || m[1]!.length > best.prefix.length) best = { prefix: m[1]!, value, basic: m[2] === "_auth" };
    }
    if (best) break;
  }
  return best ? { url, authorization: best.basic ? `Basic ${best.value}` : `Bearer ${best.value}` } : { url };
}

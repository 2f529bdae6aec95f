/**
 * A job's own HOME: step processes get a fresh HOME, npm global prefix
 * (its bin on PATH), pnpm and corepack homes, and TMPDIR in the job's temp
 * dir, so `npm config set`, `git config --global`, `npm i -g` and
 * `corepack enable` change nothing of the user's and nothing of another
 * job's. What a job needs of the user is carried over explicitly: git's
 * `user.name`/`user.email`, and the npm registry, proxy, TLS and auth
 * settings of the user's npmrc (its credentials are masked in the job's
 * log). Variables that would point a tool back at the user's own
 * directories are dropped.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { findOnPath } from "../toolchains/index.js";
import { gitConfigPattern, parseGitConfigList } from "../../lib/index.js";

/** What a job's HOME gets from the user's. */
interface CarriedSettings {
  gitUserName: string;
  gitUserEmail: string;
  /** npmrc lines: registries, scoped registries, credentials, proxy and TLS settings. */
  npmrcLines: string[];
}

/** Host variables that name per-user directories; a job with its own HOME does not inherit them. */
const USER_DIRECTORY_VARIABLES = [
  /^XDG_(CONFIG|CACHE|DATA|STATE)_HOME$/,
  /^npm_config_(prefix|cache|userconfig|globalconfig|init_module)$/i,
  /^GIT_CONFIG_(GLOBAL|SYSTEM|NOSYSTEM)$/,
  /^(COREPACK_HOME|PNPM_HOME|YARN_CACHE_FOLDER|YARN_GLOBAL_FOLDER|YARN_RC_FILENAME|TMPDIR|TMP|TEMP)$/,
];

const CARRIED_NPMRC_KEY = /^(registry|@[^:]+:registry|\/\/.+:(_authToken|_auth|_password|username|email|certfile|keyfile|always-auth)|always-auth|strict-ssl|cafile|ca|proxy|https-proxy|noproxy)$/;

/** The user's global git identity, in one git process: `user.name` and `user.email` ("" where unset). */
function gitIdentity(env: Record<string, string>): { name: string; email: string } {
  try {
    const out = execFileSync("git", ["config", "--global", "--get-regexp", gitConfigPattern(["user.name", "user.email"])], { env, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    const values = parseGitConfigList(out);
    return { name: values.get("user.name")?.trim() ?? "", email: values.get("user.email")?.trim() ?? "" };
  } catch {
    // No global config, or neither key set.
    return { name: "", email: "" };
  }
}

function readCarriedSettings(hostEnv: Record<string, string>): CarriedSettings {
  const userconfig = Object.entries(hostEnv).find(([k]) => k.toLowerCase() === "npm_config_userconfig")?.[1] ?? path.join(hostEnv.HOME ?? os.homedir(), ".npmrc");
  let npmrcLines: string[] = [];
  try {
    npmrcLines = readFileSync(userconfig, "utf8")
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => CARRIED_NPMRC_KEY.test(l.split("=")[0]!.trim()));
  } catch {
    // No user npmrc: npm's defaults apply.
  }
  const identity = gitIdentity(hostEnv);
  return { gitUserName: identity.name, gitUserEmail: identity.email, npmrcLines };
}

const carriedByHome = new Map<string, CarriedSettings>();

/** readCarriedSettings, read once per user HOME in this process. */
function carriedSettingsOf(hostEnv: Record<string, string>): CarriedSettings {
  const key = `${hostEnv.HOME ?? ""}\0${hostEnv.npm_config_userconfig ?? hostEnv.NPM_CONFIG_USERCONFIG ?? ""}`;
  let carried = carriedByHome.get(key);
  if (!carried) {
    carried = readCarriedSettings(hostEnv);
    carriedByHome.set(key, carried);
  }
  return carried;
}

function gitConfigValue(value: string): string {
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/**
 * `corepack enable` installs its shims next to corepack itself (often
 * /usr/bin); this wrapper, on PATH before the real one, installs them into
 * the job's npm prefix bin (made when needed) unless the step names a
 * directory. It reads the prefix from the job's environment, so one wrapper
 * in a runner's shared directory serves every job.
 */
const writtenWrappers = new Map<string, string>();

function ensureCorepackWrapper(binDir: string, realCorepack: string): void {
  const wrapper = path.join(binDir, "corepack");
  if (writtenWrappers.get(wrapper) === realCorepack && existsSync(wrapper)) return;
  const script = [
    "#!/bin/sh",
    `real=${JSON.stringify(realCorepack)}`,
    'if [ "$1" = enable ] && [ -n "$NPM_CONFIG_PREFIX" ]; then',
    '  case " $* " in *" --install-directory"*) ;; *) shift; mkdir -p "$NPM_CONFIG_PREFIX/bin" && exec "$real" enable --install-directory "$NPM_CONFIG_PREFIX/bin" "$@" ;; esac',
    "fi",
    'exec "$real" "$@"',
    "",
  ].join("\n");
  mkdirSync(binDir, { recursive: true, mode: 0o700 });
  // Written aside and renamed: a job of another runner process sharing the directory never runs half a script.
  const temporary = `${wrapper}.${process.pid}.tmp`;
  writeFileSync(temporary, script, { mode: 0o755 });
  renameSync(temporary, wrapper);
  writtenWrappers.set(wrapper, realCorepack);
}

interface IsolatedJob {
  /** The environment step processes inherit. */
  env: Record<string, string>;
  /** Credential values copied into the job's npmrc: the job masks them. */
  credentials: string[];
}

/**
 * Creates the job's HOME in `home` and the environment its step processes
 * inherit: `hostEnv` with HOME, NPM_CONFIG_PREFIX, PNPM_HOME, COREPACK_HOME
 * and TMPDIR (= `tempDir`) set, their bin directories first on PATH, and the
 * user-directory variables dropped. The prefix and pnpm directories are made
 * by the tools that install into them (npm, pnpm, the corepack wrapper, kept
 * in `sharedBin`), not for every job: a job's directory is made and removed
 * entry by entry, and most jobs install nothing globally.
 */
export function isolateJobEnvironment(hostEnv: Record<string, string>, home: string, tempDir: string, sharedBin: string): IsolatedJob {
  const carried = carriedSettingsOf(hostEnv);
  const prefix = path.join(home, ".npm-global");
  const prefixBin = path.join(prefix, "bin");
  const pnpmHome = path.join(home, ".local", "share", "pnpm");
  mkdirSync(home, { recursive: true, mode: 0o700 });
  mkdirSync(tempDir, { recursive: true });
  const git = ["[user]"];
  if (carried.gitUserName) git.push(`\tname = ${gitConfigValue(carried.gitUserName)}`);
  if (carried.gitUserEmail) git.push(`\temail = ${gitConfigValue(carried.gitUserEmail)}`);
  if (git.length > 1) writeFileSync(path.join(home, ".gitconfig"), `${git.join("\n")}\n`);
  if (carried.npmrcLines.length > 0) writeFileSync(path.join(home, ".npmrc"), `${carried.npmrcLines.join("\n")}\n`, { mode: 0o600 });

  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(hostEnv)) if (!USER_DIRECTORY_VARIABLES.some((re) => re.test(k))) env[k] = v;
  const realCorepack = findOnPath("corepack", hostEnv.PATH);
  if (realCorepack) ensureCorepackWrapper(sharedBin, realCorepack);
  Object.assign(env, {
    HOME: home,
    NPM_CONFIG_PREFIX: prefix,
    PNPM_HOME: pnpmHome,
    COREPACK_HOME: path.join(home, ".cache", "node", "corepack"),
    TMPDIR: tempDir,
    PATH: [prefixBin, pnpmHome, ...(realCorepack ? [sharedBin] : []), ...(hostEnv.PATH ? [hostEnv.PATH] : [])].join(path.delimiter),
  });
  const credentials = carried.npmrcLines
    .map((line) => /:(?:_authToken|_auth|_password)\s*=\s*(.+)$/.exec(line)?.[1]?.trim().replace(/^"(.*)"$/, "$1") ?? "")
    .filter((v) => v !== "" && !v.includes("${"));
  return { env, credentials };
}

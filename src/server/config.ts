/**
 * Server configuration: one table of settings, read from (highest first)
 * command-line flags, environment variables, a config file (JSON or YAML named
 * by SLIPWAY_CONFIG / --config), then defaults. The table is exported so the
 * README's configuration section can be generated from it and checked against it.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { SlipwayError } from "../lib/index.js";

export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
export type LogFormat = "auto" | "pretty" | "json";

export interface ServerConfig {
  port: number;
  host: string;
  dataDir: string;
  /** A `postgres://` URL; undefined means SQLite at `<dataDir>/slipway.db`. */
  databaseUrl: string | undefined;
  /** Base64 or hex encoding of 32 bytes; when absent a key file in the data dir is used. */
  secretKey: string | undefined;
  /** A fixed admin token; when absent one is generated on first start and printed once. */
  adminToken: string | undefined;
  /** The URL users and runners reach the server at; decides whether cookies are Secure. */
  publicUrl: string;
  logLevel: LogLevel;
  /** `pretty` lines for people, `json` lines for machines; `auto` picks pretty at a terminal. */
  logFormat?: LogFormat;
  retentionDays: number;
  hookDeliveryRetentionDays: number;
  /** Successful deployments per environment whose runs' artifacts and logs outlive the retention (rollback targets); default 5. */
  retentionDeployments?: number;
  /** Largest accepted request body, in bytes. */
  bodyLimitBytes: number;
  /** Longest a runner's claim request waits for a job. */
  claimWaitSeconds: number;
  /** How long a claimed job stays leased without a heartbeat. */
  leaseSeconds: number;
  /** Authentication attempts allowed per client per minute. */
  authRateLimitPerMinute: number;
  sessionTtlHours: number;
  /** Take the client address and protocol from X-Forwarded-* headers (behind a reverse proxy). */
  trustProxy: boolean;
  /** When set, GET /metrics requires `Authorization: Bearer <metricsToken>`. */
  metricsToken: string | undefined;
  configFile: string | undefined;
  /** Largest artifact accepted from a job, in bytes. */
  artifactMaxBytes?: number;
  /** Largest total of a run's artifacts, in bytes. */
  runArtifactsMaxBytes?: number;
  /** Cache archives kept per repository, in bytes (least recently used evicted first). */
  repositoryCacheMaxBytes?: number;
  /** Who may add repositories: instance admins only (the default), or every signed-in user. */
  repositoryCreation?: RepositoryCreation;
  /** Anyone may register local paths and file:// URLs (not only instance admins). */
  allowLocalRepositories?: boolean;
  /** Host names or `*.domain` patterns fetched even when they resolve to private addresses. */
  allowedRepositoryHosts?: string[];
  /** Fetch from any host, whatever address it resolves to. */
  allowPrivateRepositoryHosts?: boolean;
  /** Bytes of log one step keeps; later output of the step is dropped after a line saying so. */
  logMaxStepBytes?: number;
  /** Bytes of log one job keeps; later output of the job is dropped after a line saying so. */
  logMaxJobBytes?: number;
}

type RepositoryCreation = "admins" | "users";

type Kind = "port" | "string" | "url" | "integer" | "loglevel" | "path" | "boolean" | "choice" | "list";

export interface SettingDescription {
  /** Key in ServerConfig and in the config file. */
  key: keyof ServerConfig;
  env: string;
  flag: string;
  /** Default as documented; null when there is none or it is derived. */
  default: string | number | boolean | null;
  description: string;
  kind: Kind;
  /** A secret value: never printed, never echoed in errors. */
  secret?: boolean;
  min?: number;
  max?: number;
  /** Shortest accepted string value. */
  minLength?: number;
  /** The accepted values of a `choice`. */
  choices?: readonly string[];
}

export const SERVER_SETTINGS: readonly SettingDescription[] = [
  { key: "port", env: "SLIPWAY_PORT", flag: "--port", default: 8080, kind: "port", description: "TCP port the HTTP server listens on." },
  { key: "host", env: "SLIPWAY_HOST", flag: "--host", default: "127.0.0.1", kind: "string", description: "Interface to bind; use 0.0.0.0 to listen on all interfaces." },
  { key: "dataDir", env: "SLIPWAY_DATA_DIR", flag: "--data-dir", default: "./.slipway", kind: "path", description: "Directory for the SQLite database, the generated key file, logs and artifacts." },
  { key: "databaseUrl", env: "SLIPWAY_DATABASE_URL", flag: "--database-url", default: null, kind: "string", secret: true, description: "PostgreSQL connection URL (`postgres://user:pass@host/db`). When unset, SQLite at `<data dir>/slipway.db`." },
  { key: "secretKey", env: "SLIPWAY_SECRET_KEY", flag: "--secret-key", default: null, kind: "string", secret: true, description: "32-byte key (base64 or hex) encrypting secrets at rest. Defaults to a generated key file `<data dir>/secret.key` (mode 0600)." },
  { key: "adminToken", env: "SLIPWAY_ADMIN_TOKEN", flag: "--admin-token", default: null, kind: "string", secret: true, minLength: 24, description: "Token of the instance admin (at least 24 characters). When unset, one is generated on first start and printed once." },
  { key: "publicUrl", env: "SLIPWAY_PUBLIC_URL", flag: "--public-url", default: null, kind: "url", description: "URL users and runners reach the server at. Defaults to `http://<host>:<port>`; an https URL makes session cookies Secure." },
  { key: "logLevel", env: "SLIPWAY_LOG_LEVEL", flag: "--log-level", default: "info", kind: "loglevel", description: "One of fatal, error, warn, info, debug, trace, silent." },
  { key: "logFormat", env: "SLIPWAY_LOG_FORMAT", flag: "--log-format", default: "auto", kind: "choice", choices: ["auto", "pretty", "json"], description: "`pretty`: one readable line per event; `json`: pino's JSON lines for log collectors; `auto`: pretty when stdout is a terminal, JSON otherwise." },
  { key: "retentionDays", env: "SLIPWAY_RETENTION_DAYS", flag: "--retention-days", default: 90, kind: "integer", min: 1, max: 3650, description: "Days runs, logs and artifacts are kept." },
  { key: "hookDeliveryRetentionDays", env: "SLIPWAY_HOOK_DELIVERY_RETENTION_DAYS", flag: "--hook-delivery-retention-days", default: 30, kind: "integer", min: 1, max: 3650, description: "Days outgoing webhook deliveries (with their attempts) are kept once delivered or failed." },
  { key: "retentionDeployments", env: "SLIPWAY_RETENTION_DEPLOYMENTS", flag: "--retention-deployments", default: 5, kind: "integer", min: 0, max: 1000, description: "Each environment's last N successful deployments keep their runs' artifacts and logs past the retention, so a rollback can re-run them." },
  { key: "bodyLimitBytes", env: "SLIPWAY_BODY_LIMIT_BYTES", flag: "--body-limit-bytes", default: 10 * 1024 * 1024, kind: "integer", min: 1024, max: 1024 * 1024 * 1024, description: "Largest accepted request body in bytes." },
  { key: "claimWaitSeconds", env: "SLIPWAY_CLAIM_WAIT_SECONDS", flag: "--claim-wait-seconds", default: 30, kind: "integer", min: 0, max: 120, description: "Longest a runner's job claim waits for work before answering 204." },
  { key: "leaseSeconds", env: "SLIPWAY_LEASE_SECONDS", flag: "--lease-seconds", default: 120, kind: "integer", min: 10, max: 3600, description: "How long a claimed job stays with its runner without a heartbeat. Runners heartbeat at least every quarter of it, so a server or database outage shorter than about half of it loses no job." },
  { key: "authRateLimitPerMinute", env: "SLIPWAY_AUTH_RATE_LIMIT", flag: "--auth-rate-limit", default: 10, kind: "integer", min: 1, max: 10000, description: "Authentication attempts allowed per client address per minute, one budget shared by all replicas on the database (a restart does not reset it)." },
  { key: "sessionTtlHours", env: "SLIPWAY_SESSION_TTL_HOURS", flag: "--session-ttl-hours", default: 168, kind: "integer", min: 1, max: 8760, description: "Lifetime of a browser session." },
  { key: "trustProxy", env: "SLIPWAY_TRUST_PROXY", flag: "--trust-proxy", default: false, kind: "boolean", description: "Trust X-Forwarded-For/-Proto from a reverse proxy in front of Slipway (rate limits, TLS detection)." },
  { key: "metricsToken", env: "SLIPWAY_METRICS_TOKEN", flag: "--metrics-token", default: null, kind: "string", secret: true, minLength: 16, description: "Bearer token Prometheus must send to scrape /metrics. When unset, /metrics is open." },
  { key: "artifactMaxBytes", env: "SLIPWAY_ARTIFACT_MAX_BYTES", flag: "--artifact-max-bytes", default: 2 * 1024 ** 3, kind: "integer", min: 1024, description: "Largest artifact a job may upload, in bytes." },
  { key: "runArtifactsMaxBytes", env: "SLIPWAY_RUN_ARTIFACTS_MAX_BYTES", flag: "--run-artifacts-max-bytes", default: 10 * 1024 ** 3, kind: "integer", min: 1024, description: "Largest total size of one run's artifacts, in bytes." },
  { key: "repositoryCacheMaxBytes", env: "SLIPWAY_REPOSITORY_CACHE_MAX_BYTES", flag: "--repository-cache-max-bytes", default: 10 * 1024 ** 3, kind: "integer", min: 1024, description: "Cache archives kept per repository, in bytes; the least recently used are deleted first. Caches unused for 7 days are deleted too." },
  { key: "repositoryCreation", env: "SLIPWAY_REPOSITORY_CREATION", flag: "--repository-creation", default: "admins", kind: "choice", choices: ["admins", "users"], description: "Who may add repositories: `admins` (instance admins only) or `users` (every signed-in user, who becomes admin of the repositories they add)." },
  { key: "allowLocalRepositories", env: "SLIPWAY_ALLOW_LOCAL_REPOSITORIES", flag: "--allow-local-repositories", default: false, kind: "boolean", description: "Let every user register local paths and `file://` URLs as repositories (by default only instance admins may). The server's data dir is refused either way." },
  { key: "allowedRepositoryHosts", env: "SLIPWAY_ALLOWED_REPOSITORY_HOSTS", flag: "--allowed-repository-hosts", default: null, kind: "list", description: "Comma-separated host names or `*.domain` patterns whose repositories may be fetched although they resolve to loopback, private or link-local addresses (a forge on the internal network). By default none." },
  { key: "allowPrivateRepositoryHosts", env: "SLIPWAY_ALLOW_PRIVATE_REPOSITORY_HOSTS", flag: "--allow-private-repository-hosts", default: false, kind: "boolean", description: "Fetch repositories from any host, whatever address it resolves to (loopback, private, link-local and cloud metadata addresses included)." },
  { key: "logMaxStepBytes", env: "SLIPWAY_LOG_MAX_STEP_BYTES", flag: "--log-max-step-bytes", default: 16 * 1024 ** 2, kind: "integer", min: 1024, description: "Bytes of log one step keeps. Past it the step's log gets one warning line saying it was truncated and the rest of its output is dropped; the step goes on." },
  { key: "logMaxJobBytes", env: "SLIPWAY_LOG_MAX_JOB_BYTES", flag: "--log-max-job-bytes", default: 64 * 1024 ** 2, kind: "integer", min: 1024, description: "Bytes of log one job keeps, all steps together. Past it the log gets one warning line saying it was truncated and the rest of the job's output is dropped; the job goes on." },
  { key: "configFile", env: "SLIPWAY_CONFIG", flag: "--config", default: null, kind: "path", description: "JSON or YAML file with any of these settings, keyed by the names in this table." },
];

const LOG_LEVELS: readonly LogLevel[] = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

export interface LoadServerConfigInput {
  /** Flag values keyed by flag name without dashes (`port`, `data-dir`) or by config key (`dataDir`). */
  flags?: Record<string, string | number | undefined>;
  env?: Record<string, string | undefined>;
  /** Overrides SLIPWAY_CONFIG / --config. */
  configFile?: string;
  /** Base for relative paths; defaults to process.cwd(). */
  cwd?: string;
}

function invalid(setting: SettingDescription, source: string, reason: string): SlipwayError {
  return new SlipwayError("CONFIG_INVALID", `${setting.env} (${source}): ${reason}`, {
    hint: `${setting.description} Set it with ${setting.flag}, ${setting.env} or \`${setting.key}\` in the config file.`,
  });
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (cause) {
    throw new SlipwayError("CONFIG_INVALID", `SLIPWAY_CONFIG: cannot read ${file}`, {
      hint: "Check the path and its permissions.",
      cause,
    });
  }
  let data: unknown;
  try {
    data = /\.json$/i.test(file) ? JSON.parse(text) : parseYaml(text);
  } catch (cause) {
    throw new SlipwayError("CONFIG_INVALID", `SLIPWAY_CONFIG: ${file} is not valid ${/\.json$/i.test(file) ? "JSON" : "YAML"}: ${(cause as Error).message}`, {
      hint: "The config file holds one object keyed by setting names (port, dataDir, ...).",
      cause,
    });
  }
  if (data === null || data === undefined) return {};
  if (typeof data !== "object" || Array.isArray(data)) {
    throw new SlipwayError("CONFIG_INVALID", `SLIPWAY_CONFIG: ${file} must hold one object`, {
      hint: "The config file holds one object keyed by setting names (port, dataDir, ...).",
    });
  }
  const known = new Set(SERVER_SETTINGS.map((s) => s.key as string));
  for (const key of Object.keys(data)) {
    if (!known.has(key)) {
      throw new SlipwayError("CONFIG_INVALID", `SLIPWAY_CONFIG: ${file} has an unknown setting '${key}'`, {
        hint: `Known settings: ${[...known].join(", ")}.`,
      });
    }
  }
  return data as Record<string, unknown>;
}

function coerce(setting: SettingDescription, raw: unknown, source: string): unknown {
  const shown = setting.secret ? "(hidden)" : JSON.stringify(raw);
  switch (setting.kind) {
    case "port":
    case "integer": {
      const text = String(raw).trim();
      if (!/^-?\d+$/.test(text)) throw invalid(setting, source, `expected a whole number, got ${shown}`);
      const n = Number(text);
      const min = setting.kind === "port" ? 0 : (setting.min ?? Number.MIN_SAFE_INTEGER);
      const max = setting.kind === "port" ? 65535 : (setting.max ?? Number.MAX_SAFE_INTEGER);
      if (n < min || n > max) throw invalid(setting, source, `${n} is outside ${min}..${max}`);
      return n;
    }
    case "loglevel": {
      const v = String(raw).trim().toLowerCase();
      if (!LOG_LEVELS.includes(v as LogLevel)) throw invalid(setting, source, `expected one of ${LOG_LEVELS.join(", ")}, got ${shown}`);
      return v;
    }
    case "url": {
      const v = String(raw).trim();
      let url: URL;
      try {
        url = new URL(v);
      } catch {
        throw invalid(setting, source, `expected an absolute http(s) URL, got ${shown}`);
      }
      if (url.protocol !== "http:" && url.protocol !== "https:") throw invalid(setting, source, `expected an http or https URL, got ${shown}`);
      return v.replace(/\/+$/, "");
    }
    case "choice": {
      const v = String(raw).trim().toLowerCase();
      const choices = setting.choices ?? [];
      if (!choices.includes(v)) throw invalid(setting, source, `expected one of ${choices.join(", ")}, got ${shown}`);
      return v;
    }
    case "boolean": {
      if (typeof raw === "boolean") return raw;
      const v = String(raw).trim().toLowerCase();
      if (["1", "true", "yes", "on"].includes(v)) return true;
      if (["0", "false", "no", "off"].includes(v)) return false;
      throw invalid(setting, source, `expected true or false, got ${shown}`);
    }
    case "list": {
      const items = Array.isArray(raw) ? raw : typeof raw === "string" ? raw.split(",") : null;
      if (items === null || items.some((item) => typeof item !== "string")) throw invalid(setting, source, "expected a comma-separated list or a list of strings");
      const values = (items as string[]).map((item) => item.trim()).filter((item) => item !== "");
      const bad = values.find((item) => !/^(\*\.)?[A-Za-z0-9.:-]+$|^\[[0-9A-Fa-f:.]+\]$/.test(item));
      if (bad !== undefined) throw invalid(setting, source, `${JSON.stringify(bad)} is not a host name or a *.domain pattern`);
      return values;
    }
    case "string":
    case "path": {
      if (typeof raw !== "string" && typeof raw !== "number") throw invalid(setting, source, "expected a string");
      const v = String(raw);
      if (v.trim() === "") throw invalid(setting, source, "must not be empty");
      if (setting.minLength !== undefined && v.length < setting.minLength) throw invalid(setting, source, `must be at least ${setting.minLength} characters`);
      return v;
    }
  }
}

/** Builds the typed server configuration; throws CONFIG_INVALID naming the first bad setting. */
export function loadServerConfig(input: LoadServerConfigInput = {}): ServerConfig {
  const env = input.env ?? {};
  const flags = input.flags ?? {};
  const cwd = input.cwd ?? process.cwd();
  const flagValue = (s: SettingDescription): unknown => flags[s.flag.replace(/^--/, "")] ?? flags[s.key];
  const configSetting = SERVER_SETTINGS.find((s) => s.key === "configFile")!;
  const configFileRaw = input.configFile ?? flagValue(configSetting) ?? env[configSetting.env];
  const configFile = configFileRaw === undefined || configFileRaw === "" ? undefined : path.resolve(cwd, String(configFileRaw));
  const fileValues = configFile ? readConfigFile(configFile) : {};

  const out: Record<string, unknown> = {};
  for (const setting of SERVER_SETTINGS) {
    if (setting.key === "configFile") continue;
    const fromFlag = flagValue(setting);
    const fromEnv = env[setting.env];
    const fromFile = fileValues[setting.key];
    let value: unknown;
    if (fromFlag !== undefined) value = coerce(setting, fromFlag, `flag ${setting.flag}`);
    else if (fromEnv !== undefined && fromEnv !== "") value = coerce(setting, fromEnv, "environment");
    else if (fromFile !== undefined && fromFile !== null) value = coerce(setting, fromFile, `config file ${configFile}`);
    else value = setting.default ?? undefined;
    out[setting.key] = value;
  }
  const dataDir = path.resolve(cwd, String(out.dataDir));
  const port = out.port as number;
  const host = out.host as string;
  const publicHost = host === "0.0.0.0" || host === "::" ? "localhost" : host.includes(":") ? `[${host}]` : host;
  const databaseUrl = out.databaseUrl as string | undefined;
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw invalid(SERVER_SETTINGS.find((s) => s.key === "databaseUrl")!, "value", "expected a postgres:// or postgresql:// URL (leave it unset for SQLite)");
  }
  return {
    port,
    host,
    dataDir,
    databaseUrl,
    secretKey: out.secretKey as string | undefined,
    adminToken: out.adminToken as string | undefined,
    publicUrl: (out.publicUrl as string | undefined) ?? `http://${publicHost}:${port}`,
    logLevel: out.logLevel as LogLevel,
    logFormat: out.logFormat as LogFormat,
    retentionDays: out.retentionDays as number,
    hookDeliveryRetentionDays: out.hookDeliveryRetentionDays as number,
    retentionDeployments: out.retentionDeployments as number,
    bodyLimitBytes: out.bodyLimitBytes as number,
    claimWaitSeconds: out.claimWaitSeconds as number,
    leaseSeconds: out.leaseSeconds as number,
    authRateLimitPerMinute: out.authRateLimitPerMinute as number,
    sessionTtlHours: out.sessionTtlHours as number,
    trustProxy: out.trustProxy as boolean,
    artifactMaxBytes: out.artifactMaxBytes as number,
    runArtifactsMaxBytes: out.runArtifactsMaxBytes as number,
    repositoryCacheMaxBytes: out.repositoryCacheMaxBytes as number,
    repositoryCreation: out.repositoryCreation as RepositoryCreation,
    allowLocalRepositories: out.allowLocalRepositories as boolean,
    allowedRepositoryHosts: (out.allowedRepositoryHosts as string[] | undefined) ?? [],
    allowPrivateRepositoryHosts: out.allowPrivateRepositoryHosts as boolean,
    logMaxStepBytes: out.logMaxStepBytes as number,
    logMaxJobBytes: out.logMaxJobBytes as number,
    metricsToken: out.metricsToken as string | undefined,
    configFile,
  };
}

/** The log caps of `config` as the store applies them, naming the settings that raise them. */
export function logLimitsOf(config: Pick<ServerConfig, "logMaxStepBytes" | "logMaxJobBytes">): { stepBytes?: number; jobBytes?: number; raiseHint: { step: string; job: string } } {
  return {
    ...(config.logMaxStepBytes === undefined ? {} : { stepBytes: config.logMaxStepBytes }),
    ...(config.logMaxJobBytes === undefined ? {} : { jobBytes: config.logMaxJobBytes }),
    raiseHint: { step: "the server setting logMaxStepBytes (SLIPWAY_LOG_MAX_STEP_BYTES)", job: "the server setting logMaxJobBytes (SLIPWAY_LOG_MAX_JOB_BYTES)" },
  };
}

/** The configuration table as Markdown, for the README. */
export function renderSettingsTable(): string {
  const rows = SERVER_SETTINGS.map(
    (s) => `| \`${s.key}\` | \`${s.env}\` | \`${s.flag}\` | ${s.default === null ? "—" : `\`${s.default}\``} | ${s.description} |`,
  );
  return ["| Setting | Environment | Flag | Default | Description |", "|---|---|---|---|---|", ...rows].join("\n");
}

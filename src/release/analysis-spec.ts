/**
 * The metrics of a verification analysis as a workflow writes them (a YAML
 * list under `with: metrics:`), checked and turned into a typed spec. Every
 * problem names the path of the offending field (e.g. `[0, "prometheus",
 * "query"]`) so that workflow validation can point at file:line:col and the
 * runner can name the field at run time. Pure: no I/O.
 */
import { parseExpression } from "../workflow/index.js";

export type SpecPath = (string | number)[];

export interface SpecProblem {
  path: SpecPath;
  message: string;
  /** The problem is the key itself (an unknown key), not its value. */
  atKey?: boolean;
}

export interface HttpProvider {
  kind: "http";
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
  /** Status codes that pass; default any 2xx. */
  status?: number[];
  /** A JSONPath-like selector (`$.a.b[0]`) into a JSON body; with `equals`, the selected value must equal it. */
  jsonPath?: string;
  equals?: string;
  /** A regular expression the body must match. */
  match?: string;
  /** The slowest answer that passes, in milliseconds. */
  maxLatencyMs?: number;
  timeoutMs: number;
}

interface PrometheusProvider {
  kind: "prometheus";
  address: string;
  query: string;
  timeoutMs: number;
}

export interface CommandProvider {
  kind: "command";
  run: string;
  shell?: string;
  timeoutMs: number;
}

type MetricProvider = HttpProvider | PrometheusProvider | CommandProvider;

/** Canary-versus-baseline: the query runs once per selector, and the judge compares the two series. */
interface CompareSpec {
  canary: string;
  baseline: string;
  direction: "increase" | "decrease" | "either";
  critical: boolean;
  weight?: number;
}

export interface MetricSpec {
  name: string;
  provider: MetricProvider;
  intervalMs?: number;
  count?: number;
  initialDelayMs: number;
  failureLimit?: number;
  inconclusiveLimit?: number;
  consecutiveErrorLimit?: number;
  dryRun: boolean;
  successCondition?: string;
  failureCondition?: string;
  compare?: CompareSpec;
}

interface JudgeSpec {
  confidence: number;
  tolerance: number;
  pass: number;
  marginal: number;
}

export interface AnalysisSpec {
  metrics: MetricSpec[];
  judge: JudgeSpec;
}

/** The placeholder a compared query carries for the canary's or the baseline's label matchers. */
export const SELECTOR_PLACEHOLDER = "$selector";

const METRIC_KEYS = new Set([
  "name", "interval", "count", "initialDelay", "failureLimit", "inconclusiveLimit", "consecutiveErrorLimit",
  "dryRun", "successCondition", "failureCondition", "http", "prometheus", "command", "compare",
]);
const PROVIDERS = ["http", "prometheus", "command"] as const;

/** A duration as `500ms`, `2s`, `1m`, `1h` or a number of seconds, in milliseconds; undefined when malformed. */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) && value >= 0 ? value * 1000 : undefined;
  if (typeof value !== "string") return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(value);
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2] ?? "s";
  return n * (unit === "ms" ? 1 : unit === "s" ? 1000 : unit === "m" ? 60_000 : 3_600_000);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Collects problems while reading one document. */
class SpecReader {
  readonly problems: SpecProblem[] = [];

  fail(path: SpecPath, message: string): undefined {
    this.problems.push({ path, message });
    return undefined;
  }

  string(obj: Record<string, unknown>, key: string, path: SpecPath, required = false): string | undefined {
    const v = obj[key];
    if (v === undefined || v === null) return required ? this.fail([...path, key], `\`${key}\` is required`) : undefined;
    if (typeof v === "string" && v.trim() !== "") return v;
    if (typeof v === "number" || typeof v === "boolean") return String(v);
    return this.fail([...path, key], `\`${key}\` must be a non-empty string`);
  }

  integer(obj: Record<string, unknown>, key: string, path: SpecPath, min: number): number | undefined {
    const v = obj[key];
    if (v === undefined || v === null) return undefined;
    const n = typeof v === "string" && /^-?\d+$/.test(v.trim()) ? Number(v) : v;
    if (typeof n !== "number" || !Number.isInteger(n) || n < min) return this.fail([...path, key], `\`${key}\` must be a whole number ≥ ${min}`);
    return n;
  }

  number(obj: Record<string, unknown>, key: string, path: SpecPath, min: number, max: number): number | undefined {
    const v = obj[key];
    if (v === undefined || v === null) return undefined;
    const n = typeof v === "string" && v.trim() !== "" ? Number(v) : v;
    if (typeof n !== "number" || !Number.isFinite(n) || n < min || n > max) return this.fail([...path, key], `\`${key}\` must be a number from ${min} to ${max}`);
    return n;
  }

  boolean(obj: Record<string, unknown>, key: string, path: SpecPath): boolean | undefined {
    const v = obj[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v === "boolean") return v;
    if (v === "true" || v === "false") return v === "true";
    return this.fail([...path, key], `\`${key}\` must be true or false`);
  }

  duration(obj: Record<string, unknown>, key: string, path: SpecPath): number | undefined {
    const v = obj[key];
    if (v === undefined || v === null) return undefined;
    const ms = parseDuration(v);
    return ms === undefined ? this.fail([...path, key], `\`${key}\` must be a duration such as 500ms, 10s or 2m`) : ms;
  }

  condition(obj: Record<string, unknown>, key: string, path: SpecPath): string | undefined {
    const text = this.string(obj, key, path);
    if (text === undefined) return undefined;
    const problem = checkCondition(text);
    return problem ? this.fail([...path, key], `\`${key}\` ${problem}`) : text;
  }

  unknownKeys(obj: Record<string, unknown>, allowed: Set<string>, path: SpecPath, what: string): void {
    for (const key of Object.keys(obj)) {
      if (!allowed.has(key)) this.problems.push({ path: [...path, key], message: `unknown key \`${key}\` in ${what} (allowed: ${[...allowed].join(", ")})`, atKey: true });
    }
  }
}

/** Why a condition is not a valid expression over `result`, or undefined when it is. */
function checkCondition(text: string): string | undefined {
  const bare = text.trim().replace(/^\$\{\{([\s\S]*)\}\}$/, "$1").trim();
  try {
    const parsed = parseExpression(bare);
    const other = parsed.contextNames.find((c) => c.name.toLowerCase() !== "result");
    if (other) return `uses \`${other.name}\`: a condition sees only \`result\``;
    return undefined;
  } catch (error) {
    return `is not a valid expression: ${error instanceof Error ? error.message : String(error)}`;
  }
}

function readProvider(r: SpecReader, metric: Record<string, unknown>, path: SpecPath): MetricProvider | undefined {
  const given = PROVIDERS.filter((p) => metric[p] !== undefined);
  if (given.length !== 1) {
    const unknown = Object.keys(metric).filter((k) => !METRIC_KEYS.has(k));
    const extra = unknown.length > 0 ? ` (\`${unknown[0]}\` is not a provider)` : "";
    return r.fail(path, given.length === 0 ? `the metric needs one provider: http, prometheus or command${extra}` : `the metric has ${given.length} providers (${given.join(", ")}); give one`);
  }
  const kind = given[0]!;
  const ppath = [...path, kind];
  const raw = metric[kind];
  if (kind === "command") {
    if (typeof raw === "string") return raw.trim() === "" ? r.fail(ppath, "`command` must not be empty") : { kind, run: raw, timeoutMs: 30_000 };
    if (!isRecord(raw)) return r.fail(ppath, "`command` must be a shell command or a mapping with `run:`");
    r.unknownKeys(raw, new Set(["run", "shell", "timeout"]), ppath, "command");
    const run = r.string(raw, "run", ppath, true);
    const shell = r.string(raw, "shell", ppath);
    const timeoutMs = r.duration(raw, "timeout", ppath) ?? 30_000;
    return run === undefined ? undefined : { kind, run, timeoutMs, ...(shell ? { shell } : {}) };
  }
  if (!isRecord(raw)) return r.fail(ppath, `\`${kind}\` must be a mapping`);
  if (kind === "prometheus") {
    r.unknownKeys(raw, new Set(["address", "query", "timeout"]), ppath, "prometheus");
    const address = r.string(raw, "address", ppath, true);
    const query = r.string(raw, "query", ppath, true);
    if (address !== undefined && !/^https?:\/\//.test(address)) r.fail([...ppath, "address"], "`address` must be an http:// or https:// URL");
    const timeoutMs = r.duration(raw, "timeout", ppath) ?? 5_000;
    return address === undefined || query === undefined ? undefined : { kind, address, query, timeoutMs };
  }
  r.unknownKeys(raw, new Set(["url", "method", "headers", "body", "status", "jsonPath", "equals", "match", "latency", "timeout"]), ppath, "http");
  const url = r.string(raw, "url", ppath, true);
  if (url !== undefined && !/^https?:\/\//.test(url)) r.fail([...ppath, "url"], "`url` must be an http:// or https:// URL");
  const method = (r.string(raw, "method", ppath) ?? "GET").toUpperCase();
  const headers: Record<string, string> = {};
  if (raw.headers !== undefined) {
    if (!isRecord(raw.headers)) r.fail([...ppath, "headers"], "`headers` must be a mapping of names to values");
    else for (const [k, v] of Object.entries(raw.headers)) headers[k] = String(v);
  }
  let status: number[] | undefined;
  if (raw.status !== undefined) {
    const list = Array.isArray(raw.status) ? raw.status : [raw.status];
    status = list.map(Number);
    if (status.some((s) => !Number.isInteger(s) || s < 100 || s > 599)) r.fail([...ppath, "status"], "`status` must be an HTTP status (100–599) or a list of them");
  }
  const match = r.string(raw, "match", ppath);
  if (match !== undefined) {
    try {
      new RegExp(match);
    } catch {
      r.fail([...ppath, "match"], "`match` is not a valid regular expression");
    }
  }
  const jsonPath = r.string(raw, "jsonPath", ppath);
  if (jsonPath !== undefined && !/^\$(\.[A-Za-z_][\w-]*|\[\d+\])*$/.test(jsonPath)) r.fail([...ppath, "jsonPath"], "`jsonPath` must look like $.field.list[0]");
  const equals = r.string(raw, "equals", ppath);
  const body = r.string(raw, "body", ppath);
  const maxLatencyMs = r.duration(raw, "latency", ppath);
  const timeoutMs = r.duration(raw, "timeout", ppath) ?? 10_000;
  if (url === undefined) return undefined;
  return {
    kind, url, method, headers, timeoutMs,
    ...(body !== undefined ? { body } : {}),
    ...(status ? { status } : {}),
    ...(jsonPath !== undefined ? { jsonPath } : {}),
    ...(equals !== undefined ? { equals } : {}),
    ...(match !== undefined ? { match } : {}),
    ...(maxLatencyMs !== undefined ? { maxLatencyMs } : {}),
  };
}

function readCompare(r: SpecReader, raw: unknown, path: SpecPath, provider: MetricProvider | undefined): CompareSpec | undefined {
  if (!isRecord(raw)) return r.fail(path, "`compare` must be a mapping with `canary:` and `baseline:` selectors");
  r.unknownKeys(raw, new Set(["canary", "baseline", "direction", "critical", "weight"]), path, "compare");
  if (provider && provider.kind !== "prometheus") r.fail(path, "`compare` needs a prometheus provider");
  if (provider?.kind === "prometheus" && !provider.query.includes(SELECTOR_PLACEHOLDER)) {
    r.fail([...path.slice(0, -1), "prometheus", "query"], `a compared query must contain ${SELECTOR_PLACEHOLDER} where the canary's or baseline's label matchers go`);
  }
  const canary = r.string(raw, "canary", path, true);
  const baseline = r.string(raw, "baseline", path, true);
  const direction = r.string(raw, "direction", path) ?? "either";
  if (direction !== "increase" && direction !== "decrease" && direction !== "either") r.fail([...path, "direction"], "`direction` must be increase, decrease or either");
  const critical = r.boolean(raw, "critical", path) ?? false;
  const weight = r.number(raw, "weight", path, 0, 100);
  if (canary === undefined || baseline === undefined) return undefined;
  return { canary, baseline, direction: direction as CompareSpec["direction"], critical, ...(weight !== undefined ? { weight } : {}) };
}

function readMetric(r: SpecReader, raw: unknown, path: SpecPath, names: Set<string>): MetricSpec | undefined {
  if (!isRecord(raw)) return r.fail(path, "a metric must be a mapping with `name:` and a provider");
  for (const key of Object.keys(raw)) {
    if (!METRIC_KEYS.has(key)) r.problems.push({ path: [...path, key], message: `unknown key \`${key}\` in a metric (providers: http, prometheus, command)`, atKey: true });
  }
  const name = r.string(raw, "name", path, true);
  if (name !== undefined) {
    if (names.has(name)) r.fail([...path, "name"], `metric name \`${name}\` is used twice`);
    names.add(name);
  }
  const provider = readProvider(r, raw, path);
  const intervalMs = r.duration(raw, "interval", path);
  if (intervalMs === 0) r.fail([...path, "interval"], "`interval` must be longer than 0");
  const count = r.integer(raw, "count", path, 1);
  const initialDelayMs = r.duration(raw, "initialDelay", path) ?? 0;
  const failureLimit = r.integer(raw, "failureLimit", path, -1);
  const inconclusiveLimit = r.integer(raw, "inconclusiveLimit", path, -1);
  const consecutiveErrorLimit = r.integer(raw, "consecutiveErrorLimit", path, 0);
  const dryRun = r.boolean(raw, "dryRun", path) ?? false;
  const successCondition = r.condition(raw, "successCondition", path);
  const failureCondition = r.condition(raw, "failureCondition", path);
  const compare = raw.compare === undefined ? undefined : readCompare(r, raw.compare, [...path, "compare"], provider);
  if (compare && (successCondition || failureCondition)) r.fail([...path, "compare"], "a compared metric is judged against its baseline: drop successCondition/failureCondition");
  if (name === undefined || provider === undefined) return undefined;
  return {
    name, provider, initialDelayMs, dryRun,
    ...(intervalMs !== undefined ? { intervalMs } : {}),
    ...(count !== undefined ? { count } : {}),
    ...(failureLimit !== undefined ? { failureLimit } : {}),
    ...(inconclusiveLimit !== undefined ? { inconclusiveLimit } : {}),
    ...(consecutiveErrorLimit !== undefined ? { consecutiveErrorLimit } : {}),
    ...(successCondition !== undefined ? { successCondition } : {}),
    ...(failureCondition !== undefined ? { failureCondition } : {}),
    ...(compare ? { compare } : {}),
  };
}

function readJudge(r: SpecReader, raw: unknown, path: SpecPath): JudgeSpec {
  const judge: JudgeSpec = { confidence: 0.98, tolerance: 0.25, pass: 95, marginal: 75 };
  if (raw === undefined || raw === null) return judge;
  if (!isRecord(raw)) {
    r.fail(path, "`judge` must be a mapping (confidence, tolerance, pass, marginal)");
    return judge;
  }
  r.unknownKeys(raw, new Set(["confidence", "tolerance", "pass", "marginal"]), path, "judge");
  const confidence = r.number(raw, "confidence", path, 0.5, 0.9999);
  const tolerance = r.number(raw, "tolerance", path, 0, 10);
  const pass = r.number(raw, "pass", path, 0, 100);
  const marginal = r.number(raw, "marginal", path, 0, 100);
  const out = { confidence: confidence ?? judge.confidence, tolerance: tolerance ?? judge.tolerance, pass: pass ?? judge.pass, marginal: marginal ?? judge.marginal };
  if (out.marginal > out.pass) r.fail([...path, "marginal"], "`marginal` must not exceed `pass`");
  return out;
}

/** Reads an analysis: `metrics` (a list) and the optional `judge` options, each at its own path. */
export function readAnalysisSpec(metrics: unknown, judge: unknown, metricsPath: SpecPath, judgePath: SpecPath): { spec?: AnalysisSpec; problems: SpecProblem[] } {
  const r = new SpecReader();
  const list: MetricSpec[] = [];
  if (!Array.isArray(metrics) || metrics.length === 0) {
    r.fail(metricsPath, "`metrics` must be a non-empty list of metrics");
  } else {
    const names = new Set<string>();
    metrics.forEach((m, i) => {
      const metric = readMetric(r, m, [...metricsPath, i], names);
      if (metric) list.push(metric);
    });
  }
  const judgeSpec = readJudge(r, judge, judgePath);
  return r.problems.length > 0 ? { problems: r.problems } : { spec: { metrics: list, judge: judgeSpec }, problems: [] };
}

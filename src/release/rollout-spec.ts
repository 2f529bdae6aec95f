/**
 * A rollout as a workflow writes it: `steps` (Argo's `setWeight`, `pause`,
 * `analysis`) and one traffic target (`haproxy`, `hosts` or `flag`), checked
 * and typed. Problems carry the path of the field. Pure: no I/O.
 */
import { parseDuration, readAnalysisSpec, type AnalysisSpec, type SpecPath, type SpecProblem } from "./analysis-spec.js";

type RolloutStep =
  | { kind: "setWeight"; weight: number }
  | { kind: "pause"; durationMs?: number }
  | { kind: "analysis"; analysis: AnalysisSpec };

export interface HaproxyTargetSpec {
  kind: "haproxy";
  /** A UNIX socket path, or host:port of a TCP runtime API. */
  address: string;
  backend: string;
  stable: string;
  canary: string;
  timeoutMs: number;
}

export interface HostsTargetSpec {
  kind: "hosts";
  hosts: string[];
  batchSize: number;
  /** Hosts that must stay healthy: a count, or a percentage of the hosts. */
  minimumHealthy: { count: number } | { percent: number };
  deploy: string;
  validate?: string;
  rollback?: string;
}

export interface FlagTargetSpec {
  kind: "flag";
  flag: string;
  variant: string;
}

export type TrafficTargetSpec = HaproxyTargetSpec | HostsTargetSpec | FlagTargetSpec;

export interface RolloutSpec {
  steps: RolloutStep[];
  target: TrafficTargetSpec;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function readWeight(raw: unknown, path: SpecPath, problems: SpecProblem[]): number | undefined {
  const n = typeof raw === "string" && raw.trim() !== "" ? Number(raw) : raw;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 0 || n > 100) {
    problems.push({ path, message: "`setWeight` must be a whole number from 0 to 100" });
    return undefined;
  }
  return n;
}

function readStep(raw: unknown, path: SpecPath, problems: SpecProblem[]): RolloutStep | undefined {
  if (!isRecord(raw) || Object.keys(raw).length !== 1) {
    problems.push({ path, message: "a step is one of `setWeight: N`, `pause: {duration: 30s}` or `analysis: {metrics: [...]}`" });
    return undefined;
  }
  const [key, value] = Object.entries(raw)[0]!;
  if (key === "setWeight") {
    const weight = readWeight(value, [...path, key], problems);
    return weight === undefined ? undefined : { kind: "setWeight", weight };
  }
  if (key === "pause") {
    if (value === null || (isRecord(value) && Object.keys(value).length === 0)) return { kind: "pause" };
    const duration = isRecord(value) ? value.duration : value;
    if (isRecord(value)) {
      for (const k of Object.keys(value)) if (k !== "duration") problems.push({ path: [...path, key, k], message: `unknown key \`${k}\` in pause (allowed: duration)`, atKey: true });
    }
    const ms = parseDuration(duration);
    if (ms === undefined) {
      problems.push({ path: [...path, key, ...(isRecord(value) ? ["duration"] : [])], message: "`pause` takes `{duration: 30s}` (or `{}` to wait for a promotion)" });
      return undefined;
    }
    return { kind: "pause", durationMs: ms };
  }
  if (key === "analysis") {
    if (!isRecord(value)) {
      problems.push({ path: [...path, key], message: "`analysis` must be a mapping with `metrics:`" });
      return undefined;
    }
    for (const k of Object.keys(value)) if (k !== "metrics" && k !== "judge") problems.push({ path: [...path, key, k], message: `unknown key \`${k}\` in analysis (allowed: metrics, judge)`, atKey: true });
    const read = readAnalysisSpec(value.metrics, value.judge, [...path, key, "metrics"], [...path, key, "judge"]);
    problems.push(...read.problems);
    return read.spec ? { kind: "analysis", analysis: read.spec } : undefined;
  }
  problems.push({ path: [...path, key], message: `unknown rollout step \`${key}\` (steps: setWeight, pause, analysis)`, atKey: true });
  return undefined;
}


function str(obj: Record<string, unknown>, key: string, path: SpecPath, problems: SpecProblem[], required: boolean): string | undefined {
  const v = obj[key];
  if (v === undefined || v === null) {
    if (required) problems.push({ path: [...path, key], message: `\`${key}\` is required` });
    return undefined;
  }
  if ((typeof v === "string" && v.trim() !== "") || typeof v === "number") return String(v);
  problems.push({ path: [...path, key], message: `\`${key}\` must be a non-empty string` });
  return undefined;
}

function checkKeys(obj: Record<string, unknown>, allowed: string[], path: SpecPath, problems: SpecProblem[], what: string): void {
  for (const k of Object.keys(obj)) if (!allowed.includes(k)) problems.push({ path: [...path, k], message: `unknown key \`${k}\` in ${what} (allowed: ${allowed.join(", ")})`, atKey: true });
}

function readTarget(raw: unknown, path: SpecPath, problems: SpecProblem[]): TrafficTargetSpec | undefined {
  const kinds = ["haproxy", "hosts", "flag"];
  if (!isRecord(raw) || Object.keys(raw).length !== 1 || !kinds.includes(Object.keys(raw)[0]!)) {
    problems.push({ path, message: "`traffic` names one target: `haproxy: {...}`, `hosts: {...}` or `flag: {...}`" });
    return undefined;
  }
  const [kind, value] = Object.entries(raw)[0]!;
  const tpath = [...path, kind];
  if (!isRecord(value)) {
    problems.push({ path: tpath, message: `\`${kind}\` must be a mapping` });
    return undefined;
  }
  if (kind === "haproxy") {
    checkKeys(value, ["socket", "address", "backend", "stable", "canary", "timeout"], tpath, problems, "haproxy");
    const socket = str(value, "socket", tpath, problems, false);
    const address = str(value, "address", tpath, problems, false);
    if ((socket === undefined) === (address === undefined)) problems.push({ path: tpath, message: "give the Runtime API as `socket:` (a UNIX socket path) or `address:` (host:port), one of them" });
    if (address !== undefined && !/^[^:\s]+:\d+$/.test(address)) problems.push({ path: [...tpath, "address"], message: "`address` must be host:port" });
    const backend = str(value, "backend", tpath, problems, true);
    const stable = str(value, "stable", tpath, problems, true);
    const canary = str(value, "canary", tpath, problems, true);
    const timeoutMs = value.timeout === undefined ? 2_000 : parseDuration(value.timeout);
    if (timeoutMs === undefined) problems.push({ path: [...tpath, "timeout"], message: "`timeout` must be a duration such as 500ms or 2s" });
    const where = socket ?? address;
    if (!where || !backend || !stable || !canary || timeoutMs === undefined) return undefined;
    return { kind, address: where, backend, stable, canary, timeoutMs };
  }
  if (kind === "hosts") {
    checkKeys(value, ["list", "batchSize", "minimumHealthy", "deploy", "validate", "rollback"], tpath, problems, "hosts");
    const list = value.list;
    if (!Array.isArray(list) || list.length === 0 || list.some((h) => typeof h !== "string" || h.trim() === "")) {
      problems.push({ path: [...tpath, "list"], message: "`list` must be a non-empty list of host names" });
      return undefined;
    }
    const batchSize = value.batchSize === undefined ? 1 : Number(value.batchSize);
    if (!Number.isInteger(batchSize) || batchSize < 1) problems.push({ path: [...tpath, "batchSize"], message: "`batchSize` must be a whole number ≥ 1" });
    let minimumHealthy: HostsTargetSpec["minimumHealthy"] = { count: 0 };
    const mh = value.minimumHealthy;
    if (typeof mh === "string" && /^\d+(\.\d+)?%$/.test(mh.trim())) minimumHealthy = { percent: Number(mh.trim().slice(0, -1)) };
    else if (mh !== undefined && (!Number.isInteger(Number(mh)) || Number(mh) < 0 || Number(mh) > list.length)) {
      problems.push({ path: [...tpath, "minimumHealthy"], message: `\`minimumHealthy\` must be a count from 0 to ${list.length} or a percentage such as 50%` });
    } else if (mh !== undefined) minimumHealthy = { count: Number(mh) };
    if ("percent" in minimumHealthy && minimumHealthy.percent > 100) problems.push({ path: [...tpath, "minimumHealthy"], message: "`minimumHealthy` must not exceed 100%" });
    const deploy = str(value, "deploy", tpath, problems, true);
    const validate = str(value, "validate", tpath, problems, false);
    const rollback = str(value, "rollback", tpath, problems, false);
    if (deploy === undefined) return undefined;
    return { kind, hosts: list as string[], batchSize, minimumHealthy, deploy, ...(validate ? { validate } : {}), ...(rollback ? { rollback } : {}) };
  }
  checkKeys(value, ["key", "variant"], tpath, problems, "flag");
  const flag = str(value, "key", tpath, problems, true);
  const variant = str(value, "variant", tpath, problems, true);
  return flag && variant ? { kind: "flag", flag, variant } : undefined;
}

/** Reads a rollout from its `steps` list and `traffic` target. */
export function readRolloutSpec(steps: unknown, traffic: unknown, stepsPath: SpecPath, trafficPath: SpecPath): { spec?: RolloutSpec; problems: SpecProblem[] } {
  const problems: SpecProblem[] = [];
  const list: RolloutStep[] = [];
  const target = readTarget(traffic, trafficPath, problems);
  if (steps === undefined && target?.kind === "hosts") {
    list.push({ kind: "setWeight", weight: 100 });
  } else if (!Array.isArray(steps) || steps.length === 0) {
    problems.push({ path: stepsPath, message: "`steps` must be a non-empty list (setWeight, pause, analysis)" });
  } else {
    steps.forEach((s, i) => {
      const step = readStep(s, [...stepsPath, i], problems);
      if (step) list.push(step);
    });
  }
  if (problems.length > 0 || !target) return { problems };
  return { spec: { steps: list, target }, problems };
}

/**
 * The measurement providers of slipway/verify and slipway/rollout analyses,
 * run on the runner's host: an HTTP request, a Prometheus instant query (or
 * two, canary and baseline, for compared metrics), a shell command. Anything
 * that keeps a measurement from being taken — a refused connection, a
 * timeout, a Prometheus error, a command killed by a signal — is an Error
 * measurement, never a success.
 */
import { spawn } from "node:child_process";
import {
  queryPrometheus,
  SELECTOR_PLACEHOLDER,
  type CommandProvider,
  type HttpProvider,
  type MetricSpec,
  type ProviderResult,
} from "../../../../release/index.js";

export interface CommandContext {
  env: Record<string, string>;
  cwd: string;
  /** One line of the command's output (the caller masks it). */
  log(line: string): void;
}

/** Runs a shell command; resolves its exit code (null when killed) and stdout. Killed with its process group on `signal`. */
export function runShellCommand(
  command: string,
  options: CommandContext & { shell?: string; timeoutMs: number; signal: AbortSignal; extraEnv?: Record<string, string> },
): Promise<{ exitCode: number | null; stdout: string; timedOut: boolean }> {
  return new Promise((resolve) => {
    const shell = options.shell ?? "sh";
    const child = spawn(shell, ["-c", command], {
      cwd: options.cwd,
      env: { ...options.env, ...options.extraEnv },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    let stdout = "";
    let timedOut = false;
    const kill = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, options.timeoutMs);
    options.signal.addEventListener("abort", kill, { once: true });
    const forward = (stream: NodeJS.ReadableStream, keep: boolean) => {
      let pending = "";
      stream.setEncoding("utf8");
      stream.on("data", (chunk: string) => {
        if (keep) stdout += chunk;
        pending += chunk;
        const lines = pending.split(/\r?\n/);
        pending = lines.pop() ?? "";
        for (const line of lines) options.log(line);
      });
      stream.on("end", () => {
        if (pending !== "") options.log(pending);
      });
    };
    forward(child.stdout, true);
    forward(child.stderr, false);
    const done = (exitCode: number | null) => {
      clearTimeout(timer);
      options.signal.removeEventListener("abort", kill);
      resolve({ exitCode, stdout, timedOut });
    };
    child.on("error", () => done(127));
    child.on("close", (code) => done(code));
  });
}

/** Picks `$.a.b[0]` out of parsed JSON; undefined when absent. */
function selectJsonPath(value: unknown, jsonPath: string): unknown {
  let v = value;
  for (const part of jsonPath.slice(1).match(/\.[^.[\]]+|\[\d+\]/g) ?? []) {
    if (v === null || typeof v !== "object") return undefined;
    const key = part.startsWith("[") ? Number(part.slice(1, -1)) : part.slice(1);
    v = (v as Record<string | number, unknown>)[key];
  }
  return v;
}

async function measureHttp(p: HttpProvider, signal: AbortSignal): Promise<ProviderResult> {
  const timeout = AbortSignal.timeout(p.timeoutMs);
  const started = performance.now();
  let response: Response;
  let text: string;
  try {
    response = await fetch(p.url, { method: p.method, headers: p.headers, signal: AbortSignal.any([signal, timeout]), ...(p.body !== undefined ? { body: p.body } : {}) });
    text = await response.text();
  } catch (error) {
    const reason = timeout.aborted ? `no answer within ${p.timeoutMs} ms` : error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
    return { phase: "Error", message: `${p.method} ${p.url}: ${reason}` };
  }
  const latencyMs = Math.round(performance.now() - started);
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: conditions see the text
  }
  const value = { status: response.status, latencyMs, body };
  const okStatus = p.status ? p.status.includes(response.status) : response.status >= 200 && response.status < 300;
  if (!okStatus) return { value, phase: "Failed", message: `status ${response.status}` };
  if (p.maxLatencyMs !== undefined && latencyMs > p.maxLatencyMs) return { value, phase: "Failed", message: `answered in ${latencyMs} ms, over ${p.maxLatencyMs} ms` };
  if (p.jsonPath !== undefined) {
    const selected = selectJsonPath(body, p.jsonPath);
    if (selected === undefined) return { value, phase: "Failed", message: `${p.jsonPath} is absent from the body` };
    if (p.equals !== undefined && String(selected) !== p.equals) return { value, phase: "Failed", message: `${p.jsonPath} is not ${p.equals}` };
  }
  if (p.match !== undefined && !new RegExp(p.match).test(text)) return { value, phase: "Failed", message: `the body does not match /${p.match}/` };
  return { value, phase: "Successful" };
}

async function measureCommand(p: CommandProvider, context: CommandContext, signal: AbortSignal): Promise<ProviderResult> {
  const r = await runShellCommand(p.run, { ...context, ...(p.shell ? { shell: p.shell } : {}), timeoutMs: p.timeoutMs, signal });
  if (r.timedOut) return { phase: "Error", message: `the command ran longer than ${p.timeoutMs} ms` };
  if (r.exitCode === null) return { phase: "Error", message: "the command was killed" };
  const last = r.stdout.trim().split(/\r?\n/).pop()?.trim() ?? "";
  const printed = last !== "" && Number.isFinite(Number(last)) ? Number(last) : undefined;
  const value = printed ?? r.exitCode;
  return { value, phase: r.exitCode === 0 ? "Successful" : "Failed", ...(r.exitCode !== 0 ? { message: `exit code ${r.exitCode}` } : {}) };
}

function firstNumber(result: number | number[] | string): number | undefined {
  const v = Array.isArray(result) ? result[0] : typeof result === "number" ? result : Number(result);
  return v === undefined || Number.isNaN(v) ? undefined : v;
}

/** Takes one measurement of `metric`. */
export async function measureMetric(metric: MetricSpec, context: CommandContext, signal: AbortSignal): Promise<ProviderResult> {
  const p = metric.provider;
  if (p.kind === "http") return measureHttp(p, signal);
  if (p.kind === "command") return measureCommand(p, context, signal);
  try {
    if (metric.compare) {
      const ask = (selector: string) => queryPrometheus({ address: p.address, query: p.query.split(SELECTOR_PLACEHOLDER).join(selector), timeoutMs: p.timeoutMs, signal });
      const [canary, baseline] = await Promise.all([ask(metric.compare.canary), ask(metric.compare.baseline)]);
      const c = firstNumber(canary);
      const b = firstNumber(baseline);
      if (c === undefined || b === undefined) return { phase: "Error", message: `no samples for the ${c === undefined ? "canary" : "baseline"}` };
      return { value: { canary: c, baseline: b }, phase: "Successful" };
    }
    return { value: await queryPrometheus({ address: p.address, query: p.query, timeoutMs: p.timeoutMs, signal }) };
  } catch (error) {
    return { phase: "Error", message: error instanceof Error ? error.message : String(error) };
  }
}

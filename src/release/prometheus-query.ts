/**
 * An instant query against Prometheus's HTTP API (`GET /api/v1/query`). The
 * result is what conditions see as `result`: a number for a scalar, the list
 * of sample values for a vector (in Prometheus's order), a string for a
 * string result. An unreachable server, a timeout, a non-2xx answer or an
 * answer with `status: "error"` throws: the caller records an Error
 * measurement, never a success.
 */

export interface PrometheusQueryOptions {
  address: string;
  query: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

interface PrometheusAnswer {
  status?: string;
  error?: string;
  data?: { resultType?: string; result?: unknown };
}

function sampleValue(sample: unknown): number {
  const v = Array.isArray(sample) ? sample[1] : undefined;
  return typeof v === "string" ? Number(v) : Number.NaN;
}

/** Runs one instant query; the value as conditions see it. */
export async function queryPrometheus(options: PrometheusQueryOptions): Promise<number | number[] | string> {
  const url = new URL(`${options.address.replace(/\/+$/, "")}/api/v1/query`);
  url.searchParams.set("query", options.query);
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 5_000);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  let response: Response;
  try {
    response = await fetch(url, { signal });
  } catch (error) {
    const reason = timeout.aborted ? `no answer within ${options.timeoutMs ?? 5_000} ms` : error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
    throw new Error(`Prometheus at ${url.origin}: ${reason}`);
  }
  const text = await response.text();
  let body: PrometheusAnswer;
  try {
    body = JSON.parse(text) as PrometheusAnswer;
  } catch {
    throw new Error(`Prometheus at ${url.origin} answered ${response.status} with a body that is not JSON`);
  }
  if (!response.ok || body.status !== "success") throw new Error(`Prometheus at ${url.origin} answered ${response.status}: ${body.error ?? body.status ?? "no status"}`);
  const data = body.data ?? {};
  switch (data.resultType) {
    case "scalar":
      return sampleValue(data.result);
    case "string":
      return Array.isArray(data.result) ? String(data.result[1]) : "";
    case "vector":
      return Array.isArray(data.result) ? data.result.map((s: { value?: unknown }) => sampleValue(s.value)) : [];
    default:
      throw new Error(`Prometheus at ${url.origin} answered a ${data.resultType ?? "missing"} result; use an instant vector or scalar query`);
  }
}

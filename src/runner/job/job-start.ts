/**
 * What a runner works out from a job request once the job's secrets are
 * released to it: the job-level env (the workflow's `env`, then the job's,
 * which may use `secrets`) and, when the job ends, its environment url.
 */
import { SlipwayError } from "../../lib/index.js";
import type { Contexts, JobRequest, Template } from "../../protocol/index.js";
import { evaluateTemplate, stringifyValue, type EvaluateOptions } from "../../workflow/index.js";

/**
 * The job's env: `request.env`, then each of `request.envTemplates` over it,
 * evaluated with `contexts` (which hold the released `secrets`). Throws when
 * a layer does not evaluate to a mapping.
 */
export function evaluateJobEnv(request: Pick<JobRequest, "env" | "envTemplates" | "jobId">, contexts: Contexts): Record<string, string> {
  const env = { ...request.env };
  for (const layer of request.envTemplates) {
    const value = evaluateTemplate(layer as Template, contexts);
    if (value === null || value === undefined || value === "") continue;
    if (typeof value !== "object" || Array.isArray(value)) {
      throw new SlipwayError("JOB_ENV_INVALID", `\`env\` of the workflow or of job '${request.jobId}' must evaluate to a mapping, got ${Array.isArray(value) ? "a list" : `a ${typeof value}`}`);
    }
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) env[k] = stringifyValue(v);
  }
  return env;
}

/** `jobs.<id>.environment.url`, evaluated when the job ends; empty when it has none. */
export function evaluateEnvironmentUrl(request: Pick<JobRequest, "environmentUrl">, contexts: Contexts, options?: EvaluateOptions): string {
  return request.environmentUrl === undefined ? "" : stringifyValue(evaluateTemplate(request.environmentUrl, contexts, options));
}

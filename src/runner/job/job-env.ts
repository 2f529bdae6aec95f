/**
 * The environment the job's step processes see: host env, the job's env
 * (with GITHUB_ENV / set-env / exportVariable additions), the step's env, the
 * default GITHUB_* and RUNNER_* variables, and PATH with GITHUB_PATH entries.
 */
import path from "node:path";

export class JobEnv {
  /** GITHUB_PATH additions in the order they were added. */
  private readonly pathAdditions: string[] = [];

  constructor(
    /** The job env plus GITHUB_ENV / set-env / exportVariable additions. */
    readonly variables: Record<string, string>,
    private readonly hostEnv: Record<string, string>,
    /** GITHUB_* and RUNNER_* defaults; they win over everything a workflow sets. */
    private readonly defaults: Record<string, string>,
  ) {}

  set(name: string, value: string): void {
    this.variables[name] = value;
  }

  addPath(dir: string): void {
    this.pathAdditions.push(dir);
  }

  /** The environment of a step process (without env-file variables). */
  processEnv(overlay: Record<string, string>, actionId: string): Record<string, string> {
    const env: Record<string, string> = { ...this.hostEnv, CI: "true", ...this.variables, ...overlay, ...this.defaults };
    env.GITHUB_ACTION = actionId;
    if (this.pathAdditions.length > 0) {
      const seen = new Set<string>();
      const dirs: string[] = [];
      for (let i = this.pathAdditions.length - 1; i >= 0; i--) {
        const dir = this.pathAdditions[i]!;
        if (!seen.has(dir)) {
          seen.add(dir);
          dirs.push(dir);
        }
      }
      env.PATH = [...dirs, ...(env.PATH ? [env.PATH] : [])].join(path.delimiter);
    }
    return env;
  }
}

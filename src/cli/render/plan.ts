/** `--list` and `--dryrun`: the plan as text — workflows, jobs, needs and matrix legs. */
import type { RunPlan } from "../../engine/index.js";

export function renderPlan(plan: RunPlan, options: { dryrun: boolean }): string {
  const out: string[] = [];
  let jobs = 0;
  let legs = 0;
  for (const wf of plan.workflows) {
    out.push(`${wf.name} (${wf.file}) on ${plan.event}`);
    for (const job of wf.jobs) {
      jobs++;
      const needs = job.needs.length ? `  needs: ${job.needs.join(", ")}` : "";
      const cond = job.if ? `  if: ${job.if}` : "";
      const uses = job.uses ? `  uses: ${job.uses}` : "";
      out.push(`  ${job.id === job.name ? job.id : `${job.id} — ${job.name}`}${needs}${uses}${cond}`);
      if (job.matrix?.kind === "static") {
        for (const name of job.matrix.names) {
          legs++;
          out.push(`    • ${name}`);
        }
        if (job.matrix.names.length === 0) out.push("    • (no matrix leg is left after include/exclude and --matrix)");
      } else if (job.matrix?.kind === "runtime") {
        out.push(`    • matrix determined at run time (${job.matrix.reason})`);
      }
    }
  }
  const tail = options.dryrun ? `valid: ${plan.workflows.length} workflow(s), ${jobs} job(s), ${legs} matrix leg(s); nothing was run` : "";
  return out.join("\n") + "\n" + (tail ? tail + "\n" : "");
}

/**
 * `--list --json` / `--dryrun --json`: the plan as data. Only the plan's
 * shape goes out — never contexts, env, payload or anything that could hold a
 * secret value.
 */
export function planDocument(plan: RunPlan): unknown {
  return {
    event: plan.event,
    workflows: plan.workflows.map((wf) => ({
      file: wf.file,
      name: wf.name,
      jobs: wf.jobs.map((job) => ({
        id: job.id,
        name: job.name,
        needs: job.needs,
        if: job.if ?? null,
        uses: job.uses ?? null,
        matrix:
          job.matrix === null
            ? null
            : job.matrix.kind === "static"
              ? { legs: job.matrix.legs, names: job.matrix.names }
              : { determinedAtRunTime: true, reason: job.matrix.reason },
      })),
    })),
  };
}

/**
 * `slipway logs`: a run's or a job's logs, written as they arrive, and with
 * `follow` streamed live (server-sent events) until the run or job ends.
 */
import { SlipwayError } from "../../lib/index.js";
import type { ApiClient, Job, Run } from "../api-client.js";
import type { ApiOutput } from "../render/index.js";
import { locateJob, locateRun, parseId, repoPath } from "./locate.js";

/**
 * Prints the logs of a run (every job of its latest attempt, in order) or of
 * one job. With `follow`, live logs are streamed until each job ends; for a
 * run, jobs that start later are followed as they start, until the run ends.
 */
export async function showLogs(
  client: ApiClient,
  id: string,
  flags: { repo?: string; follow?: boolean; job?: boolean; signal?: AbortSignal; pollMs?: number },
  write: (text: string) => void,
): Promise<Extract<ApiOutput, { kind: "logs" }>> {
  const numeric = parseId(id, "run or job");
  const pollMs = flags.pollMs ?? 1000;
  let target: { repo: string; run?: Run; job?: Job } | null = null;
  if (!flags.job) {
    try {
      target = await locateRun(client, numeric, flags.repo);
    } catch (error) {
      if (!(error instanceof SlipwayError) || error.code !== "RUN_NOT_FOUND") throw error;
    }
  }
  if (!target) {
    target = await locateJob(client, numeric, flags.repo);
    if (!target) throw new SlipwayError("RUN_NOT_FOUND", `no run or job ${numeric}${flags.repo ? ` in ${flags.repo}` : " in your repositories"}`, { hint: "List runs with `slipway runs`." });
  }
  const base = repoPath(target.repo);

  const printJob = async (job: Job, heading: boolean): Promise<string | null> => {
    if (heading) write(`\n=== ${job.name} (job ${job.id}) ===\n`);
    if (!flags.follow) {
      await client.pipeText(`${base}/actions/jobs/${job.id}/logs`, write);
      return job.conclusion;
    }
    // A stream cut short (server restart, proxy timeout) resumes after the last event seen.
    let conclusion: string | null = null;
    let lastEventId: string | undefined;
    for (let failures = 0; ; failures++) {
      try {
        for await (const event of client.events(`${base}/actions/jobs/${job.id}/logs/stream`, { signal: flags.signal, lastEventId })) {
          failures = 0;
          if (event.id) lastEventId = event.id;
          if (event.event === "log") {
            const data = JSON.parse(event.data) as { text?: string };
            write(data.text ?? "");
          } else if (event.event === "end") {
            conclusion = (JSON.parse(event.data) as { conclusion?: string | null }).conclusion ?? null;
            return conclusion;
          }
        }
      } catch (error) {
        // Server errors (404, 401, ...) are final; a dropped connection or an unreachable server is retried.
        const retriable = error instanceof SlipwayError ? error.code === "SERVER_UNREACHABLE" : true;
        if (flags.signal?.aborted || !retriable || failures >= 30) throw error;
      }
      if (flags.signal?.aborted) return conclusion;
      await new Promise((resolve) => setTimeout(resolve, Math.min(pollMs * 2, 2000)));
    }
  };

  if (target.job) return { kind: "logs", conclusion: await printJob(target.job, false) };

  const runId = target.run!.id;
  const shown = new Set<number>();
  for (;;) {
    const run = await client.request<Run>("GET", `${base}/actions/runs/${runId}`);
    const jobs = (await client.request<{ jobs: Job[] }>("GET", `${base}/actions/runs/${runId}/jobs?per_page=100`)).jobs;
    const next = jobs.filter((j) => !shown.has(j.id) && (!flags.follow || j.status !== "queued" || run.status === "completed")).filter((j) => j.status !== "pending" || run.status === "completed");
    for (const job of next) {
      if (flags.signal?.aborted) return { kind: "logs", conclusion: null };
      shown.add(job.id);
      await printJob(job, true);
    }
    if (!flags.follow || flags.signal?.aborted) return { kind: "logs", conclusion: run.conclusion };
    if (run.status === "completed" && jobs.every((j) => shown.has(j.id))) {
      const final = await client.request<Run>("GET", `${base}/actions/runs/${runId}`);
      return { kind: "logs", conclusion: final.conclusion };
    }
    if (next.length === 0) await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/**
 * `slipway logs`: a run's or a job's logs, and with `follow` streamed live
 * (server-sent events) until the run or job ends. What is read goes to a
 * LogView: rendered as `slipway run` shows a run, or raw as stored.
 */
import { SlipwayError } from "../../lib/index.js";
import type { ApiClient, Job, Run } from "../api-client.js";
import type { ApiOutput, LogView } from "../render/index.js";
import { locateJob, locateRun, parseId, repoPath } from "./locate.js";

interface LogsFlags {
  repo?: string;
  follow?: boolean;
  job?: boolean;
  /** The stored text as it is, without rendering. */
  raw?: boolean;
  signal?: AbortSignal;
  pollMs?: number;
}

/**
 * Shows the logs of a run (every job of its latest attempt, in order) or of
 * one job. With `follow`, live logs are streamed until each job ends; for a
 * run, jobs that start later are followed as they start, until the run ends.
 */
export async function showLogs(client: ApiClient, id: string, flags: LogsFlags, view: LogView): Promise<Extract<ApiOutput, { kind: "logs" }>> {
  const startedAt = Date.now();
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
  const jobNow = (job: Job) => client.request<Job>("GET", `${base}/actions/jobs/${job.id}`);

  /** One job's log through the view; its conclusion. */
  const showJob = async (listed: Job): Promise<string | null> => {
    view.jobStarted(listed);
    if (flags.raw && !flags.follow) {
      await client.pipeText(`${base}/actions/jobs/${listed.id}/logs`, (text) => view.text(listed, 0, text));
      view.jobEnded(listed, listed.steps ?? [], listed.conclusion);
      return listed.conclusion;
    }
    let job = flags.raw ? listed : await jobNow(listed);
    const known = new Set(job.steps?.map((s) => s.number) ?? []);
    view.steps(job, job.steps ?? []);
    // A stream cut short (server restart, proxy timeout) resumes after the last event seen.
    let lastEventId: string | undefined;
    for (let failures = 0; ; failures++) {
      try {
        for await (const event of client.events(`${base}/actions/jobs/${listed.id}/logs/stream`, { signal: flags.signal, lastEventId })) {
          failures = 0;
          if (event.id) lastEventId = event.id;
          if (event.event === "log") {
            const data = JSON.parse(event.data) as { step?: number; text?: string };
            const step = data.step ?? 0;
            // A step not seen before: ask for its name, and for the state of those before it.
            if (!flags.raw && step > 0 && !known.has(step)) {
              job = await jobNow(listed);
              for (const s of job.steps ?? []) known.add(s.number);
              known.add(step);
              view.steps(job, job.steps ?? []);
            }
            view.text(job, step, data.text ?? "");
          } else if (event.event === "end") {
            const conclusion = (JSON.parse(event.data) as { conclusion?: string | null }).conclusion ?? null;
            const final = flags.raw ? job : await jobNow(listed);
            view.jobEnded(final, final.steps ?? [], conclusion);
            return conclusion;
          }
        }
      } catch (error) {
        // Server errors (404, 401, ...) are final; a dropped connection or an unreachable server is retried.
        const retriable = error instanceof SlipwayError ? error.code === "SERVER_UNREACHABLE" : true;
        if (flags.signal?.aborted || !retriable || failures >= 30) throw error;
      }
      if (flags.signal?.aborted) return null;
      await new Promise((resolve) => setTimeout(resolve, Math.min(pollMs * 2, 2000)));
    }
  };

  const finish = (conclusion: string | null): Extract<ApiOutput, { kind: "logs" }> => {
    if (!flags.signal?.aborted) view.ended(conclusion, Date.now() - startedAt);
    return { kind: "logs", conclusion };
  };

  if (target.job) return finish(await showJob(target.job));

  const runId = target.run!.id;
  const shown = new Set<number>();
  for (;;) {
    const run = await client.request<Run>("GET", `${base}/actions/runs/${runId}`);
    const jobs = (await client.request<{ jobs: Job[] }>("GET", `${base}/actions/runs/${runId}/jobs?per_page=100`)).jobs;
    const next = jobs.filter((j) => !shown.has(j.id) && (!flags.follow || j.status !== "queued" || run.status === "completed")).filter((j) => j.status !== "pending" || run.status === "completed");
    for (const job of next) {
      if (flags.signal?.aborted) return { kind: "logs", conclusion: null };
      shown.add(job.id);
      await showJob(job);
    }
    if (!flags.follow || flags.signal?.aborted) return finish(run.conclusion);
    if (run.status === "completed" && jobs.every((j) => shown.has(j.id))) {
      const final = await client.request<Run>("GET", `${base}/actions/runs/${runId}`);
      return finish(final.conclusion);
    }
    if (next.length === 0) await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

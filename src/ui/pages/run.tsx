/** One run: header and actions, the job graph, the selected job's steps and live log, summary, artifacts. */
import { useEffect, useRef, useState } from "react";
import { ApiError, api } from "../api/client.js";
import type { Job, WorkflowRun } from "../api/types.js";
import { ErrorBanner, Loading, Notice } from "../components/feedback.js";
import { JobGraph } from "../components/job-graph.js";
import { Annotations, LogViewer, type ShownAnnotation } from "../components/log-viewer.js";
import { StatusIcon, stateLabel, stateOf } from "../components/status.js";
import { attemptState } from "../core/attempt-state.js";
import { elapsed, formatBytes, formatRelative, shortSha } from "../core/format.js";
import { Link, navigate, useLocation } from "../core/router.js";
import { useApi, useNow, useTitle } from "../core/use-api.js";
import type { LogAnnotation } from "../core/log-parse.js";
import { useJobLog } from "../core/use-job-log.js";
import { ReviewDeployments } from "./review-deployments.js";
import { RunTabs, RunTests, useTestTotals } from "./run-tests.js";

const LIVE_POLL_MS = 2000;

function pickJob(jobs: Job[]): Job | undefined {
  return (
    jobs.find((j) => j.conclusion === "failure") ??
    jobs.find((j) => j.status === "in_progress") ??
    jobs.find((j) => j.status !== "completed") ??
    jobs[0]
  );
}

/**
 * A run whose workflow file does not parse: GitHub concludes it
 * `startup_failure`; Slipway's server fails it at once with one job keyed
 * `invalid-workflow`. Re-running it would fail the same way, so no re-run
 * is offered; the fix is a new commit.
 */
function isInvalidWorkflowRun(run: WorkflowRun, jobs: Job[]): boolean {
  return run.conclusion === "startup_failure" || (jobs.length > 0 && jobs.every((j) => j.key === "invalid-workflow"));
}

function RunActions({ repo, run, job, onDone, rerunnable }: { repo: string; run: WorkflowRun; job?: { id: number; name: string }; onDone: () => void; rerunnable: boolean }) {
  const [busy, setBusy] = useState<string>();
  const [message, setMessage] = useState<{ tone: "success" | "error"; text: string }>();
  const act = async (label: string, action: () => Promise<void>, done: string) => {
    setBusy(label);
    setMessage(undefined);
    try {
      await action();
      setMessage({ tone: "success", text: done });
      onDone();
    } catch (e) {
      setMessage({ tone: "error", text: (e as ApiError).message });
    } finally {
      setBusy(undefined);
    }
  };
  const completed = run.status === "completed";
  const failed = completed && rerunnable && (run.conclusion === "failure" || run.conclusion === "cancelled" || run.conclusion === "timed_out");
  return (
    <div className="run-actions">
      {!completed && (
        <button className="btn btn-danger" disabled={!!busy} onClick={() => act("cancel", () => api.cancelRun(repo, run.id), "Cancelling the run…")}>
          {busy === "cancel" ? "Cancelling…" : "Cancel run"}
        </button>
      )}
      {completed && rerunnable && job && (
        <button className="btn" disabled={!!busy} title={`Re-run ${job.name} and the jobs that need it`} onClick={() => act("job", () => api.rerunJob(repo, job.id), `Re-running ${job.name}.`)}>
          {busy === "job" ? "Starting…" : "Re-run this job"}
        </button>
      )}
      {failed && (
        <button className="btn" disabled={!!busy} onClick={() => act("failed", () => api.rerunFailedJobs(repo, run.id), "Re-running failed jobs.")}>
          {busy === "failed" ? "Starting…" : "Re-run failed jobs"}
        </button>
      )}
      {completed && rerunnable && (
        <button className="btn btn-primary" disabled={!!busy} onClick={() => act("all", () => api.rerunRun(repo, run.id), "Re-running all jobs.")}>
          {busy === "all" ? "Starting…" : "Re-run all jobs"}
        </button>
      )}
      {message && <Notice tone={message.tone}>{message.text}</Notice>}
    </div>
  );
}

/**
 * Every finished job's summary, each under its job's name, as GitHub's run
 * page shows them. A job's check run says whether it wrote one (`null` when
 * not), so a job without a summary costs no failed request.
 */
function JobSummaries({ repo, jobs }: { repo: string; jobs: Job[] }) {
  const done = jobs.filter((j) => j.status === "completed" && j.conclusion !== "skipped");
  const key = done.map((j) => j.id).join(",");
  const summaries = useApi(
    async (signal) => {
      const found = await Promise.all(
        done.map(async (job) => {
          try {
            const summary = (await api.getCheckRun(repo, job.id, signal)).output?.summary;
            return summary?.trim() ? { job, markdown: summary } : null;
          } catch (e) {
            if (e instanceof ApiError && e.kind === "not-found") return null;
            throw e;
          }
        }),
      );
      const present = found.filter((f) => f !== null);
      if (present.length === 0) return [];
      // The Markdown renderer loads only when a summary exists.
      const { renderMarkdown } = await import("../core/markdown.js");
      return present.map(({ job, markdown }) => ({ job, html: renderMarkdown(markdown) }));
    },
    [repo, key],
  );
  if (!summaries.data?.length) return null;
  return (
    <div className="job-summaries">
      {summaries.data.map(({ job, html }) => (
        <section key={job.id} className="card summary" aria-labelledby={`summary-${job.id}`} data-testid="job-summary">
          <h3 id={`summary-${job.id}`}>{job.name} summary</h3>
          {/* Sanitised by renderMarkdown (DOMPurify): no scripts, handlers or styles survive. */}
          <div className="markdown" data-testid="step-summary" dangerouslySetInnerHTML={{ __html: html }} />
        </section>
      ))}
    </div>
  );
}

/**
 * A finished job's annotations as the server kept them (with file and line);
 * while the job runs, or when the server kept none, those read from the log.
 */
function useAnnotations(repo: string, job: Job, fromLog: LogAnnotation[]): ShownAnnotation[] {
  const done = job.status === "completed";
  const kept = useApi(
    async (signal) => {
      if (!done) return null;
      try {
        return await api.listAnnotations(repo, job.id, signal);
      } catch (e) {
        if (e instanceof ApiError && e.kind === "not-found") return null;
        throw e;
      }
    },
    [repo, job.id, done],
  );
  if (!kept.data || kept.data.length === 0) return fromLog;
  return kept.data.map((a) => {
    const level = a.annotation_level === "failure" ? "error" : a.annotation_level;
    // The log line that reported it, when the log shows it, so the annotation links there.
    const inLog = fromLog.find((l) => l.level === level && l.message === a.message);
    return {
      level,
      message: a.message,
      title: a.title ?? undefined,
      file: a.path ?? undefined,
      line: a.start_line ?? undefined,
      logLine: inLog?.logLine,
    };
  });
}

/** What a job's `conclusion_reason` means, for the reasons its own log may not show. */
const REASONS: Partial<Record<NonNullable<Job["conclusion_reason"]>, string>> = {
  runner_lost: "The runner was lost: it stopped renewing its lease on this job, and the job failed.",
  cancelled: "The job was cancelled.",
  timed_out: "The job timed out: it ran past its timeout-minutes and was stopped.",
  job_error: "The job failed outside its steps.",
  startup_failure: "The run could not start.",
};

/** Why the job ended, when that is not a step's own failure. */
function EndReason({ job }: { job: Job }) {
  const reason = job.conclusion_reason ? REASONS[job.conclusion_reason] : undefined;
  if (!reason) return null;
  const detail = job.error && job.error !== "runner lost" ? job.error : undefined;
  return (
    <div className={`banner ${job.conclusion_reason === "cancelled" ? "banner-warn" : "banner-error"}`} role="status" data-testid="job-end-reason" data-reason={job.conclusion_reason}>
      <span>
        {reason}
        {detail && <span className="muted"> {detail}</span>}
      </span>
    </div>
  );
}

function JobPanel({ repo, job }: { repo: string; job: Job }) {
  const rawUrl = api.jobLogUrl(repo, job.id);
  const log = useJobLog(api.jobLogStreamUrl(repo, job.id), rawUrl, job.status === "completed");
  const annotations = useAnnotations(repo, job, log.model.annotations);
  return (
    <div className="job-panel">
      <div className="job-panel-head">
        <h2>
          <StatusIcon state={stateOf(job.status, job.conclusion)} size={20} /> {job.name}
        </h2>
        <div className="muted small">
          {job.runner_name ? <>on <strong>{job.runner_name}</strong></> : job.status === "queued" ? <>waiting for a runner with {job.labels.join(", ") || "any labels"}</> : null}
        </div>
      </div>
      <EndReason job={job} />
      <Annotations annotations={annotations} />
      <LogViewer job={job} log={log} rawUrl={rawUrl} />
    </div>
  );
}

function Artifacts({ repo, runId, completed }: { repo: string; runId: number; completed: boolean }) {
  const artifacts = useApi((signal) => api.listArtifacts(repo, runId, signal), [repo, runId, completed]);
  if (artifacts.error && artifacts.error.kind !== "not-found") return <ErrorBanner error={artifacts.error} what="artifacts" />;
  const list = artifacts.data?.artifacts ?? [];
  if (list.length === 0) return null;
  return (
    <section className="card artifacts" aria-labelledby="artifacts-title">
      <h3 id="artifacts-title">Artifacts</h3>
      <ul>
        {list.map((a) => (
          <li key={a.id}>
            {a.expired ? (
              <span className="muted">{a.name} (expired)</span>
            ) : (
              <a href={a.archive_download_url} download>
                {a.name}
              </a>
            )}
            <span className="muted small">{formatBytes(a.size_in_bytes)}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}

function AttemptPicker({ repo, runId, latest, attempt }: { repo: string; runId: number; latest: number; attempt: number }) {
  return (
    <label className="attempt-picker small">
      <span>Attempt</span>
      <select value={attempt} onChange={(e) => navigate(`/${repo}/actions/runs/${runId}${Number(e.target.value) === latest ? "" : `?attempt=${e.target.value}`}`)}>
        {Array.from({ length: latest }, (_, i) => latest - i).map((n) => (
          <option key={n} value={n}>
            #{n}
            {n === latest ? " (latest)" : ""}
          </option>
        ))}
      </select>
    </label>
  );
}

export function RunPage({ repo, runId, jobId }: { repo: string; runId: number; jobId?: number }) {
  const [live, setLive] = useState(true);
  const { search } = useLocation();
  // An earlier attempt's jobs are history: fetched once, never polled.
  const attemptParam = Number(search.get("attempt")) || undefined;
  const run = useApi((signal) => api.getRun(repo, runId, signal), [repo, runId], { pollMs: live ? LIVE_POLL_MS : false });
  const pastAttempt = attemptParam !== undefined && run.data !== undefined && attemptParam < run.data.run_attempt ? attemptParam : undefined;
  const jobs = useApi(
    (signal) => (pastAttempt ? api.listAttemptJobs(repo, runId, pastAttempt, signal) : api.listJobs(repo, runId, signal)),
    [repo, runId, pastAttempt],
    { pollMs: live && !pastAttempt ? LIVE_POLL_MS : false },
  );
  const completed = run.data?.status === "completed";
  // Keep polling a little after completion so the final job states arrive.
  useEffect(() => {
    if (!completed) {
      setLive(true);
      return;
    }
    const id = window.setTimeout(() => setLive(false), LIVE_POLL_MS * 2);
    return () => window.clearTimeout(id);
  }, [completed]);
  const now = useNow(1000, !completed);
  const testTotals = useTestTotals(repo, runId, pastAttempt, live && !pastAttempt);
  const testsTab = search.get("tab") === "tests";
  const jobList = jobs.data?.jobs ?? [];
  // The review panel stays once shown, so its answer outlives the jobs' leaving `waiting`.
  const [reviewShown, setReviewShown] = useState(false);
  const waitingJobs = jobList.some((j) => j.status === "waiting");
  useEffect(() => {
    if (waitingJobs) setReviewShown(true);
  }, [waitingJobs]);
  // The run record describes the latest attempt; an earlier one's state comes from its own jobs.
  const shown = pastAttempt && jobs.data ? attemptState(jobList) : run.data;
  const titleState = shown ? stateLabel(stateOf(shown.status, shown.conclusion)) : undefined;
  useTitle(run.data ? `${titleState}: ${run.data.display_title || run.data.name} #${run.data.run_number} · ${repo}` : undefined);

  // A re-run replaces the jobs: a job that is gone is followed by its namesake in the new attempt.
  const lastName = useRef<string | undefined>(undefined);
  const selected = jobList.find((j) => j.id === jobId) ?? jobList.find((j) => j.name === lastName.current) ?? pickJob(jobList);
  lastName.current = selected?.name ?? lastName.current;
  useEffect(() => {
    if (selected && selected.id !== jobId) navigate(`/${repo}/actions/runs/${runId}/job/${selected.id}${window.location.search}${jobId === undefined ? window.location.hash : ""}`, { replace: true });
  }, [jobId, selected?.id]);

  if (run.error && !run.data) return <ErrorBanner error={run.error} onRetry={run.reload} what={`Run ${runId}`} />;
  if (!run.data) return <Loading label="Loading run" />;
  const r = run.data;
  const state = shown ? stateOf(shown.status, shown.conclusion) : "queued";
  const attemptTimes = pastAttempt && jobs.data ? attemptState(jobList) : undefined;
  const startedAt = attemptTimes ? attemptTimes.started_at : (r.run_started_at ?? r.created_at);
  const endedAt = attemptTimes ? attemptTimes.completed_at : completed ? r.updated_at : null;
  const workflowInvalid = isInvalidWorkflowRun(r, jobList);
  const reloadAll = () => {
    setLive(true);
    run.reload();
    jobs.reload();
  };

  return (
    <div className="run-page" data-testid="run-page" data-state={state}>
      {run.error && <ErrorBanner error={run.error} onRetry={run.reload} what="this run" />}
      <header className="run-header">
        <div className="run-heading">
          <StatusIcon state={state} size={24} />
          <div>
            <h1 className="run-page-title">
              <span className="run-page-title-text" title={r.display_title || r.name}>
                {r.display_title || r.name}
              </span>{" "}
              <span className="muted run-number">#{r.run_number}</span>
            </h1>
            <div className="muted run-sub">
              <span data-testid="run-state">{stateLabel(state)}</span> · {r.name} · {r.event}
              {r.actor && <> by {r.actor.login}</>} · {r.head_branch && <span className="chip branch">{r.head_branch}</span>} <code>{shortSha(r.head_sha)}</code> ·{" "}
              <time dateTime={r.created_at}>{formatRelative(r.created_at, now)}</time> · {elapsed(startedAt, endedAt, now)}
              {r.run_attempt > 1 && <> · attempt {pastAttempt ?? r.run_attempt}</>}
            </div>
          </div>
        </div>
        <div className="run-header-side">
          {r.run_attempt > 1 && <AttemptPicker repo={repo} runId={runId} latest={r.run_attempt} attempt={pastAttempt ?? r.run_attempt} />}
          {!pastAttempt && <RunActions repo={repo} run={r} job={jobId !== undefined && selected ? { id: selected.id, name: selected.name } : undefined} onDone={reloadAll} rerunnable={jobs.data !== undefined && !workflowInvalid} />}
        </div>
      </header>
      {pastAttempt && (
        <div className="banner banner-info" role="status">
          <div>
            Showing attempt #{pastAttempt} of {r.run_attempt}. <Link to={`/${repo}/actions/runs/${runId}`}>Go to the latest attempt</Link>
          </div>
        </div>
      )}
      {jobs.error && <ErrorBanner error={jobs.error} onRetry={jobs.reload} what="jobs" />}
      {workflowInvalid && (
        <div className="banner banner-error" role="status" data-testid="workflow-invalid">
          <div>
            This run failed because its workflow file is invalid: <code>{r.path}</code>. Its errors are in the log below; push a fix to start a new run (a re-run would read the same file).
          </div>
        </div>
      )}
      {!pastAttempt && (waitingJobs || reviewShown) && <ReviewDeployments repo={repo} runId={runId} active={!completed} onReviewed={reloadAll} />}
      <RunTabs totals={testTotals} />
      {testsTab && <RunTests repo={repo} runId={runId} attempt={pastAttempt} totals={testTotals} />}
      {/* Kept mounted behind the Tests tab, so the job's log is not fetched again on the way back. */}
      <div className="run-body" style={testsTab ? { display: "none" } : undefined}>
        {jobList.length > 0 ? <JobGraph jobs={jobList} repo={repo} runId={runId} selectedJobId={selected?.id} now={now} query={pastAttempt ? `?attempt=${pastAttempt}` : ""} /> : jobs.data ? <p className="muted">No jobs.</p> : <Loading />}
        <div className="run-extras">
          <Artifacts repo={repo} runId={runId} completed={completed} />
        </div>
        <div className="run-main-panel">{selected && <JobPanel key={selected.id} repo={repo} job={selected} />}</div>
        <JobSummaries repo={repo} jobs={jobList} />
        <Link to={`/${repo}`} className="small">
          ← All runs of {repo}
        </Link>
      </div>
    </div>
  );
}

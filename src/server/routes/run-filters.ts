/**
 * GitHub's list-runs filters from a query string: `actor`, `branch`, `event`,
 * `status` (a status or a conclusion), `created` in GitHub's date-range
 * syntax, `head_sha`, `check_suite_id` and `exclude_pull_requests`.
 * A run's check suite is the run itself, so `check_suite_id` selects at most
 * one run.
 */
import type { RunFilter, WorkflowRun } from "../../store/index.js";
import { pageOf, type RouteContext } from "../context.js";
import { validationFailed } from "../http-errors.js";

const STATUS_FILTERS = new Set([
  "queued", "in_progress", "completed", "waiting", "pending", "requested",
  "success", "failure", "cancelled", "skipped", "timed_out", "neutral", "action_required", "stale", "startup_failure",
]);

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;
const DAY_MS = 86_400_000;

/** A bound's first or last millisecond: a date alone covers its whole (UTC) day. */
function instantOf(text: string, end: "start" | "end"): number {
  if (DATE.test(text)) {
    const start = Date.parse(`${text}T00:00:00.000Z`);
    if (Number.isNaN(start)) throw validationFailed("created", `${text} is not a date`);
    return end === "start" ? start : start + DAY_MS - 1;
  }
  const at = DATE_TIME.test(text) ? Date.parse(/(Z|[+-]\d{2}:?\d{2})$/.test(text) ? text : `${text}Z`) : Number.NaN;
  if (Number.isNaN(at)) throw validationFailed("created", `${text} is not a date (YYYY-MM-DD) or a date and time (YYYY-MM-DDTHH:MM:SSZ)`);
  return at;
}

/**
 * GitHub's search date syntax: `2024-01-01`, `>=2024-01-01`, `>2024-01-01`,
 * `<=…`, `<…`, `2024-01-01..2024-02-01`, with `*` for an open end of a range.
 */
function parseCreatedRange(value: string): { from?: string; to?: string } {
  const text = value.trim();
  const iso = (ms: number) => new Date(ms).toISOString();
  const range = /^(.+?)\.\.(.+)$/.exec(text);
  if (range) {
    const [, a, b] = range as unknown as [string, string, string];
    return { ...(a === "*" ? {} : { from: iso(instantOf(a, "start")) }), ...(b === "*" ? {} : { to: iso(instantOf(b, "end")) }) };
  }
  const cmp = /^(>=|<=|>|<)(.+)$/.exec(text);
  if (cmp) {
    const [, op, date] = cmp as unknown as [string, string, string];
    if (op === ">=") return { from: iso(instantOf(date, "start")) };
    if (op === ">") return { from: iso(instantOf(date, "end") + 1) };
    if (op === "<=") return { to: iso(instantOf(date, "end")) };
    return { to: iso(instantOf(date, "start") - 1) };
  }
  return { from: iso(instantOf(text, "start")), to: iso(instantOf(text, "end")) };
}

/** The store filter for a run list's query; `checkSuiteId` when the list is of that one run. */
function runFilterOf(query: Record<string, string | undefined>): RunFilter & { checkSuiteId?: number } {
  const q = query;
  if (q.status !== undefined && !STATUS_FILTERS.has(q.status)) throw validationFailed("status", `one of ${[...STATUS_FILTERS].join(", ")}`);
  if (q.exclude_pull_requests !== undefined && !["true", "false"].includes(q.exclude_pull_requests)) throw validationFailed("exclude_pull_requests", "true or false");
  let checkSuiteId: number | undefined;
  if (q.check_suite_id !== undefined) {
    if (!/^\d{1,15}$/.test(q.check_suite_id)) throw validationFailed("check_suite_id", "a check suite id");
    checkSuiteId = Number(q.check_suite_id);
  }
  const created = q.created === undefined || q.created === "" ? {} : parseCreatedRange(q.created);
  return {
    ...pageOf(q),
    status: q.status as never,
    branch: q.branch,
    event: q.event,
    actor: q.actor,
    headSha: q.head_sha,
    ...(created.from ? { createdFrom: created.from } : {}),
    ...(created.to ? { createdTo: created.to } : {}),
    ...(checkSuiteId === undefined ? {} : { checkSuiteId }),
  };
}

/** Whether one run passes a filter (for the one-run list `check_suite_id` makes). */
function passes(run: WorkflowRun, f: RunFilter): boolean {
  const status = f.status as string | undefined;
  if (status !== undefined && run.status !== status && run.conclusion !== status) return false;
  if (f.branch !== undefined && run.headBranch !== f.branch) return false;
  if (f.event !== undefined && run.event !== f.event) return false;
  if (f.actor !== undefined && run.actor !== f.actor) return false;
  if (f.headSha !== undefined && run.headSha !== f.headSha) return false;
  if (f.workflowFile !== undefined && run.workflowFile !== f.workflowFile) return false;
  if (f.createdFrom !== undefined && run.createdAt < String(f.createdFrom)) return false;
  if (f.createdTo !== undefined && run.createdAt > String(f.createdTo)) return false;
  return true;
}

/** One page of a repository's runs under the query's filters (and one workflow's, when given). */
export async function listRunsPage(
  ctx: Pick<RouteContext, "store">,
  repositoryIds: number[],
  query: Record<string, string | undefined>,
  workflowFile?: string,
): Promise<{ totalCount: number; items: WorkflowRun[] }> {
  const { checkSuiteId, ...filter } = runFilterOf(query);
  if (checkSuiteId !== undefined) {
    const run = await ctx.store.getRun(checkSuiteId);
    const hit = run && repositoryIds.includes(run.repositoryId) && passes(run, { ...filter, workflowFile });
    return { totalCount: hit ? 1 : 0, items: hit && filter.page === 1 ? [run] : [] };
  }
  const where = repositoryIds.length === 1 ? { repositoryId: repositoryIds[0] } : { repositoryIds };
  return ctx.store.listRuns({ ...filter, ...where, workflowFile });
}

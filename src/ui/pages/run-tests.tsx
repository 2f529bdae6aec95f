/**
 * The Tests tab of a run page: the test results the run's jobs reported
 * (`slipway/test-report`), as the server keeps them per attempt. Totals
 * first, then the cases failed first with their message and a collapsible
 * stack, filtered by outcome and searched by name, class or file (the API's
 * `status` and `q`), a page at a time. The tab shows only when the attempt
 * has results; opened without any, it says so.
 */
import { useEffect, useRef, useState, type CSSProperties } from "react";
import { ApiError, requestText } from "../api/client.js";
import type { TestCase, TestResults, TestTotals } from "../api/types.js";
import { ErrorBanner, Empty, Loading } from "../components/feedback.js";
import { StatusIcon, type State } from "../components/status.js";
import { formatDuration } from "../core/format.js";
import { Link, useLocation } from "../core/router.js";
import { useApi } from "../core/use-api.js";

type StatusFilter = "" | "failed" | "passed" | "skipped" | "flaky";

const PER_PAGE = 50;
const SEARCH_DELAY_MS = 300;
const FILTERS: Array<{ value: StatusFilter; label: string; count: (t: TestTotals) => number }> = [
  { value: "", label: "All", count: (t) => t.total },
  { value: "failed", label: "Failed", count: (t) => t.failed + t.errors },
  { value: "passed", label: "Passed", count: (t) => t.passed },
  { value: "skipped", label: "Skipped", count: (t) => t.skipped },
  { value: "flaky", label: "Flaky", count: (t) => t.flaky },
];

/** Long messages and stacks wrap inside the card instead of widening a phone's page. */
const TEXT_BLOCK: CSSProperties = { whiteSpace: "pre-wrap", overflowWrap: "anywhere", margin: "6px 0 0", maxHeight: 320, overflow: "auto", padding: 8, background: "var(--surface-2)", borderRadius: 6 };

function loadResults(repo: string, runId: number, params: Record<string, string | number | undefined>, signal?: AbortSignal): Promise<TestResults> {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "") q.set(k, String(v));
  const path = `/repos/${repo.split("/").map(encodeURIComponent).join("/")}/actions/runs/${runId}/test-results?${q.toString()}`;
  return requestText(path, { signal }).then((text) => JSON.parse(text) as TestResults);
}

function formatTestDuration(ms: number | null): string {
  if (ms === null) return "";
  return ms < 1000 ? `${Math.round(ms)} ms` : formatDuration(ms);
}

function stateOfCase(c: TestCase): State {
  if (c.result === "failed" || c.result === "error") return "failure";
  return c.result === "skipped" ? "skipped" : "success";
}

/**
 * The attempt's totals, or null when it has none (or the server keeps no
 * results): asked with one case a page, polled while the run is live since
 * the runner sends results as its jobs finish.
 */
export function useTestTotals(repo: string, runId: number, attempt: number | undefined, live: boolean): TestTotals | null {
  const totals = useApi(
    async (signal) => {
      try {
        const answer = await loadResults(repo, runId, { attempt, per_page: 1 }, signal);
        return answer.totals.total > 0 ? answer.totals : null;
      } catch (e) {
        if (e instanceof ApiError && e.kind === "not-found") return null;
        throw e;
      }
    },
    [repo, runId, attempt],
    { pollMs: live ? 5000 : false },
  );
  return totals.data ?? null;
}

/** "Jobs" and "Tests" above the run's body; absent while the attempt has no test results. */
export function RunTabs({ totals }: { totals: TestTotals | null }) {
  const { path, search } = useLocation();
  const onTests = search.get("tab") === "tests";
  if (!totals && !onTests) return null;
  const to = (tab: string | undefined) => {
    const next = new URLSearchParams(search);
    if (tab) next.set("tab", tab);
    else next.delete("tab");
    const s = next.toString();
    return `${path}${s ? `?${s}` : ""}`;
  };
  const failing = totals ? totals.failed + totals.errors : 0;
  return (
    <nav className="tabs" aria-label="Run views" style={{ borderBottom: "1px solid var(--border)", marginBottom: 16 }}>
      <Link to={to(undefined)} className={`tab${onTests ? "" : " active"}`} aria-current={onTests ? undefined : "page"}>
        Jobs
      </Link>
      <Link to={to("tests")} className={`tab${onTests ? " active" : ""}`} aria-current={onTests ? "page" : undefined} data-testid="tests-tab">
        Tests
        {totals && (
          <span className="count" title={failing ? `${failing} failed of ${totals.total}` : `${totals.total} tests`}>
            {failing ? `${failing} failed` : totals.total}
          </span>
        )}
      </Link>
    </nav>
  );
}

function Totals({ totals }: { totals: TestTotals }) {
  const parts: Array<[string, number]> = [
    ["passed", totals.passed],
    ["failed", totals.failed + totals.errors],
    ["skipped", totals.skipped],
    ["flaky", totals.flaky],
  ];
  return (
    <div className="btn-row small" data-testid="test-totals" style={{ alignItems: "center", marginBottom: 12 }}>
      <strong>{totals.total} tests</strong>
      {parts.map(([label, n]) => (
        <span key={label} className="chip" data-total={label}>
          {n} {label}
        </span>
      ))}
      {totals.errors > 0 && <span className="muted">({totals.errors} errored)</span>}
      <span className="muted duration">{formatTestDuration(totals.duration_ms)}</span>
    </div>
  );
}

function CaseRow({ c }: { c: TestCase }) {
  const failed = c.result === "failed" || c.result === "error";
  const where = c.file ? `${c.file}${c.line !== null ? `:${c.line}` : ""}` : c.classname;
  return (
    <li data-testid="test-case" data-result={c.result} style={{ padding: "10px 12px", borderTop: "1px solid var(--border)", minWidth: 0 }}>
      <div style={{ display: "flex", gap: 8, alignItems: "baseline", minWidth: 0 }}>
        <StatusIcon state={stateOfCase(c)} />
        <div style={{ flex: "1 1 auto", minWidth: 0 }}>
          <div style={{ fontWeight: 600, overflowWrap: "anywhere" }}>
            <span data-testid="test-case-name">{c.name}</span>
            {c.flaky && <span className="chip" style={{ marginLeft: 6 }}>flaky</span>}
            {c.muted && <span className="chip" style={{ marginLeft: 6 }} title="The test is muted: its failure did not fail the job">muted</span>}
            {c.result === "error" && <span className="chip" style={{ marginLeft: 6 }}>error</span>}
          </div>
          {where && <div className="muted small" style={{ overflowWrap: "anywhere" }}>{where}</div>}
        </div>
        <span className="muted small duration" style={{ flex: "none" }}>
          {formatTestDuration(c.duration_ms)}
        </span>
      </div>
      {c.message && (failed || c.flaky) && (
        <pre style={TEXT_BLOCK} data-testid="test-case-message">
          {c.message}
        </pre>
      )}
      {c.stack && (
        <details style={{ marginTop: 6 }}>
          <summary className="small">Stack trace</summary>
          <pre style={TEXT_BLOCK} data-testid="test-case-stack">
            {c.stack}
          </pre>
        </details>
      )}
      {c.output && (
        <details style={{ marginTop: 6 }}>
          <summary className="small">Output</summary>
          <pre style={TEXT_BLOCK}>{c.output}</pre>
        </details>
      )}
    </li>
  );
}

/** The tab's body: totals, filter and search, and the cases a page at a time. */
export function RunTests({ repo, runId, attempt, totals }: { repo: string; runId: number; attempt: number | undefined; totals: TestTotals | null }) {
  const [status, setStatus] = useState<StatusFilter>("");
  const [typed, setTyped] = useState("");
  const [q, setQ] = useState("");
  const [pages, setPages] = useState(1);
  const [more, setMore] = useState<{ cases: TestCase[]; loading: boolean; error?: ApiError }>({ cases: [], loading: false });

  useEffect(() => {
    const id = window.setTimeout(() => setQ(typed.trim()), SEARCH_DELAY_MS);
    return () => window.clearTimeout(id);
  }, [typed]);

  const first = useApi((signal) => loadResults(repo, runId, { attempt, status, q, per_page: PER_PAGE }, signal), [repo, runId, attempt, status, q]);
  // Pages past the first belong to one query: a change of filter drops them, and an answer for an older query is ignored.
  const query = `${repo} ${runId} ${attempt} ${status} ${q}`;
  const current = useRef(query);
  current.current = query;
  useEffect(() => {
    setPages(1);
    setMore({ cases: [], loading: false });
  }, [query]);

  const loadMore = async () => {
    const asked = query;
    const page = pages + 1;
    setMore((m) => ({ ...m, loading: true, error: undefined }));
    try {
      const answer = await loadResults(repo, runId, { attempt, status, q, per_page: PER_PAGE, page });
      if (current.current !== asked) return;
      setMore((m) => ({ cases: [...m.cases, ...answer.test_cases], loading: false }));
      setPages(page);
    } catch (e) {
      if (current.current !== asked) return;
      setMore((m) => ({ ...m, loading: false, error: e instanceof ApiError ? e : new ApiError("server", (e as Error).message, 0) }));
    }
  };

  const shownTotals = totals ?? first.data?.totals;
  if (!shownTotals) return first.error ? <ErrorBanner error={first.error} onRetry={first.reload} what="test results" /> : <Loading label="Loading test results" />;
  if (shownTotals.total === 0) {
    return (
      <Empty title="No test results">
        This attempt reported no tests. A job reports them with <code>slipway/test-report</code>.
      </Empty>
    );
  }
  const cases = first.data ? [...first.data.test_cases, ...more.cases] : [];
  const remaining = first.data ? first.data.total_count - cases.length : 0;

  return (
    <section className="run-tests" aria-labelledby="tests-title" data-testid="run-tests" style={{ minWidth: 0 }}>
      <h2 id="tests-title" className="visually-hidden">
        Tests
      </h2>
      <Totals totals={shownTotals} />
      <div className="filters" style={{ alignItems: "center" }}>
        <div className="btn-row" role="group" aria-label="Show tests">
          {FILTERS.map((f) => (
            <button
              key={f.value || "all"}
              type="button"
              className={`btn btn-small${status === f.value ? " btn-primary" : ""}`}
              aria-pressed={status === f.value}
              onClick={() => setStatus(f.value)}
            >
              {f.label} {f.count(shownTotals)}
            </button>
          ))}
        </div>
        <label style={{ flex: "1 1 180px", minWidth: 0 }}>
          <span className="visually-hidden">Search tests</span>
          <input type="search" placeholder="Search by name, class or file" value={typed} onChange={(e) => setTyped(e.target.value)} style={{ width: "100%" }} />
        </label>
      </div>
      {first.error && <ErrorBanner error={first.error} onRetry={first.reload} what="test results" />}
      {!first.data ? (
        !first.error && <Loading label="Loading test results" />
      ) : cases.length === 0 ? (
        <p className="muted" data-testid="no-test-cases">
          No tests match.
        </p>
      ) : (
        <ul className="card" style={{ listStyle: "none", margin: 0, padding: 0, overflow: "hidden" }} aria-busy={first.loading}>
          {cases.map((c) => (
            <CaseRow key={c.id} c={c} />
          ))}
        </ul>
      )}
      {more.error && <ErrorBanner error={more.error} onRetry={() => void loadMore()} what="more test results" />}
      {remaining > 0 && (
        <div className="pager">
          <button type="button" className="btn" disabled={more.loading} onClick={() => void loadMore()}>
            {more.loading ? "Loading…" : `Load more (${remaining} more)`}
          </button>
        </div>
      )}
    </section>
  );
}

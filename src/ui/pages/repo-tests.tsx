/**
 * The repository's Tests page: flaky tests (a commit saw them pass and fail
 * within the window) ranked by the CI time they cost, each with its state
 * (enabled, muted, skipped) that writers change here; a test opens to its
 * recent executions and its state changes (who, when, why). Below, every
 * test whose state is set, so a muted test that stopped flaking stays in
 * sight.
 */
import { useState } from "react";
import { ApiError, requestText } from "../api/client.js";
import type { FlakyTest, FlakyTests, TestDetail, TestSettings, TestStateName } from "../api/types.js";
import { ErrorBanner, Empty, Loading, Notice } from "../components/feedback.js";
import { formatDuration, formatRelative, shortSha } from "../core/format.js";
import { Link } from "../core/router.js";
import { useApi } from "../core/use-api.js";

interface StateList {
  total_count: number;
  tests: Array<{ test_id: string; classname: string; name: string; state: TestStateName; set_by: "auto" | "manual"; reason: string | null; updated_by: string | null; updated_at: string | null }>;
}

const STATES: TestStateName[] = ["enabled", "muted", "skipped"];

function repoPath(repo: string): string {
  return `/repos/${repo.split("/").map(encodeURIComponent).join("/")}`;
}

async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  return JSON.parse(await requestText(path, { signal })) as T;
}

function testTitle(t: { classname: string; name: string }): string {
  return t.classname !== "" && !t.name.startsWith(t.classname) ? `${t.classname} › ${t.name}` : t.name;
}

function StateSelect({ value, label, onChange }: { value: TestStateName; label: string; onChange: (state: TestStateName) => void }) {
  return (
    <select className="input" aria-label={`State of ${label}`} value={value} onChange={(e) => onChange(e.target.value as TestStateName)} data-testid="test-state">
      {STATES.map((s) => (
        <option key={s} value={s}>
          {s}
        </option>
      ))}
    </select>
  );
}

function TestHistory({ repo, testId }: { repo: string; testId: string }) {
  const detail = useApi((signal) => getJson<TestDetail>(`${repoPath(repo)}/tests/${testId}`, signal), [repo, testId]);
  if (detail.error) return <ErrorBanner error={detail.error} onRetry={detail.reload} what="the test's history" />;
  if (!detail.data) return <Loading />;
  const d = detail.data;
  return (
    <div className="test-history" data-testid="test-history" style={{ display: "grid", gap: 12, padding: "8px 0" }}>
      <div>
        <strong>Recent executions</strong>
        <ul className="plain-list" style={{ listStyle: "none", padding: 0, margin: "4px 0 0" }}>
          {d.executions.slice(0, 20).map((e) => (
            <li key={`${e.job_id}-${e.run_attempt}-${e.created_at}`} data-testid="test-execution">
              <span>{e.flaky ? "passed after a retry" : e.result}</span>
              {" · "}
              <Link to={`/${repo}/actions/runs/${e.run_id}?tab=tests`}>
                run {e.run_id}, attempt {e.run_attempt}
              </Link>
              {" · "}
              <code>{shortSha(e.head_sha)}</code> {e.head_branch ?? ""} · {formatRelative(e.created_at)}
            </li>
          ))}
        </ul>
      </div>
      <div>
        <strong>State changes</strong>
        {d.changes.length === 0 ? (
          <div className="muted small">Never changed: the test is enabled.</div>
        ) : (
          <ul style={{ listStyle: "none", padding: 0, margin: "4px 0 0" }}>
            {d.changes.map((c) => (
              <li key={`${c.created_at}-${c.state}`} data-testid="test-state-change">
                {c.previous_state} → <strong>{c.state}</strong> by {c.set_by === "auto" ? "Slipway" : (c.actor ?? "someone")} {formatRelative(c.created_at)}
                {c.reason && <span className="muted"> — {c.reason}</span>}
              </li>
            ))}
          </ul>
        )}
      </div>
    </div>
  );
}

function FlakyRow({ repo, test, open, onToggle, onState }: { repo: string; test: FlakyTest; open: boolean; onToggle: () => void; onState: (state: TestStateName) => void }) {
  const title = testTitle(test);
  return (
    <>
      <tr data-testid="flaky-test">
        <td style={{ overflowWrap: "anywhere" }}>
          <button type="button" className="btn btn-plain btn-small" aria-expanded={open} onClick={onToggle}>
            {open ? "▾" : "▸"} <span data-testid="flaky-test-name">{title}</span>
          </button>
        </td>
        <td data-testid="time-lost">{formatDuration(test.time_lost_ms)}</td>
        <td>{test.flaky_commits}</td>
        <td>{Math.round(test.flake_rate * 100)}%</td>
        <td>{formatRelative(test.last_flake_at)}</td>
        <td>
          <StateSelect value={test.state} label={title} onChange={onState} />
        </td>
      </tr>
      {open && (
        <tr>
          <td colSpan={6}>
            <TestHistory repo={repo} testId={test.test_id} />
          </td>
        </tr>
      )}
    </>
  );
}

export function TestsPage({ repo }: { repo: string }) {
  const flaky = useApi((signal) => getJson<FlakyTests>(`${repoPath(repo)}/test-results/flaky?per_page=100`, signal), [repo], { pollMs: 30_000 });
  const states = useApi((signal) => getJson<StateList>(`${repoPath(repo)}/tests?per_page=100`, signal), [repo]);
  const settings = useApi((signal) => getJson<TestSettings>(`${repoPath(repo)}/test-results/settings`, signal), [repo]);
  const [open, setOpen] = useState<string>();
  const [error, setError] = useState<string>();
  const [changed, setChanged] = useState(0);

  const setState = async (testId: string, state: TestStateName) => {
    setError(undefined);
    try {
      await requestText(`${repoPath(repo)}/tests/${testId}/state`, { method: "PUT", body: { state } });
      flaky.reload();
      states.reload();
      setChanged((n) => n + 1);
    } catch (e) {
      setError((e as ApiError).message);
    }
  };

  const stateSet = (states.data?.tests ?? []).filter((t) => t.state !== "enabled");
  return (
    <section aria-labelledby="tests-title">
      <div className="section-head">
        <h2 id="tests-title">Flaky tests</h2>
        {settings.data && (
          <span className="muted small" data-testid="test-settings">
            last {settings.data.window_days} days · automatic muting {settings.data.auto_mute ? `on, recovery after ${settings.data.recover_after_passes} passes` : "off"}
          </span>
        )}
      </div>
      {error && <Notice tone="error">{error}</Notice>}
      {flaky.error && <ErrorBanner error={flaky.error} onRetry={flaky.reload} what="flaky tests" />}
      {flaky.loading && !flaky.data && <Loading />}
      {flaky.data?.tests.length === 0 && <Empty title="No flaky tests">A test is flaky when one commit saw it pass and fail: a retry in the run, or a re-run of its job.</Empty>}
      {flaky.data && flaky.data.tests.length > 0 && (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Test</th>
                <th scope="col">Time lost</th>
                <th scope="col">Flaky commits</th>
                <th scope="col">Flake rate</th>
                <th scope="col">Last flake</th>
                <th scope="col">State</th>
              </tr>
            </thead>
            <tbody>
              {flaky.data.tests.map((t) => (
                <FlakyRow key={`${t.test_id}-${changed}`} repo={repo} test={t} open={open === t.test_id} onToggle={() => setOpen(open === t.test_id ? undefined : t.test_id)} onState={(s) => void setState(t.test_id, s)} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h2 style={{ marginTop: 24 }}>Muted and skipped tests</h2>
      {states.error && <ErrorBanner error={states.error} onRetry={states.reload} what="test states" />}
      {states.data && stateSet.length === 0 && <Empty title="Every test is enabled">A muted test still runs and reports, but its failure does not fail the job; a skipped test is listed for the test step to leave out.</Empty>}
      {stateSet.length > 0 && (
        <ul style={{ listStyle: "none", padding: 0 }}>
          {stateSet.map((t) => (
            <li key={t.test_id} data-testid="test-state-row" style={{ display: "flex", gap: 8, alignItems: "center", flexWrap: "wrap", padding: "4px 0" }}>
              <span style={{ overflowWrap: "anywhere", flex: "1 1 16rem" }}>{testTitle(t)}</span>
              <span className="muted small">
                {t.set_by === "auto" ? "by Slipway" : `by ${t.updated_by ?? "someone"}`} {formatRelative(t.updated_at)}
                {t.reason ? ` — ${t.reason}` : ""}
              </span>
              <StateSelect value={t.state} label={testTitle(t)} onChange={(s) => void setState(t.test_id, s)} />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

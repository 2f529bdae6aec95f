/**
 * A job's steps with their logs: each step expands to its lines; `::group::`
 * blocks collapse; a step's opening `Run …` group (its script, shell and env)
 * is its header; every line has a `#L<n>` link and, when asked, a time stamp;
 * search expands what it finds; annotations list errors and warnings with
 * file:line.
 */
import { Fragment, useEffect, useMemo, useRef, useState, type KeyboardEvent } from "react";
import type { Job, Step } from "../api/types.js";
import { elapsed } from "../core/format.js";
import { groupLines, searchLines, type LogAnnotation, type LogLine, type LogNode } from "../core/log-parse.js";
import type { JobLog } from "../core/use-job-log.js";
import { useLocation } from "../core/router.js";
import { useNow } from "../core/use-api.js";
import { useStoredFlag } from "../core/use-stored-flag.js";
import { AnsiText } from "./ansi-text.js";
import { StatusIcon, stateLabel, stateOf } from "./status.js";

/** Lines of one step rendered at once; beyond this the DOM grows slow. */
const MAX_RENDERED_LINES = 5000;

/** Where "Show timestamps" is remembered. */
const TIMESTAMPS_KEY = "slipway.log.timestamps";

function lineFromHash(hash: string): number | undefined {
  const m = /^#L(\d+)$/.exec(hash);
  return m ? Number(m[1]) : undefined;
}

/**
 * A line's time: its own when the log carries one (a GitHub-style raw log),
 * else `fallback`, the start of its step, the closest time the server gives.
 */
function LineTime({ line, fallback }: { line: LogLine; fallback?: string | null }) {
  const iso = line.timestamp ?? fallback ?? undefined;
  const date = iso ? new Date(iso) : undefined;
  if (!iso || !date || Number.isNaN(date.getTime())) return <span className="lts" />;
  return (
    <time className="lts" dateTime={iso} title={line.timestamp ? date.toLocaleString() : `${date.toLocaleString()} (step start)`}>
      {date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" })}
    </time>
  );
}

/** Time stamps on or off, and the time shown for lines that carry none. */
interface TimeOptions {
  showTimes: boolean;
  fallbackTime?: string | null;
}

const LineView = ({ line, current, selected, showTimes, fallbackTime }: { line: LogLine; current: boolean; selected: boolean } & TimeOptions) => (
  <div id={`L${line.n}`} className={`log-line k-${line.kind}${current ? " hit-current" : ""}${selected ? " selected" : ""}`} data-line={line.n}>
    <a className="ln" href={`#L${line.n}`} aria-label={`Line ${line.n}`} tabIndex={-1} title={line.timestamp}>
      {line.n}
    </a>
    {showTimes && <LineTime line={line} fallback={fallbackTime} />}
    <span className="lt">
      {line.kind === "error" && <span className="tag tag-error">Error: </span>}
      {line.kind === "warning" && <span className="tag tag-warning">Warning: </span>}
      {line.kind === "notice" && <span className="tag tag-notice">Notice: </span>}
      <AnsiText text={line.text} />
    </span>
  </div>
);

interface NodesProps extends TimeOptions {
  open: Set<number>;
  toggle: (n: number) => void;
  hitSet: Set<number>;
  current?: number;
  selected?: number;
}

function NodesView({ nodes, open, toggle, hitSet, current, selected, ...times }: { nodes: LogNode[] } & NodesProps) {
  return (
    <>
      {nodes.map((node) => {
        if (node.type === "line") return <LineView key={node.line.n} line={node.line} current={current === node.line.n} selected={selected === node.line.n} {...times} />;
        const n = node.header.n;
        const containsTarget = node.lines.some((l) => hitSet.has(l.n) || l.n === selected);
        const expanded = open.has(n) || containsTarget;
        return (
          <Fragment key={n}>
            <div id={`L${n}`} className={`log-line k-group${selected === n ? " selected" : ""}`}>
              <a className="ln" href={`#L${n}`} tabIndex={-1} aria-label={`Line ${n}`}>
                {n}
              </a>
              {times.showTimes && <LineTime line={node.header} fallback={times.fallbackTime} />}
              <button type="button" className="group-toggle" aria-expanded={expanded} onClick={() => toggle(n)}>
                <span className="chevron" aria-hidden="true">
                  ▸
                </span>
                <AnsiText text={node.header.text} />
              </button>
            </div>
            {expanded &&
              node.lines.map((line) => <LineView key={line.n} line={line} current={current === line.n} selected={selected === line.n} {...times} />)}
          </Fragment>
        );
      })}
    </>
  );
}

/** GitHub opens a step's log with a `Run …` group: the script, then `shell:` and `env:` lines. */
function isRunHeader(node: LogNode | undefined, firstLine: LogLine | undefined): node is LogNode & { type: "group" } {
  return node?.type === "group" && node.header === firstLine && /^Run\s/.test(node.header.text);
}

function StepSection({ step, lines, expanded, onToggle, now, ...rest }: {
  step: Step;
  lines: LogLine[];
  expanded: boolean;
  onToggle: () => void;
  now: number;
} & NodesProps) {
  const state = stateOf(step.status, step.conclusion);
  const [showAll, setShowAll] = useState(false);
  // Very long steps render their tail only, unless asked or a link or search hit points earlier.
  const hidden = lines.length > MAX_RENDERED_LINES && !showAll ? lines.length - MAX_RENDERED_LINES : 0;
  const targetHidden = hidden > 0 && lines.slice(0, hidden).some((l) => l.n === rest.selected || rest.hitSet.has(l.n));
  const shown = hidden > 0 && !targetHidden ? lines.slice(hidden) : lines;
  const nodes = useMemo(() => groupLines(shown), [shown]);
  const header = isRunHeader(nodes[0], lines[0]) ? nodes[0] : undefined;
  return (
    <section className={`step s-${state}`} data-testid="step" data-step={step.number} data-state={state}>
      <h3 className="step-head">
        <button type="button" aria-expanded={expanded} onClick={onToggle} className="step-toggle">
          <span className="chevron" aria-hidden="true">
            ▸
          </span>
          <StatusIcon state={state} />
          <span className="step-name">{step.name}</span>
          <span className="visually-hidden">, {stateLabel(state)}</span>
          <span className="step-duration muted">{elapsed(step.started_at, step.completed_at, now)}</span>
        </button>
      </h3>
      {expanded && (
        <div className="log-body" role="region" aria-label={`Log of ${step.name}`}>
          {lines.length === 0 ? (
            <div className="log-empty muted">{step.status === "completed" ? "No output." : step.status === "in_progress" ? "Waiting for output…" : "Not started."}</div>
          ) : (
            <>
              {shown.length < lines.length && (
                <button type="button" className="show-earlier" onClick={() => setShowAll(true)}>
                  Show {lines.length - shown.length} earlier lines
                </button>
              )}
              {header && (
                <div className="step-run-header" data-testid="step-header">
                  <NodesView nodes={[header]} {...rest} />
                </div>
              )}
              <NodesView nodes={header ? nodes.slice(1) : nodes} {...rest} />
            </>
          )}
        </div>
      )}
    </section>
  );
}

/** An annotation as shown: from the server (no log line when the log does not show it) or read from the log. */
export type ShownAnnotation = Omit<LogAnnotation, "logLine" | "step"> & { logLine?: number };

export function Annotations({ annotations }: { annotations: ShownAnnotation[] }) {
  if (annotations.length === 0) return null;
  const errors = annotations.filter((a) => a.level === "error").length;
  const warnings = annotations.filter((a) => a.level === "warning").length;
  return (
    <section className="annotations card" aria-labelledby="annotations-title">
      <h3 id="annotations-title">
        Annotations <span className="muted small">{errors} error{errors === 1 ? "" : "s"}, {warnings} warning{warnings === 1 ? "" : "s"}</span>
      </h3>
      <ul>
        {annotations.map((a, i) => (
          <li key={i} className={`annotation a-${a.level}`} data-testid="annotation">
            <span className={`tag tag-${a.level}`}>{a.level}</span>
            <div>
              {a.file && (
                <code className="where">
                  {a.file}
                  {a.line ? `:${a.line}` : ""}
                  {a.col ? `:${a.col}` : ""}
                </code>
              )}
              {a.title && <strong> {a.title}</strong>}
              <div className="annotation-message">{a.message}</div>
            </div>
            {a.logLine !== undefined && (
              <a href={`#L${a.logLine}`} className="small">
                line {a.logLine}
              </a>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}

export function LogViewer({ job, log, rawUrl }: { job: Job; log: JobLog; rawUrl: string }) {
  const { hash } = useLocation();
  const selected = lineFromHash(hash);
  const model = log.model;
  const running = job.status !== "completed";
  const now = useNow(1000, running);
  const [query, setQuery] = useState("");
  const [hitIndex, setHitIndex] = useState(0);
  const [openGroups, setOpenGroups] = useState(() => new Set<number>());
  const [stepOverride, setStepOverride] = useState(() => new Map<number, boolean>());
  const [follow, setFollow] = useState(true);
  const [showTimes, setShowTimes] = useStoredFlag(TIMESTAMPS_KEY);
  const watched = useRef(new Set<number>());
  const bottomRef = useRef<HTMLDivElement>(null);

  // The model mutates in place; `version` says when it changed.
  const lines = useMemo(() => [...model.lines], [model, log.version]);
  const hits = useMemo(() => searchLines(lines, query), [lines, query]);
  const hitSet = useMemo(() => new Set(hits), [hits]);
  const current = hits.length ? hits[Math.min(hitIndex, hits.length - 1)] : undefined;

  const byStep = useMemo(() => {
    const map = new Map<number, LogLine[]>();
    for (const line of lines) {
      const list = map.get(line.step);
      if (list) list.push(line);
      else map.set(line.step, [line]);
    }
    return map;
  }, [lines]);
  const stepNumbers = new Set(job.steps.map((s) => s.number));
  const orphan = lines.filter((l) => !stepNumbers.has(l.step));

  const toggleGroup = (n: number) =>
    setOpenGroups((prev) => {
      const next = new Set(prev);
      if (next.has(n)) next.delete(n);
      else next.add(n);
      return next;
    });

  const isStepExpanded = (step: Step): boolean => {
    const override = stepOverride.get(step.number);
    if (override !== undefined) return override;
    const stepLines = byStep.get(step.number) ?? [];
    if (selected !== undefined && stepLines.some((l) => l.n === selected)) return true;
    if (hits.length && stepLines.some((l) => hitSet.has(l.n))) return true;
    if (step.status === "in_progress") watched.current.add(step.number);
    // A step watched while it ran stays open after it finishes, so its output does not vanish.
    return step.status === "in_progress" || step.conclusion === "failure" || watched.current.has(step.number);
  };

  // Scroll to the linked line once it exists, and to the current search hit.
  const scrolledTo = useRef<number | undefined>(undefined);
  useEffect(() => {
    const target = current ?? selected;
    if (target === undefined || scrolledTo.current === target) return;
    const el = document.getElementById(`L${target}`);
    if (el) {
      el.scrollIntoView({ block: "center" });
      scrolledTo.current = target;
    }
  }, [current, selected, log.version]);

  useEffect(() => {
    if (follow && running && selected === undefined && !query) bottomRef.current?.scrollIntoView({ block: "end" });
  }, [log.version, follow, running, selected, query]);

  // "/" jumps to the log search, as on GitHub.
  useEffect(() => {
    const onKey = (e: globalThis.KeyboardEvent) => {
      const target = e.target as HTMLElement | null;
      if (e.key !== "/" || e.ctrlKey || e.metaKey || e.altKey || target?.closest("input, textarea, select, [contenteditable]")) return;
      e.preventDefault();
      document.getElementById("log-search")?.focus();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  // Scrolling up to read stops following; the checkbox turns it back on.
  useEffect(() => {
    if (!running) return;
    const onWheel = (e: WheelEvent) => {
      if (e.deltaY < 0) setFollow(false);
    };
    const onKey = (e: globalThis.KeyboardEvent) => {
      if (["PageUp", "ArrowUp", "Home"].includes(e.key) && !(e.target instanceof HTMLInputElement)) setFollow(false);
    };
    window.addEventListener("wheel", onWheel, { passive: true });
    window.addEventListener("keydown", onKey);
    return () => {
      window.removeEventListener("wheel", onWheel);
      window.removeEventListener("keydown", onKey);
    };
  }, [running]);

  const onSearchKey = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === "Enter" && hits.length) {
      e.preventDefault();
      setHitIndex((i) => (e.shiftKey ? (i - 1 + hits.length) % hits.length : (i + 1) % hits.length));
      scrolledTo.current = undefined;
    } else if (e.key === "Escape") {
      setQuery("");
    }
  };

  const streamLabel: Record<JobLog["state"], string> = {
    connecting: "Connecting…",
    live: "Live",
    reconnecting: "Reconnecting…",
    ended: "Complete",
    raw: "Refreshing",
    error: "Log unavailable",
  };

  const common = { open: openGroups, toggle: toggleGroup, hitSet, current, selected, showTimes };

  return (
    <div className="log-viewer" data-testid="log-viewer" data-stream={log.state}>
      <div className="log-toolbar">
        <span className={`stream-state st-${log.state}`} role="status" aria-live="polite">
          {streamLabel[log.state]}
        </span>
        <div className="log-search">
          <label htmlFor="log-search" className="visually-hidden">
            Search the log
          </label>
          <input id="log-search" type="search" placeholder="Search logs (/)" value={query} onChange={(e) => { setQuery(e.target.value); setHitIndex(0); scrolledTo.current = undefined; }} onKeyDown={onSearchKey} />
          {query && (
            <span className="muted small" aria-live="polite" data-testid="search-count">
              {hits.length ? `${Math.min(hitIndex, hits.length - 1) + 1} of ${hits.length}` : "no matches"}
            </span>
          )}
        </div>
        <label className="follow small">
          <input type="checkbox" checked={showTimes} onChange={(e) => setShowTimes(e.target.checked)} /> Show timestamps
        </label>
        {running && (
          <label className="follow small">
            <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} /> Follow
          </label>
        )}
        <a className="btn btn-small" href={rawUrl} download={`job-${job.id}.log`}>
          Download log
        </a>
      </div>
      {log.error && <div className="banner banner-warn">{log.error}</div>}
      <div className="log-steps">
        {!log.perStep && job.steps.length > 0 && (
          <ul className="step-list-compact">
            {job.steps.map((step) => {
              const st = stateOf(step.status, step.conclusion);
              return (
                <li key={step.number} data-testid="step" data-state={st}>
                  <StatusIcon state={st} /> {step.name} <span className="muted">{elapsed(step.started_at, step.completed_at, now)}</span>
                </li>
              );
            })}
          </ul>
        )}
        {orphan.length > 0 && (
          <section className="step">
            <div className="log-body" role="region" aria-label="Job log">
              <NodesView nodes={groupLines(orphan)} {...common} fallbackTime={job.started_at} />
            </div>
          </section>
        )}
        {log.perStep &&
          job.steps.map((step) => (
            <StepSection
              key={step.number}
              step={step}
              lines={byStep.get(step.number) ?? []}
              expanded={isStepExpanded(step)}
              onToggle={() => setStepOverride((prev) => new Map(prev).set(step.number, !isStepExpanded(step)))}
              now={now}
              {...common}
              fallbackTime={step.started_at}
            />
          ))}
        <div ref={bottomRef} />
      </div>
    </div>
  );
}

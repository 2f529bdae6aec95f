/**
 * The run's jobs as a graph, left to right: one card per workflow job in the
 * column of its dependency depth (matrix legs listed, expandable, inside
 * their job's card) and a curve for every `needs` edge. The layout comes
 * from core/graph-layout.ts; cards are positioned by CSS variables so that a
 * narrow screen can drop the positions and show the same cards as a
 * vertical list, where the "needs …" line (always there for screen readers)
 * becomes visible. Arrow keys move focus to the nearest job in their
 * direction.
 */
import { useState, type CSSProperties, type KeyboardEvent } from "react";
import type { Job } from "../api/types.js";
import { groupJobs, type JobGroup } from "../core/job-groups.js";
import { layoutGraph } from "../core/graph-layout.js";
import { elapsed } from "../core/format.js";
import { Link } from "../core/router.js";
import { StatusIcon, stateLabel, stateOf, type State } from "./status.js";

/** Card geometry, in pixels; styles.css sizes the cards from the same numbers (via --h). */
const NODE_WIDTH = 236;
const HEADER_HEIGHT = 42;
const LEG_HEIGHT = 32;
const LIST_PADDING = 8;
/** A matrix with up to this many legs starts expanded. */
const EXPAND_UP_TO = 4;

const STATE_ORDER = ["failure", "in_progress", "queued", "waiting", "cancelled", "success", "skipped", "neutral"] as const;

function groupState(jobs: Job[]): State {
  const states = jobs.map((j) => stateOf(j.status, j.conclusion));
  for (const s of STATE_ORDER) if (states.includes(s)) return s;
  return "neutral";
}

function groupElapsed(jobs: Job[], now: number): string {
  const starts = jobs.map((j) => j.started_at).filter((s): s is string => !!s);
  if (starts.length === 0) return "";
  const start = starts.reduce((a, b) => (Date.parse(a) <= Date.parse(b) ? a : b));
  const done = jobs.every((j) => j.status === "completed");
  const end = done ? jobs.map((j) => j.completed_at ?? start).reduce((a, b) => (Date.parse(a) >= Date.parse(b) ? a : b)) : null;
  return elapsed(start, end, now);
}

/** "3 succeeded · 1 failed": the run's jobs counted by state, for the graph's heading. */
function stateCounts(jobs: Job[]): string {
  const counts = new Map<State, number>();
  for (const j of jobs) {
    const s = stateOf(j.status, j.conclusion);
    counts.set(s, (counts.get(s) ?? 0) + 1);
  }
  return STATE_ORDER.filter((s) => counts.has(s))
    .map((s) => `${counts.get(s)} ${stateLabel(s).toLowerCase()}`)
    .join(" · ");
}

/** Moves focus to the nearest focusable job in the arrow's direction. */
function moveFocus(event: KeyboardEvent<HTMLElement>): void {
  const dir = { ArrowRight: [1, 0], ArrowLeft: [-1, 0], ArrowDown: [0, 1], ArrowUp: [0, -1] }[event.key];
  const from = event.target as HTMLElement;
  if (!dir || event.altKey || event.ctrlKey || event.metaKey || !from.matches("[data-graph-focus]")) return;
  const centre = (el: HTMLElement) => {
    const r = el.getBoundingClientRect();
    return { x: r.left + r.width / 2, y: r.top + r.height / 2, visible: r.width > 0 && r.height > 0 };
  };
  const here = centre(from);
  const [dx, dy] = dir as [number, number];
  let best: { el: HTMLElement; score: number } | undefined;
  for (const el of event.currentTarget.querySelectorAll<HTMLElement>("[data-graph-focus]")) {
    if (el === from) continue;
    const c = centre(el);
    if (!c.visible) continue;
    const along = (c.x - here.x) * dx + (c.y - here.y) * dy;
    const across = Math.abs((c.x - here.x) * dy) + Math.abs((c.y - here.y) * dx);
    if (along <= 4) continue;
    const score = along + across * 2;
    if (!best || score < best.score) best = { el, score };
  }
  if (best) {
    event.preventDefault();
    best.el.focus();
    best.el.scrollIntoView({ block: "nearest", inline: "nearest" });
  }
}

function JobLink({ job, href, selected, now, className }: { job: Job; href: string; selected: boolean; now: number; className: string }) {
  const s = stateOf(job.status, job.conclusion);
  return (
    <Link
      to={href}
      className={`job-link ${className}${selected ? " active" : ""}`}
      aria-current={selected ? "page" : undefined}
      data-testid="job-link"
      data-state={s}
      data-graph-focus=""
    >
      {/* The state is read once, after the name. */}
      <span className="graph-icon" aria-hidden="true">
        <StatusIcon state={s} />
      </span>
      <span className="job-name" title={job.name}>
        {job.name}
      </span>
      <span className="visually-hidden">, {stateLabel(s)},</span>
      <span className="job-duration">{elapsed(job.started_at, job.completed_at, now)}</span>
    </Link>
  );
}

export function JobGraph({ jobs, repo, runId, selectedJobId, now, query = "" }: { jobs: Job[]; repo: string; runId: number; selectedJobId?: number; now: number; query?: string }) {
  const groups = groupJobs(jobs);
  const [expandedByUser, setExpandedByUser] = useState<Record<string, boolean>>({});
  const [hovered, setHovered] = useState<string>();
  const selectedGroup = groups.find((g) => g.jobs.some((j) => j.id === selectedJobId))?.key;
  const isMatrix = (g: JobGroup) => g.jobs.length > 1 || g.jobs.some((j) => j.matrix);
  const isExpanded = (g: JobGroup) => expandedByUser[g.key] ?? (g.jobs.length <= EXPAND_UP_TO || g.key === selectedGroup);
  const heightOf = (g: JobGroup) => (isMatrix(g) ? HEADER_HEIGHT + (isExpanded(g) ? g.jobs.length * LEG_HEIGHT + LIST_PADDING : 0) : HEADER_HEIGHT);

  const layout = layoutGraph(
    groups.map((g) => ({ id: g.key, needs: g.needs, height: heightOf(g), port: HEADER_HEIGHT / 2 })),
    { nodeWidth: NODE_WIDTH },
  );
  const byKey = new Map(groups.map((g) => [g.key, g]));
  const position = new Map(layout.nodes.map((n) => [n.id, n]));
  const titleOf = (key: string) => byKey.get(key)?.title ?? key;
  const focusKey = hovered ?? selectedGroup;
  const hrefOf = (job: Job) => `/${repo}/actions/runs/${runId}/job/${job.id}${query}`;
  const hasIn = new Set(layout.edges.map((e) => e.to));
  const hasOut = new Set(layout.edges.map((e) => e.from));

  return (
    <nav className="job-graph" aria-label="Jobs" onKeyDown={moveFocus} data-testid="job-graph">
      <div className="graph-head">
        <h2>Jobs</h2>
        <span className="muted small">{stateCounts(jobs)}</span>
      </div>
      <div className="graph-scroll">
        <div className="graph-canvas" style={{ "--w": `${layout.width}px`, "--h": `${layout.height}px` } as CSSProperties}>
          <svg className="graph-edges" width={layout.width} height={layout.height} viewBox={`0 0 ${layout.width} ${layout.height}`} aria-hidden="true" focusable="false">
            {layout.edges.map((e) => (
              <path
                key={`${e.from}->${e.to}`}
                d={e.path}
                className={`graph-edge${focusKey && (e.from === focusKey || e.to === focusKey) ? " is-active" : ""}`}
                data-testid="graph-edge"
                data-from={e.from}
                data-to={e.to}
              />
            ))}
            {layout.nodes.map((n) => (
              <g key={n.id} className={`graph-ports${n.id === focusKey ? " is-active" : ""}`}>
                {hasIn.has(n.id) && <circle cx={n.x} cy={n.y + HEADER_HEIGHT / 2} r={3.5} />}
                {hasOut.has(n.id) && <circle cx={n.x + n.width} cy={n.y + HEADER_HEIGHT / 2} r={3.5} />}
              </g>
            ))}
          </svg>
          {layout.stages.flat().map((key) => {
            const g = byKey.get(key)!;
            const p = position.get(key)!;
            const state = groupState(g.jobs);
            const matrix = isMatrix(g);
            const expanded = isExpanded(g);
            const listId = `graph-legs-${runId}-${key}`;
            const style = { "--x": `${p.x}px`, "--y": `${p.y}px`, "--h": `${p.height}px`, "--node-w": `${p.width}px` } as CSSProperties;
            return (
              <div
                className={`graph-node s-${state}${key === selectedGroup ? " is-selected" : ""}${matrix ? " is-matrix" : ""}`}
                key={key}
                style={style}
                data-testid="job-group"
                data-key={key}
                data-stage={p.stage}
                onMouseEnter={() => setHovered(key)}
                onMouseLeave={() => setHovered(undefined)}
              >
                {matrix ? (
                  <>
                    <button
                      type="button"
                      className="graph-group-title"
                      aria-expanded={expanded}
                      aria-controls={listId}
                      data-graph-focus=""
                      onClick={() => setExpandedByUser((m) => ({ ...m, [key]: !expanded }))}
                    >
                      <span className="chevron" aria-hidden="true">
                        ›
                      </span>
                      <span className="graph-icon" aria-hidden="true">
                        <StatusIcon state={state} />
                      </span>
                      <span className="job-name">{g.title}</span>
                      <span className="visually-hidden">, {stateLabel(state)},</span>
                      <span className="graph-legs-count">{g.jobs.length} legs</span>
                      <span className="job-duration">{groupElapsed(g.jobs, now)}</span>
                    </button>
                    <ul id={listId} className="graph-legs" hidden={!expanded}>
                      {g.jobs.map((job) => (
                        <li key={job.id}>
                          <JobLink job={job} href={hrefOf(job)} selected={selectedJobId === job.id} now={now} className="graph-leg" />
                        </li>
                      ))}
                    </ul>
                  </>
                ) : (
                  <JobLink job={g.jobs[0]!} href={hrefOf(g.jobs[0]!)} selected={selectedJobId === g.jobs[0]!.id} now={now} className="graph-job" />
                )}
                {g.needs.length > 0 && <div className="needs">needs {g.needs.map(titleOf).join(", ")}</div>}
              </div>
            );
          })}
        </div>
      </div>
    </nav>
  );
}

/**
 * DORA's metrics of a repository for a chosen environment and period, each
 * with the performance tier the server computed (2024 clusters), and a
 * weekly trend of deployments and failures drawn as a small SVG bar chart.
 */
import { useState } from "react";
import { api } from "../api/client.js";
import type { DoraBucket, DoraTier } from "../api/types.js";
import { ErrorBanner, Loading } from "../components/feedback.js";
import { useApi } from "../core/use-api.js";

const DAY = 86_400_000;
const PERIODS = [7, 30, 90] as const;

function formatSeconds(s: number | null): string {
  if (s === null) return "—";
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  if (s < 86_400) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86_400).toFixed(1)} d`;
}

function formatRate(rate: number | null): string {
  return rate === null ? "—" : `${Math.round(rate * 1000) / 10}%`;
}

function Tier({ tier }: { tier: DoraTier }) {
  if (!tier) return <span className="chip dora-tier dora-none" data-testid="dora-tier">not enough data</span>;
  return (
    <span className={`chip dora-tier dora-${tier}`} data-testid="dora-tier" data-tier={tier}>
      {tier[0]!.toUpperCase() + tier.slice(1)}
    </span>
  );
}

function Metric({ name, value, detail, tier }: { name: string; value: string; detail: string; tier?: DoraTier }) {
  return (
    <div className="dora-metric" data-testid="dora-metric" data-metric={name}>
      <div className="small muted">{name}</div>
      <div className="dora-value" data-testid="dora-value">
        {value}
      </div>
      <div className="small muted">{detail}</div>
      {tier !== undefined && <Tier tier={tier} />}
    </div>
  );
}

/** Deployments per week as bars, the failed part of each bar in the failure colour. */
function TrendChart({ series }: { series: DoraBucket[] }) {
  const width = 320;
  const height = 96;
  const gap = 6;
  const max = Math.max(1, ...series.map((b) => b.deployments + b.failed));
  const bar = (width - gap * (series.length - 1)) / Math.max(1, series.length);
  const total = series.reduce((n, b) => n + b.deployments, 0);
  return (
    <figure className="dora-trend" data-testid="dora-trend">
      <svg viewBox={`0 0 ${width} ${height + 16}`} role="img" aria-label={`Deployments per week: ${series.map((b) => b.deployments).join(", ")}`}>
        {series.map((b, i) => {
          const x = i * (bar + gap);
          const ok = (b.deployments / max) * height;
          const bad = (b.failed / max) * height;
          const label = `Week from ${b.since.slice(0, 10)}: ${b.deployments} deployment${b.deployments === 1 ? "" : "s"}, ${b.failed} failed`;
          return (
            <g key={b.since} data-testid="dora-bar">
              <title>{label}</title>
              <rect x={x} y={height - ok - bad} width={bar} height={bad} className="dora-bar-failed" />
              <rect x={x} y={height - ok} width={bar} height={ok} className="dora-bar-ok" />
              <rect x={x} y={height} width={bar} height={1} className="dora-axis" />
              <text x={x + bar / 2} y={height + 13} textAnchor="middle" className="dora-label">
                {b.since.slice(5, 10)}
              </text>
            </g>
          );
        })}
      </svg>
      <figcaption className="small muted">
        {total} deployment{total === 1 ? "" : "s"} over {series.length} week{series.length === 1 ? "" : "s"}; failed ones in red.
      </figcaption>
    </figure>
  );
}

export function DoraSection({ repo, environments }: { repo: string; environments: string[] }) {
  const [environment, setEnvironment] = useState(environments.find((e) => e.toLowerCase() === "production") ?? environments[0] ?? "");
  const [days, setDays] = useState<number>(30);
  const dora = useApi(
    (signal) => {
      const until = Date.now();
      return api.getDora(repo, { environment, since: new Date(until - days * DAY).toISOString(), until: new Date(until).toISOString(), bucket: "week" }, signal);
    },
    [repo, environment, days],
  );
  const d = dora.data;
  return (
    <section className="card dora" aria-labelledby="dora-title" data-testid="dora">
      <div className="dora-head">
        <h2 id="dora-title">DORA metrics</h2>
        <div className="dora-controls">
          <label>
            <span className="small">Environment</span>{" "}
            <select value={environment} onChange={(e) => setEnvironment(e.target.value)}>
              <option value="">All environments</option>
              {environments.map((e) => (
                <option key={e} value={e}>
                  {e}
                </option>
              ))}
            </select>
          </label>
          <label>
            <span className="small">Period</span>{" "}
            <select value={days} onChange={(e) => setDays(Number(e.target.value))}>
              {PERIODS.map((p) => (
                <option key={p} value={p}>
                  Last {p} days
                </option>
              ))}
            </select>
          </label>
        </div>
      </div>
      {dora.error && <ErrorBanner error={dora.error} onRetry={dora.reload} what="DORA metrics" />}
      {!d ? (
        <Loading label="Computing DORA metrics" />
      ) : (
        <>
          <div className="dora-grid">
            <Metric
              name="Deployment frequency"
              value={`${d.deployment_frequency.per_week.toFixed(1)} / week`}
              detail={`${d.deployment_frequency.deployments} deployments, ${d.deployment_frequency.rollbacks} rollbacks`}
              tier={d.deployment_frequency.tier}
            />
            <Metric name="Change lead time" value={formatSeconds(d.lead_time.median_seconds)} detail={`median of ${d.lead_time.changes} changes; p90 ${formatSeconds(d.lead_time.p90_seconds)}`} tier={d.lead_time.tier} />
            <Metric name="Change fail rate" value={formatRate(d.change_fail_rate.rate)} detail={`${d.change_fail_rate.failed} of ${d.change_fail_rate.deployments} deployments failed or rolled back`} tier={d.change_fail_rate.tier} />
            <Metric name="Recovery time" value={formatSeconds(d.recovery_time.median_seconds)} detail={`median; ${d.recovery_time.recovered} of ${d.recovery_time.failures} failures recovered`} tier={d.recovery_time.tier} />
            <Metric name="Rework rate" value={formatRate(d.rework_rate.rate)} detail={`${d.rework_rate.rework} rollbacks of ${d.rework_rate.deployments} deployments`} />
          </div>
          {d.series && d.series.length > 0 && <TrendChart series={d.series} />}
          <p className="small muted">Tiers follow DORA&apos;s {d.tiers_from} performance clusters.</p>
        </>
      )}
    </section>
  );
}

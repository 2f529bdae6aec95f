/**
 * A deployment's rollouts on the Environments page: each `slipway/rollout`
 * (or `slipway/verify`) step with its steps, the current one marked, its
 * status and weight, a small SVG chart per metric (one point per
 * measurement, coloured by phase), and the Promote, Promote full, Pause,
 * Resume and Abort buttons the server says the signed-in user may use now.
 */
import { useState } from "react";
import { ApiError, api } from "../api/client.js";
import type { Rollout, RolloutMeasurement } from "../api/types.js";
import { Notice } from "../components/feedback.js";
import { useApi } from "../core/use-api.js";

const POLL_MS = 2000;
const PHASE_COLOUR: Record<RolloutMeasurement["phase"], string> = { Successful: "#1a7f37", Failed: "#cf222e", Inconclusive: "#9a6700", Error: "#8250df" };
const ACTION_LABEL = { promote: "Promote", promote_full: "Promote full", pause: "Pause", resume: "Resume", abort: "Abort" } as const;

function stepLabel(step: Rollout["steps"][number]): string {
  if (step.kind === "setWeight") return `setWeight ${step.weight}%`;
  if (step.kind === "pause") return step.duration_ms === null ? "pause until promoted" : `pause ${step.duration_ms / 1000}s`;
  return `analysis: ${step.metrics.join(", ")}`;
}

/** The first number in a measured value (a number, a Prometheus vector, an HTTP check's latency). */
function numeric(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (Array.isArray(value)) return numeric(value[0]);
  if (value !== null && typeof value === "object") {
    const v = value as Record<string, unknown>;
    return numeric(v.latencyMs ?? v.canary);
  }
  return undefined;
}

function MetricChart({ metric, points }: { metric: string; points: RolloutMeasurement[] }) {
  const width = 220;
  const height = 60;
  const values = points.map((p) => numeric(p.value) ?? 0);
  const min = Math.min(...values);
  const max = Math.max(...values);
  const span = max - min || 1;
  const x = (i: number) => (points.length === 1 ? width / 2 : 6 + (i * (width - 12)) / (points.length - 1));
  const y = (v: number) => height - 6 - ((v - min) / span) * (height - 12);
  return (
    <figure className="rollout-chart" data-testid="metric-chart" data-metric={metric}>
      <figcaption className="small">
        {metric} <span className="muted">({points.length} measurements)</span>
      </figcaption>
      <svg width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label={`${metric}: ${points.map((p) => p.phase).join(", ")}`}>
        <polyline fill="none" stroke="#8c959f" strokeWidth="1" points={values.map((v, i) => `${x(i)},${y(v)}`).join(" ")} />
        {values.map((v, i) => (
          <circle key={i} cx={x(i)} cy={y(v)} r="3.5" fill={PHASE_COLOUR[points[i]!.phase]} data-phase={points[i]!.phase}>
            <title>{`${points[i]!.phase} ${JSON.stringify(points[i]!.value)} at ${points[i]!.time}`}</title>
          </circle>
        ))}
      </svg>
    </figure>
  );
}

function RolloutCard({ repo, rollout, onChanged }: { repo: string; rollout: Rollout; onChanged: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const byMetric = new Map<string, RolloutMeasurement[]>();
  for (const m of rollout.measurements) byMetric.set(m.metric, [...(byMetric.get(m.metric) ?? []), m]);
  const send = async (action: Rollout["allowed"][number]) => {
    setBusy(true);
    setError(undefined);
    try {
      await api.commandRollout(repo, rollout.deployment_id!, rollout.id, action === "promote_full" ? "promote" : action, action === "promote_full");
      onChanged();
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="rollout" data-testid="rollout" data-status={rollout.status}>
      <div className="rollout-head">
        <strong>{rollout.kind === "rollout" ? `Rollout through ${rollout.target ?? "?"}` : "Analysis"}</strong> <span className="chip" data-testid="rollout-status">{rollout.status}</span>{" "}
        {rollout.kind === "rollout" && <span data-testid="rollout-weight">canary {rollout.weight}%</span>}
        {rollout.message && <span className="muted small"> · {rollout.message}</span>}
      </div>
      {rollout.kind === "rollout" && (
        <ol className="rollout-steps">
          {rollout.steps.map((s, i) => (
            <li key={i} data-testid="rollout-step" aria-current={i === rollout.current_step ? "step" : undefined} className={i === rollout.current_step ? "current" : undefined}>
              {stepLabel(s)}
            </li>
          ))}
        </ol>
      )}
      {byMetric.size > 0 && (
        <div className="rollout-charts">
          {[...byMetric].map(([metric, points]) => (
            <MetricChart key={metric} metric={metric} points={points} />
          ))}
        </div>
      )}
      {rollout.allowed.length > 0 && rollout.deployment_id !== null && (
        <div className="rollout-actions">
          {rollout.allowed.map((a) => (
            <button key={a} type="button" className={`btn btn-small${a === "abort" ? " btn-danger" : ""}`} disabled={busy} onClick={() => void send(a)}>
              {ACTION_LABEL[a]}
            </button>
          ))}
        </div>
      )}
      {error && <Notice tone="error">{error}</Notice>}
    </div>
  );
}

export function DeploymentRollouts({ repo, deploymentId }: { repo: string; deploymentId: number }) {
  const rollouts = useApi((signal) => api.listRollouts(repo, deploymentId, signal), [repo, deploymentId], { pollMs: POLL_MS });
  const list = rollouts.data ?? [];
  if (list.length === 0) return null;
  return (
    <div className="rollouts" data-testid="deployment-rollouts" data-deployment={deploymentId}>
      {list.map((r) => (
        <RolloutCard key={r.id} repo={repo} rollout={r} onChanged={rollouts.reload} />
      ))}
    </div>
  );
}

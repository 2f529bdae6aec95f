/** Run, job and step state as an icon plus an accessible label. */
import type { Conclusion, RunStatus } from "../api/types.js";

export type State = "success" | "failure" | "cancelled" | "skipped" | "in_progress" | "queued" | "waiting" | "neutral";

export function stateOf(status: RunStatus | string, conclusion: Conclusion | string | null): State {
  if (status === "completed") {
    switch (conclusion) {
      case "success":
        return "success";
      case "failure":
      case "timed_out":
      case "startup_failure":
        return "failure";
      case "cancelled":
        return "cancelled";
      case "skipped":
        return "skipped";
      default:
        return "neutral";
    }
  }
  if (status === "in_progress") return "in_progress";
  if (status === "waiting" || status === "action_required") return "waiting";
  return "queued";
}

const LABEL: Record<State, string> = {
  success: "Succeeded",
  failure: "Failed",
  cancelled: "Cancelled",
  skipped: "Skipped",
  in_progress: "In progress",
  queued: "Queued",
  waiting: "Waiting",
  neutral: "Completed",
};

export function stateLabel(state: State): string {
  return LABEL[state];
}

export function StatusIcon({ state, size = 16 }: { state: State; size?: number }) {
  const common = { width: size, height: size, viewBox: "0 0 16 16", className: `status-icon s-${state}`, role: "img", "aria-label": LABEL[state] } as const;
  switch (state) {
    case "success":
      return (
        <svg {...common}>
          <circle cx="8" cy="8" r="7.25" fill="currentColor" />
          <path d="M4.8 8.3l2.1 2.1 4.3-4.6" stroke="var(--on-status)" strokeWidth="1.6" fill="none" strokeLinecap="round" strokeLinejoin="round" />
        </svg>
      );
    case "failure":
      return (
        <svg {...common}>
          <circle cx="8" cy="8" r="7.25" fill="currentColor" />
          <path d="M5.5 5.5l5 5m0-5l-5 5" stroke="var(--on-status)" strokeWidth="1.6" strokeLinecap="round" />
        </svg>
      );
    case "cancelled":
      return (
        <svg {...common}>
          <circle cx="8" cy="8" r="7.25" fill="currentColor" />
          <path d="M4.7 11.3l6.6-6.6" stroke="var(--on-status)" strokeWidth="1.6" strokeLinecap="round" />
        </svg>
      );
    case "skipped":
    case "neutral":
      return (
        <svg {...common}>
          <circle cx="8" cy="8" r="6.5" stroke="currentColor" strokeWidth="1.5" fill="none" />
          <path d="M4.5 8h7" stroke="currentColor" strokeWidth="1.5" strokeLinecap="round" />
        </svg>
      );
    case "in_progress":
      return (
        <svg {...common}>
          <circle cx="8" cy="8" r="6.5" stroke="currentColor" strokeOpacity="0.25" strokeWidth="2" fill="none" />
          <path d="M8 1.5a6.5 6.5 0 0 1 6.5 6.5" stroke="currentColor" strokeWidth="2" fill="none" strokeLinecap="round" className="spin" />
        </svg>
      );
    default:
      return (
        <svg {...common}>
          <circle cx="8" cy="8" r="6.5" stroke="currentColor" strokeWidth="1.5" fill="none" strokeDasharray="2.6 2" />
        </svg>
      );
  }
}

/**
 * GitHub's "Review deployments" panel on a run page: the environments the run
 * waits for, and for a reviewer, approve or reject some of them with a
 * comment (`POST …/runs/{run_id}/pending_deployments`). Renders nothing when
 * the run waits for no environment.
 */
import { useEffect, useState } from "react";
import { ApiError, api } from "../api/client.js";
import type { PendingDeployment } from "../api/types.js";
import { Notice } from "../components/feedback.js";
import { formatRelative } from "../core/format.js";
import { useApi } from "../core/use-api.js";

const POLL_MS = 3000;

function reviewerNames(pending: PendingDeployment): string {
  const names = pending.reviewers.map((r) => r.reviewer.login ?? `user ${r.reviewer.id}`);
  if (names.length === 0) return "no required reviewers";
  const count = pending.required_approvals > 1 ? `${pending.required_approvals} approvals from ` : "";
  return `${count}${names.join(", ")}`;
}

export function ReviewDeployments({ repo, runId, active, onReviewed }: { repo: string; runId: number; active: boolean; onReviewed: () => void }) {
  const pending = useApi((signal) => api.listPendingDeployments(repo, runId, signal), [repo, runId], { pollMs: active ? POLL_MS : false });
  const [chosen, setChosen] = useState<Set<number>>(new Set());
  const [comment, setComment] = useState("");
  const [busy, setBusy] = useState<"approved" | "rejected">();
  const [message, setMessage] = useState<{ tone: "success" | "error"; text: string }>();
  const list = pending.data ?? [];
  const reviewable = list.filter((p) => p.current_user_can_approve);

  // Every environment the user may review starts chosen, as on GitHub.
  const reviewableKey = reviewable.map((p) => p.environment.id).join(",");
  useEffect(() => setChosen(new Set(reviewable.map((p) => p.environment.id))), [reviewableKey]);

  if (list.length === 0) {
    return message ? (
      <div data-testid="review-result">
        <Notice tone={message.tone}>{message.text}</Notice>
      </div>
    ) : null;
  }

  const review = async (state: "approved" | "rejected") => {
    setBusy(state);
    setMessage(undefined);
    try {
      const ids = [...chosen];
      await api.reviewPendingDeployments(repo, runId, ids, state, comment);
      const names = list.filter((p) => ids.includes(p.environment.id)).map((p) => p.environment.name);
      setMessage({ tone: "success", text: `${state === "approved" ? "Approved" : "Rejected"} the deployment to ${names.join(", ")}.` });
      setComment("");
      pending.reload();
      onReviewed();
    } catch (e) {
      setMessage({ tone: "error", text: (e as ApiError).message });
    } finally {
      setBusy(undefined);
    }
  };

  return (
    <section className="card review-deployments" aria-labelledby="review-deployments-title" data-testid="review-deployments">
      <h2 id="review-deployments-title" className="review-title">
        Review deployments
      </h2>
      <p className="muted small">This run waits for {list.length === 1 ? "an environment" : "these environments"} before its deployment jobs may start.</p>
      <ul className="review-list">
        {list.map((p) => (
          <li key={p.environment.id} data-testid="pending-environment" data-environment={p.environment.name}>
            <label className="review-env">
              <input
                type="checkbox"
                disabled={!p.current_user_can_approve}
                checked={chosen.has(p.environment.id)}
                onChange={(e) => {
                  const next = new Set(chosen);
                  if (e.target.checked) next.add(p.environment.id);
                  else next.delete(p.environment.id);
                  setChosen(next);
                }}
              />
              <strong>{p.environment.name}</strong>
            </label>
            <span className="muted small">
              {" "}
              waiting since {formatRelative(p.wait_timer_started_at)} · {reviewerNames(p)}
              {p.wait_timer > 0 && <> · wait timer {p.wait_timer} min</>}
              {!p.current_user_can_approve && <> · you cannot review this one</>}
            </span>
          </li>
        ))}
      </ul>
      {reviewable.length > 0 ? (
        <>
          <label className="review-comment">
            <span className="small">Comment</span>
            <textarea value={comment} onChange={(e) => setComment(e.target.value)} rows={2} placeholder="Leave a comment (recorded with the review)" />
          </label>
          <div className="btn-row">
            <button type="button" className="btn btn-primary" disabled={!!busy || chosen.size === 0} onClick={() => review("approved")}>
              {busy === "approved" ? "Approving…" : "Approve and deploy"}
            </button>
            <button type="button" className="btn btn-danger-plain" disabled={!!busy || chosen.size === 0} onClick={() => review("rejected")}>
              {busy === "rejected" ? "Rejecting…" : "Reject"}
            </button>
          </div>
        </>
      ) : (
        <p className="small muted">You are not a reviewer of {list.length === 1 ? "this environment" : "these environments"}.</p>
      )}
      {message && (
        <div data-testid="review-result">
          <Notice tone={message.tone}>{message.text}</Notice>
        </div>
      )}
    </section>
  );
}

/** Error, empty and loading states shared by pages. */
import type { ReactNode } from "react";
import type { ApiError } from "../api/client.js";

export function ErrorBanner({ error, onRetry, what }: { error: ApiError | Error; onRetry?: () => void; what?: string }) {
  const kind = "kind" in error ? (error as ApiError).kind : "server";
  const hint = "hint" in error ? (error as ApiError).hint : undefined;
  const title =
    kind === "offline"
      ? "Cannot reach the Slipway server"
      : kind === "forbidden"
        ? "You do not have access"
        : kind === "not-found"
          ? `${what ?? "This page"} was not found`
          : `Could not load ${what ?? "this page"}`;
  return (
    <div className={`banner banner-${kind === "offline" ? "warn" : "error"}`} role="alert">
      <div>
        <strong>{title}.</strong> <span>{error.message}</span>
        {hint && <div className="banner-hint">{hint}</div>}
      </div>
      {onRetry && (
        <button type="button" className="btn btn-small" onClick={onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <h3>{title}</h3>
      {children && <div className="muted">{children}</div>}
    </div>
  );
}

export function Loading({ label = "Loading" }: { label?: string }) {
  return (
    <div className="loading" role="status" aria-live="polite">
      <span className="skeleton" />
      <span className="skeleton short" />
      <span className="visually-hidden">{label}…</span>
    </div>
  );
}

export function Notice({ children, tone = "info" }: { children: ReactNode; tone?: "info" | "success" | "error" }) {
  return (
    <div className={`banner banner-${tone}`} role={tone === "error" ? "alert" : "status"}>
      <div>{children}</div>
    </div>
  );
}

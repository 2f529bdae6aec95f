/**
 * A repository's deployment environments: for each, the current deployment
 * (commit, who, when, its URL), a summary of its protection rules, the
 * deployments waiting or running (with a way to review them on their run's
 * page), and the history newest first, where an earlier successful
 * deployment can be rolled back to after a confirmation. DORA's metrics
 * follow the environments.
 */
import { useState, type ReactNode } from "react";
import { ApiError, api } from "../api/client.js";
import type { Deployment, DeploymentState, EnvironmentDetail } from "../api/types.js";
import { Empty, ErrorBanner, Loading, Notice } from "../components/feedback.js";
import { formatRelative, shortSha } from "../core/format.js";
import { Link } from "../core/router.js";
import { useApi } from "../core/use-api.js";
import { DoraSection } from "./dora.js";
import { DeploymentRollouts } from "./deployment-rollouts.js";

const POLL_MS = 5000;
const HISTORY = 30;
const ACTIVE: readonly DeploymentState[] = ["waiting", "pending", "queued", "in_progress"];

const STATE_LABEL: Record<DeploymentState, string> = {
  success: "Active",
  inactive: "Inactive",
  failure: "Failed",
  error: "Error",
  waiting: "Waiting",
  pending: "Pending",
  queued: "Queued",
  in_progress: "Deploying",
};

function StateChip({ state }: { state: DeploymentState }) {
  return (
    <span className={`chip deploy-state deploy-${state}`} data-testid="deployment-state">
      {STATE_LABEL[state]}
    </span>
  );
}

function isRollback(d: Deployment): boolean {
  return typeof d.payload === "object" && d.payload !== null && (d.payload as { rollback?: unknown }).rollback === true;
}

/** The protection rules in a few words each. */
function describeRules(env: EnvironmentDetail): string[] {
  const out: string[] = [];
  for (const rule of env.protection_rules) {
    if (rule.type === "wait_timer") out.push(`Wait ${rule.wait_timer} min`);
    if (rule.type === "required_reviewers") {
      const names = (rule.reviewers ?? []).map((r) => r.reviewer.login ?? `user ${r.reviewer.id}`);
      const count = env.required_approvals > 1 ? `${env.required_approvals} approvals` : "1 approval";
      out.push(`${count} from ${names.join(", ")}${rule.prevent_self_review ? " (not the run's author)" : ""}`);
    }
  }
  const policy = env.deployment_branch_policy;
  if (policy) out.push(policy.protected_branches ? "Protected branches only" : "Selected branches and tags");
  if (env.deploy_windows.length > 0) out.push(`${env.deploy_windows.length} deploy window${env.deploy_windows.length > 1 ? "s" : ""}`);
  const now = Date.now();
  const freeze = env.freezes.find((f) => Date.parse(f.start) <= now && now < Date.parse(f.end));
  if (freeze) out.push(`Frozen until ${new Date(freeze.end).toLocaleString()}${freeze.reason ? `: ${freeze.reason}` : ""}`);
  else if (env.freezes.length > 0) out.push(`${env.freezes.length} freeze${env.freezes.length > 1 ? "s" : ""} planned`);
  if (env.requires_environment) out.push(`After ${env.requires_environment}`);
  for (const check of env.required_checks ?? []) out.push(`Requires ${check} to pass`);
  const receivers = env.custom_protection_rules?.length ?? 0;
  if (receivers > 0) out.push(`${receivers} protection rule receiver${receivers > 1 ? "s" : ""}`);
  if (env.auto_rollback) out.push("Rolls back automatically on failure");
  if ((env.hotfix_branches ?? []).length > 0) out.push(`Hotfixes from ${env.hotfix_branches.join(", ")}`);
  if (env.supersede) out.push("Newer deployments replace waiting ones");
  if (env.skip_reviewers_on_rollback) out.push("Rollbacks skip reviewers");
  if (!env.can_admins_bypass) out.push("Admins cannot bypass");
  return out;
}

/** What kind of deployment it is, when it is not an ordinary one: a rollback, an unplanned fix (DORA's rework). */
function DeploymentChips({ d }: { d: Deployment }) {
  return (
    <>
      {isRollback(d) && <span className="chip">rollback</span>}
      {d.rework && (
        <span className="chip" title="An unplanned fix: counted in DORA's rework rate">
          rework
        </span>
      )}
    </>
  );
}

function RunLink({ repo, d, children }: { repo: string; d: Deployment; children: ReactNode }) {
  return d.run_id === null ? <>{children}</> : <Link to={`/${repo}/actions/runs/${d.run_id}${d.job_id === null ? "" : `/job/${d.job_id}`}`}>{children}</Link>;
}

function CurrentDeployment({ repo, current }: { repo: string; current: Deployment | undefined }) {
  if (!current) return <p className="muted small">Nothing deployed yet.</p>;
  return (
    <div className="env-current" data-testid="current-deployment">
      <StateChip state={current.state} /> <code>{shortSha(current.sha)}</code> <span className="chip branch">{current.ref}</span> by {current.creator?.login ?? "unknown"} ·{" "}
      <time dateTime={current.created_at}>{formatRelative(current.created_at)}</time> · <RunLink repo={repo} d={current}>#{current.id}</RunLink>
      {current.environment_url && (
        <>
          {" "}
          ·{" "}
          <a href={current.environment_url} target="_blank" rel="noreferrer noopener" className="env-url" data-testid="environment-url">
            {current.environment_url}
          </a>
        </>
      )}
    </div>
  );
}

function Rollback({ repo, environment, target, onDone }: { repo: string; environment: string; target: Deployment; onDone: (text: string, tone: "success" | "error") => void }) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  if (!confirming) {
    return (
      <button type="button" className="btn btn-small" onClick={() => setConfirming(true)} aria-label={`Roll back ${environment} to deployment ${target.id}`}>
        Roll back
      </button>
    );
  }
  const confirm = async () => {
    setBusy(true);
    try {
      const answer = await api.rollbackEnvironment(repo, environment, target.id);
      onDone(`Rolling back ${environment} to ${shortSha(target.sha)}: run ${answer.run_id}, attempt ${answer.run_attempt}.`, "success");
    } catch (e) {
      onDone((e as ApiError).message, "error");
    } finally {
      setBusy(false);
      setConfirming(false);
    }
  };
  return (
    <span className="rollback-confirm" role="group" aria-label="Confirm rollback">
      <span className="small">
        Redeploy <code>{shortSha(target.sha)}</code> to {environment}?
      </span>{" "}
      <button type="button" className="btn btn-small btn-danger" disabled={busy} onClick={confirm}>
        {busy ? "Starting…" : "Confirm rollback"}
      </button>{" "}
      <button type="button" className="btn btn-small btn-plain" disabled={busy} onClick={() => setConfirming(false)}>
        Cancel
      </button>
    </span>
  );
}

function EnvironmentCard({ repo, env }: { repo: string; env: EnvironmentDetail }) {
  const deployments = useApi((signal) => api.listDeployments(repo, { environment: env.name, per_page: HISTORY }, signal), [repo, env.name], { pollMs: POLL_MS });
  const [message, setMessage] = useState<{ text: string; tone: "success" | "error" }>();
  const list = deployments.data ?? [];
  const current = list.find((d) => d.state === "success");
  const queue = list.filter((d) => ACTIVE.includes(d.state)).reverse();
  const rules = describeRules(env);
  // Earlier successful deployments made by a workflow job can be redeployed.
  const canRollBack = (d: Deployment) => d.state === "inactive" && d.run_id !== null && d.job_id !== null && d !== current;
  return (
    <section className="card env-card" aria-labelledby={`env-${env.id}`} data-testid="environment" data-environment={env.name}>
      <h2 id={`env-${env.id}`} className="env-name">
        {env.name}
      </h2>
      {deployments.error && <ErrorBanner error={deployments.error} onRetry={deployments.reload} what={`deployments of ${env.name}`} />}
      <CurrentDeployment repo={repo} current={current} />
      {current && <DeploymentRollouts repo={repo} deploymentId={current.id} />}
      <div className="env-rules" data-testid="protection-rules">
        {rules.length === 0 ? <span className="muted small">No protection rules: any job may deploy.</span> : rules.map((r) => <span key={r} className="chip">{r}</span>)}
      </div>
      {queue.length > 0 && (
        <div className="env-queue">
          <h3 className="env-sub">Waiting and running</h3>
          <ul className="plain-list">
            {queue.map((d) => (
              <li key={d.id} data-testid="queued-deployment">
                <span className="env-history-main">
                  <StateChip state={d.state} /> <code>{shortSha(d.sha)}</code> by {d.creator?.login ?? "unknown"} · <time dateTime={d.created_at}>{formatRelative(d.created_at)}</time>
                  <DeploymentChips d={d} />
                </span>
                {d.run_id !== null && <Link to={`/${repo}/actions/runs/${d.run_id}`}>{d.state === "waiting" ? "Review on the run" : "Open the run"}</Link>}
                <DeploymentRollouts repo={repo} deploymentId={d.id} />
              </li>
            ))}
          </ul>
        </div>
      )}
      {message && <Notice tone={message.tone}>{message.text}</Notice>}
      <h3 className="env-sub">History</h3>
      {!deployments.data ? (
        <Loading label="Loading deployments" />
      ) : list.length === 0 ? (
        <p className="muted small">No deployments yet.</p>
      ) : (
        <ul className="plain-list env-history">
          {list.map((d) => (
            <li key={d.id} data-testid="deployment-row" data-deployment={d.id} data-state={d.state}>
              <span className="env-history-main">
                <StateChip state={d.state} /> <RunLink repo={repo} d={d}>#{d.id}</RunLink> <code>{shortSha(d.sha)}</code> <span className="chip branch">{d.ref}</span>
                <DeploymentChips d={d} />
              </span>
              <span className="muted small">
                {d.creator?.login ?? "unknown"} · <time dateTime={d.created_at}>{formatRelative(d.created_at)}</time>
              </span>
              {canRollBack(d) && (
                <Rollback
                  repo={repo}
                  environment={env.name}
                  target={d}
                  onDone={(text, tone) => {
                    setMessage({ text, tone });
                    deployments.reload();
                  }}
                />
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

export function EnvironmentsPage({ repo }: { repo: string }) {
  const environments = useApi((signal) => api.listEnvironmentDetails(repo, signal), [repo]);
  if (environments.error && !environments.data) return <ErrorBanner error={environments.error} onRetry={environments.reload} what="environments" />;
  if (!environments.data) return <Loading label="Loading environments" />;
  const list = environments.data.environments;
  return (
    <div className="environments-page">
      {list.length === 0 ? (
        <Empty title="No environments yet">
          A job with <code>environment: production</code> creates its environment when it first runs; protection rules are set with <code>PUT …/environments/NAME</code>.
        </Empty>
      ) : (
        list.map((env) => <EnvironmentCard key={env.id} repo={repo} env={env} />)
      )}
      <DoraSection repo={repo} environments={list.map((e) => e.name)} />
    </div>
  );
}

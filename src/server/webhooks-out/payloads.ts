/**
 * GitHub's JSON for repository webhooks, and the payloads of the events
 * Slipway sends, rendered from a delivery's subject: `ping`, `deployment`,
 * `deployment_status` and `deployment_review` (requested, approved or
 * rejected) with GitHub's fields (the event's object, the workflow run
 * behind it, `repository`, `sender`).
 */
import type { HookDelivery, Repository, RepositoryHook, Store, WorkflowRun } from "../../store/index.js";
import { repoJson, runJson, userJson } from "../json.js";
import { deploymentJson, statusJson } from "../routes/deployments.js";
import type { HookSubject } from "./events.js";

/** Where the API and the web UI are served, for the URLs in payloads. */
export interface PayloadUrls {
  api: string;
  publicUrl: string;
}

/** What a secret is answered as: never itself. */
const REDACTED = "********";

/** The last answer a hook got, as GitHub shows it in `last_response`. */
type LastResponse = { code: number | null; status: string; message: string | null };

/** GitHub's repository webhook object; the secret only as `********`. */
export function hookJson(hook: RepositoryHook, repo: Repository, urls: PayloadUrls, last?: LastResponse): Record<string, unknown> {
  const url = `${urls.api}/repos/${repo.fullName}/hooks/${hook.id}`;
  return {
    type: "Repository",
    id: hook.id,
    name: "web",
    active: hook.active,
    events: hook.events,
    config: { content_type: hook.contentType, insecure_ssl: hook.insecureSsl, url: hook.url, ...(hook.secret ? { secret: REDACTED } : {}) },
    updated_at: hook.updatedAt,
    created_at: hook.createdAt,
    url,
    test_url: `${url}/tests`,
    ping_url: `${url}/pings`,
    deliveries_url: `${url}/deliveries`,
    last_response: last ?? { code: null, status: "unused", message: null },
  };
}

async function senderJson(store: Store, login: string | null): Promise<Record<string, unknown>> {
  const user = login ? await store.getUserByLogin(login) : null;
  if (user) return { ...userJson(user) };
  return { login: login ?? "slipway", id: 0, type: login ? "User" : "Bot" };
}

async function workflowRunJson(store: Store, runId: number | null, repo: Repository, urls: PayloadUrls): Promise<{ run: WorkflowRun | null; json: Record<string, unknown> | null }> {
  const run = runId === null ? null : await store.getRun(runId);
  return { run, json: run ? { ...runJson(run, repo, urls.api, urls.publicUrl) } : null };
}

function workflowJson(run: WorkflowRun | null, repo: Repository, urls: PayloadUrls): Record<string, unknown> | null {
  if (!run) return null;
  return { name: run.workflowName, path: run.workflowFile, url: `${urls.api}/repos/${repo.fullName}/actions/workflows/${encodeURIComponent(run.workflowFile.split("/").pop() ?? run.workflowFile)}` };
}

/**
 * The body of a delivery's event, or null when what it is about is gone (a
 * deleted deployment): such a delivery is not sent.
 */
export async function renderHookPayload(store: Store, delivery: HookDelivery, hook: RepositoryHook, repo: Repository, urls: PayloadUrls): Promise<Record<string, unknown> | null> {
  const subject = delivery.subject as HookSubject;
  const repository = repoJson(repo, urls.api, urls.publicUrl);
  switch (subject.event) {
    case "ping":
      return { zen: "Deploy small, deploy often.", hook_id: hook.id, hook: hookJson(hook, repo, urls), repository, sender: await senderJson(store, null) };
    case "deployment":
    case "deployment_status": {
      const deployment = await store.getDeployment(repo.id, subject.deploymentId);
      if (!deployment) return null;
      const { run, json: workflowRun } = await workflowRunJson(store, deployment.runId, repo, urls);
      const common = { deployment: deploymentJson(deployment, repo, urls.api), workflow: workflowJson(run, repo, urls), workflow_run: workflowRun, repository };
      if (subject.event === "deployment") return { action: "created", ...common, sender: await senderJson(store, deployment.creator) };
      const status = (await store.listDeploymentStatuses(deployment.id)).find((s) => s.id === subject.statusId);
      if (!status) return null;
      return { action: "created", deployment_status: statusJson(status, repo, urls.api), ...common, check_run: null, sender: await senderJson(store, status.creator ?? deployment.creator) };
    }
    case "deployment_protection_rule": {
      const run = await store.getRun(subject.runId);
      const deployment = await store.findJobDeployment(subject.jobId);
      return {
        action: "requested",
        environment: subject.environment,
        event: run?.event ?? "push",
        sha: subject.sha,
        ref: subject.ref,
        deployment_callback_url: `${urls.api}/repos/${repo.fullName}/actions/runs/${subject.runId}/deployment_protection_rule`,
        deployment: deployment ? deploymentJson(deployment, repo, urls.api) : null,
        pull_requests: [],
        repository,
        sender: await senderJson(store, run?.actor ?? null),
      };
    }
    case "deployment_review": {
      const { run, json: workflowRun } = await workflowRunJson(store, subject.runId, repo, urls);
      const gates = run
        ? (await store.listRunGates(run.id)).filter((g) => g.environment.toLowerCase() === subject.environment.toLowerCase() && (subject.action !== "requested" || g.jobId === subject.jobId))
        : [];
      const jobRuns = [];
      for (const gate of gates) {
        const job = await store.getJob(gate.jobId);
        if (!job) continue;
        jobRuns.push({
          id: job.id,
          name: job.name,
          status: job.status,
          conclusion: job.conclusion,
          environment: gate.environment,
          html_url: `${urls.publicUrl}/${repo.fullName}/actions/runs/${gate.runId}`,
          created_at: gate.createdAt,
          updated_at: gate.decidedAt ?? gate.createdAt,
        });
      }
      if (subject.action === "requested") {
        const requestor = await senderJson(store, subject.requestor);
        const reviewers = [];
        for (const r of subject.reviewers) {
          const user = r.type === "User" ? await store.getUser(r.id) : null;
          reviewers.push({ type: r.type, reviewer: user ? userJson(user) : { id: r.id } });
        }
        return {
          action: "requested",
          environment: subject.environment,
          requestor,
          reviewers,
          since: gates[0]?.createdAt ?? delivery.createdAt,
          workflow_job_run: jobRuns[0] ?? null,
          workflow_run: workflowRun,
          repository,
          sender: requestor,
        };
      }
      const approver = await senderJson(store, subject.login);
      return {
        action: subject.action,
        approver,
        comment: subject.comment,
        since: gates[0]?.createdAt ?? delivery.createdAt,
        workflow_job_run: jobRuns[0] ?? null,
        workflow_job_runs: jobRuns,
        workflow_run: workflowRun,
        repository,
        sender: approver,
      };
    }
  }
}

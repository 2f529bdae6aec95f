/**
 * Forge webhooks: signature checks and normalisation of push, tag and
 * pull/merge request deliveries from GitHub, Gitea/Forgejo and GitLab into
 * one trigger shape. Pure functions; the route lives in routes/webhooks.ts.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";

export type WebhookProvider = "github" | "gitea" | "gitlab";

export interface Trigger {
  provider: WebhookProvider;
  deliveryId: string;
  /** `owner/name` as the forge names it. */
  repo: string;
  repositoryId: number;
  /** GitHub's event name: `push` (branches and tags) or `pull_request`. */
  event: "push" | "pull_request";
  /** GitHub's activity type for pull requests (`opened`, `synchronize`, `reopened`, `closed`, ...). */
  action: string | null;
  ref: string;
  sha: string;
  before: string | null;
  payload: Record<string, unknown>;
  /** Paths added, modified or removed, when the forge lists them. */
  changedFiles: string[] | null;
  /** A pull request from another repository: its jobs must not receive secrets. */
  fromFork: boolean;
}

export type Normalised =
  | { kind: "trigger"; trigger: Omit<Trigger, "provider" | "deliveryId" | "repositoryId"> }
  | { kind: "ping" }
  | { kind: "ignored"; reason: string };

const ZERO_SHA = /^0+$/;

function hex(a: string): Buffer | undefined {
  return /^[0-9a-fA-F]+$/.test(a) && a.length % 2 === 0 ? Buffer.from(a, "hex") : undefined;
}

/** GitHub's `X-Hub-Signature-256` value for a body: `sha256=` and the hex HMAC-SHA256 under the secret. */
export function signHmacSha256(body: Buffer | string, secret: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

/** HMAC-SHA256 over the raw body compared in constant time; accepts `sha256=<hex>` or bare hex. */
export function verifyHmacSignature(rawBody: Buffer, secret: string, signature: string | undefined): boolean {
  if (!signature) return false;
  const given = hex(signature.trim().replace(/^sha256=/i, ""));
  const expected = Buffer.from(signHmacSha256(rawBody, secret).slice("sha256=".length), "hex");
  return given !== undefined && given.length === expected.length && timingSafeEqual(given, expected);
}

/** GitLab sends the shared secret itself; compared in constant time. */
function verifySharedToken(secret: string, token: string | undefined): boolean {
  if (token === undefined) return false;
  const a = createHash("sha256").update(secret).digest();
  const b = createHash("sha256").update(token).digest();
  return timingSafeEqual(a, b) && secret.length === token.length;
}

type Headers = Record<string, string | string[] | undefined>;
const header = (h: Headers, name: string): string | undefined => {
  const v = h[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
};

export function signatureValid(provider: WebhookProvider, headers: Headers, rawBody: Buffer, secret: string): boolean {
  switch (provider) {
    case "github":
      return verifyHmacSignature(rawBody, secret, header(headers, "x-hub-signature-256"));
    case "gitea":
      return verifyHmacSignature(
        rawBody,
        secret,
        header(headers, "x-gitea-signature") ?? header(headers, "x-forgejo-signature") ?? header(headers, "x-hub-signature-256"),
      );
    case "gitlab":
      return verifySharedToken(secret, header(headers, "x-gitlab-token"));
  }
}

/** The forge's delivery id, or a digest of the body when the forge sends none (older GitLab). */
export function deliveryIdOf(provider: WebhookProvider, headers: Headers, rawBody: Buffer): string {
  const id =
    provider === "github"
      ? header(headers, "x-github-delivery")
      : provider === "gitea"
        ? (header(headers, "x-gitea-delivery") ?? header(headers, "x-forgejo-delivery") ?? header(headers, "x-github-delivery"))
        : (header(headers, "idempotency-key") ?? header(headers, "x-gitlab-event-uuid") ?? header(headers, "x-gitlab-webhook-uuid"));
  return id && id.length <= 200 ? id : `sha256:${createHash("sha256").update(provider).update(rawBody).digest("hex")}`;
}

export function eventNameOf(provider: WebhookProvider, headers: Headers): string {
  if (provider === "github") return header(headers, "x-github-event") ?? "";
  if (provider === "gitea") return header(headers, "x-gitea-event") ?? header(headers, "x-forgejo-event") ?? header(headers, "x-github-event") ?? "";
  return header(headers, "x-gitlab-event") ?? "";
}

const obj = (v: unknown): Record<string, any> => (v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, any>) : {});
const str = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v : null);

/** The repository full name a payload is about, used to find its webhook secret. */
export function repositoryNameOf(provider: WebhookProvider, payload: Record<string, unknown>): string | null {
  if (provider === "gitlab") return str(obj(payload.project).path_with_namespace);
  return str(obj(payload.repository).full_name);
}

function changedFilesOf(commits: unknown): string[] | null {
  if (!Array.isArray(commits)) return null;
  const files = new Set<string>();
  let listed = false;
  for (const c of commits) {
    for (const key of ["added", "modified", "removed"]) {
      const list = obj(c)[key];
      if (Array.isArray(list)) {
        listed = true;
        for (const f of list) if (typeof f === "string") files.add(f);
      }
    }
  }
  return listed ? [...files].sort() : null;
}

function normalisePush(payload: Record<string, any>, repo: string): Normalised {
  const ref = str(payload.ref);
  const after = str(payload.after) ?? str(payload.checkout_sha);
  if (!ref || !after) return { kind: "ignored", reason: "push without ref or commit" };
  if (ZERO_SHA.test(after) || payload.deleted === true) return { kind: "ignored", reason: `deletion of ${ref} starts no workflow` };
  const before = str(payload.before);
  return {
    kind: "trigger",
    trigger: {
      repo,
      event: "push",
      action: null,
      ref,
      sha: after,
      before: before && !ZERO_SHA.test(before) ? before : null,
      payload,
      changedFiles: changedFilesOf(payload.commits),
      fromFork: false,
    },
  };
}

const GITEA_ACTIONS: Record<string, string> = { synchronized: "synchronize", reopened: "reopened", opened: "opened", closed: "closed", edited: "edited" };

function normalisePullRequest(payload: Record<string, any>, repo: string, provider: WebhookProvider): Normalised {
  const pr = obj(payload.pull_request);
  const head = obj(pr.head);
  const base = obj(pr.base);
  const number = pr.number ?? payload.number;
  const sha = str(head.sha);
  if (!sha || number === undefined) return { kind: "ignored", reason: "pull request without head commit" };
  const headRepo = str(obj(head.repo).full_name);
  const baseRepo = str(obj(base.repo).full_name) ?? repo;
  const rawAction = str(payload.action) ?? "opened";
  return {
    kind: "trigger",
    trigger: {
      repo,
      event: "pull_request",
      action: provider === "gitea" ? (GITEA_ACTIONS[rawAction] ?? rawAction) : rawAction,
      ref: `refs/pull/${number}/merge`,
      sha,
      before: str(base.sha),
      payload,
      changedFiles: null,
      fromFork: headRepo !== null && headRepo !== baseRepo,
    },
  };
}

const GITLAB_MR_ACTIONS: Record<string, string> = { open: "opened", reopen: "reopened", close: "closed", merge: "closed", update: "synchronize" };

function normaliseMergeRequest(payload: Record<string, any>, repo: string): Normalised {
  const mr = obj(payload.object_attributes);
  const sha = str(obj(mr.last_commit).id);
  if (!sha || mr.iid === undefined) return { kind: "ignored", reason: "merge request without last commit" };
  const rawAction = str(mr.action) ?? "open";
  // An update without a new revision changed only the description, labels, ...
  const action = rawAction === "update" && !str(mr.oldrev) ? "edited" : (GITLAB_MR_ACTIONS[rawAction] ?? rawAction);
  return {
    kind: "trigger",
    trigger: {
      repo,
      event: "pull_request",
      action,
      ref: `refs/merge-requests/${mr.iid}/head`,
      sha,
      before: str(mr.oldrev),
      payload,
      changedFiles: null,
      fromFork: mr.source_project_id !== undefined && mr.target_project_id !== undefined && mr.source_project_id !== mr.target_project_id,
    },
  };
}

/** Turns a delivery into a trigger, a ping, or a polite refusal for events Slipway does not run on. */
export function normaliseWebhook(provider: WebhookProvider, event: string, payload: Record<string, unknown>): Normalised {
  const repo = repositoryNameOf(provider, payload);
  if (provider === "gitlab") {
    const kind = str(payload.object_kind) ?? "";
    if (!repo) return { kind: "ignored", reason: "payload names no project" };
    if (event === "Push Hook" || event === "Tag Push Hook" || kind === "push" || kind === "tag_push") return normalisePush(payload, repo);
    if (event === "Merge Request Hook" || kind === "merge_request") return normaliseMergeRequest(payload, repo);
    return { kind: "ignored", reason: `event '${event || kind}' starts no workflow` };
  }
  if (event === "ping") return { kind: "ping" };
  if (!repo) return { kind: "ignored", reason: "payload names no repository" };
  if (event === "push") return normalisePush(payload, repo);
  if (event === "pull_request") return normalisePullRequest(payload, repo, provider);
  return { kind: "ignored", reason: `event '${event}' starts no workflow` };
}

/**
 * Whether an event payload is a pull/merge request from another repository.
 * Decided from the payload itself, so a run created by any path gets the same
 * answer when secrets are handed out.
 */
export function isFromFork(payload: unknown): boolean {
  const p = obj(payload);
  const pr = obj(p.pull_request);
  if (Object.keys(pr).length > 0) {
    const head = str(obj(obj(pr.head).repo).full_name);
    const base = str(obj(obj(pr.base).repo).full_name) ?? str(obj(p.repository).full_name);
    // A head repository that is gone (deleted fork) counts as a fork.
    if (pr.head && obj(pr.head).repo === null) return true;
    return head !== null && base !== null && head !== base;
  }
  const mr = obj(p.object_attributes);
  if (p.object_kind === "merge_request") {
    return mr.source_project_id !== undefined && mr.target_project_id !== undefined && mr.source_project_id !== mr.target_project_id;
  }
  return false;
}

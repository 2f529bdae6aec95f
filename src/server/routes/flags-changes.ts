/**
 * The one path every change of a flag set takes (`applyFlagChange`), and
 * review of changes in environments that require it.
 *
 * An environment with `flag_changes_require_approval` holds each change made
 * through the API, CLI or UI as a pending change (the proposed document, its
 * base version, author and reason) instead of writing it. The environment's
 * deployment reviewers review it with the deployment rules
 * (`required_approvals` of the listed reviewers, `prevent_self_review`, an
 * admin's bypass unless `can_admins_bypass` is false, one rejection closes
 * it). When the approvals suffice the change is written in one transaction,
 * only over the version it was proposed against: a set that changed since
 * answers FLAG_CHANGE_OUTDATED and the author proposes again.
 *
 * The kill switch, a deployment's flags file and a rollout step write at once
 * (`review: "immediate"`): the first is the emergency path, the others were
 * reviewed as deployments.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { SlipwayError } from "../../lib/index.js";
import { assertFlagSet } from "../../flags/index.js";
import { decideGate, type GateReview } from "../../release/index.js";
import type { EnvironmentRecord, FlagChangeRecord, FlagSetRecord, Repository, Store, User } from "../../store/index.js";
import { effectiveRank, ROLE_RANK } from "../auth.js";
import { protectionOf, reviewerUserIds } from "../deployments/protection.js";
import { idParam, type RouteContext } from "../context.js";
import { notFound, validationFailed } from "../http-errors.js";

type Json = Record<string, unknown>;

/** What a change does to the document; `details` go to the audit log beside the environment and version. */
export interface FlagEdit {
  document: Json;
  reason: string | null;
  /** The audit action, e.g. `flags.update`, `flags.flag.update`, `flags.restore`. */
  action: string;
  details: Json;
}

export interface FlagChangeRequest {
  repository: Repository;
  environment: EnvironmentRecord;
  /** Who makes (or proposes) the change: a login, or a name such as `deployment:42`. */
  actor: string;
  /** Builds the next document from the current set (null: never written); throws to refuse. */
  edit: (current: FlagSetRecord | null) => FlagEdit;
  /** `environment`: held for review when the environment requires it; `immediate`: written now. */
  review: "environment" | "immediate";
  requestId?: string;
}

export type FlagChangeOutcome = { state: "applied"; record: FlagSetRecord } | { state: "pending"; change: FlagChangeRecord };

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function flagsOf(document: Json | null): Json {
  return document !== null && isObject(document.flags) ? document.flags : {};
}

/**
 * The flags one document adds, removes or changes against another, each with
 * its before and after (null when absent), and whether the set's other fields
 * ($evaluators, metadata) differ.
 */
export function diffFlagSets(before: Json | null, after: Json): Json {
  const a = flagsOf(before);
  const b = flagsOf(after);
  const flags: Json = {};
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (JSON.stringify(a[key]) !== JSON.stringify(b[key])) flags[key] = { before: a[key] ?? null, after: b[key] ?? null };
  }
  const rest = (d: Json | null) => JSON.stringify(d === null ? {} : { ...d, flags: undefined });
  return { flags, set_fields_changed: rest(before) !== rest(after) };
}

function sourceOf(repository: Repository, environment: EnvironmentRecord): string {
  return `flag set of ${repository.fullName} environment ${environment.name}`;
}

/**
 * Makes one change of an environment's flag set: validated, versioned and
 * audited in one transaction and announced to streams, or, when the
 * environment requires review and `review` is `environment`, validated and
 * held as a pending change.
 */
export async function applyFlagChange(store: Store, request: FlagChangeRequest): Promise<FlagChangeOutcome> {
  const { repository, environment } = request;
  const source = sourceOf(repository, environment);
  const audit = (edit: FlagEdit, version: number): { action: string; target: string; details: Json } => ({
    action: edit.action,
    target: `repo:${repository.fullName}`,
    details: { environment: environment.name, version, reason: edit.reason, ...edit.details, ...(request.requestId ? { request_id: request.requestId } : {}) },
  });
  if (request.review === "environment" && (await store.getFlagSettings(environment.id)).requireApproval) {
    const current = await store.getFlagSet(environment.id);
    const edit = request.edit(current);
    assertFlagSet(edit.document, source);
    const change = await store.createFlagChange({
      environmentId: environment.id,
      baseVersion: current?.version ?? 0,
      document: edit.document,
      action: edit.action,
      details: edit.details,
      reason: edit.reason,
      author: request.actor,
    });
    const entry = audit(edit, current?.version ?? 0);
    await store.appendAudit({ actor: request.actor, action: "flags.change.propose", target: entry.target, details: { ...entry.details, change: change.id, proposed_action: edit.action } });
    return { state: "pending", change };
  }
  const { after } = await store.changeFlagSet(environment.id, request.actor, (current) => {
    const edit = request.edit(current);
    assertFlagSet(edit.document, source);
    return { document: edit.document, reason: edit.reason, audit: audit(edit, (current?.version ?? 0) + 1) };
  });
  return { state: "applied", record: after };
}

/**
 * Writes an approved change over the version it was proposed against, in one
 * transaction that also marks it applied; a set that moved on closes it as
 * outdated and answers FLAG_CHANGE_OUTDATED.
 */
async function writeApprovedChange(store: Store, repository: Repository, environment: EnvironmentRecord, change: FlagChangeRecord, approvedBy: string[]): Promise<FlagSetRecord> {
  try {
    const { after } = await store.changeFlagSet(environment.id, change.author, (current) => {
      const version = current?.version ?? 0;
      if (version !== change.baseVersion) {
        throw new SlipwayError("FLAG_CHANGE_OUTDATED", `Change ${change.id} of the flag set of environment ${environment.name} was proposed against version ${change.baseVersion}; the set is at version ${version} now`);
      }
      assertFlagSet(change.document, sourceOf(repository, environment));
      return {
        document: change.document,
        reason: change.reason,
        appliesChange: change.id,
        audit: {
          action: change.action,
          target: `repo:${repository.fullName}`,
          details: { environment: environment.name, version: version + 1, reason: change.reason, ...change.details, change: change.id, proposed_by: change.author, approved_by: approvedBy },
        },
      };
    });
    return after;
  } catch (error) {
    if (error instanceof SlipwayError && error.code === "FLAG_CHANGE_OUTDATED") await store.closeFlagChange(change.id, "outdated");
    throw error;
  }
}

const REVIEW_SHA = "flag-change";

/** The deployment rules' decision on a change: approvals of listed reviewers (N of M), self-review, rejection, an admin's bypass. */
function decideChange(environment: EnvironmentRecord, change: FlagChangeRecord, reviews: readonly GateReview[], now: number) {
  const protection = protectionOf(environment);
  return decideGate({
    environment: environment.name,
    protection: { ...protection, waitTimer: 0, branchPolicy: null, deployWindows: [], freezes: [], requiresEnvironment: null },
    ref: "",
    sha: REVIEW_SHA,
    actor: change.author,
    reviewerUserIds: reviewerUserIds(protection),
    patterns: [],
    reviews,
    waitingSince: now,
    now,
    requiredEnvironmentDeployed: true,
    rollback: false,
  });
}

type Standing = { may: true; bypass: boolean } | { may: false; why: string };

async function standingOf(store: Store, request: FastifyRequest, user: User, change: FlagChangeRecord, environment: EnvironmentRecord): Promise<Standing> {
  const protection = protectionOf(environment);
  const listed = reviewerUserIds(protection).includes(user.id);
  const isAdmin = (await effectiveRank(store, request.principal, request.repository!)) >= ROLE_RANK.admin;
  if (listed && !(protection.preventSelfReview && user.login === change.author)) return { may: true, bypass: false };
  if (isAdmin && protection.canAdminsBypass) return { may: true, bypass: true };
  if (listed) return { may: false, why: `${user.login} proposed this change and the environment ${environment.name} prevents self-review` };
  return { may: false, why: `${user.login} is not a required reviewer of the environment ${environment.name}` };
}

/** The environment's flag options as a PUT body sets them; fields left out keep their value. */
export async function readFlagOptions(store: Store, environment: EnvironmentRecord | null, body: unknown): Promise<{ requireApproval: boolean; flagsPath: string | null } | null> {
  const b = isObject(body) ? body : {};
  if (b.flag_changes_require_approval === undefined && b.flags_path === undefined) return null;
  const current = environment ? await store.getFlagSettings(environment.id) : { requireApproval: false, flagsPath: null };
  let requireApproval = current.requireApproval;
  if (b.flag_changes_require_approval !== undefined) {
    if (typeof b.flag_changes_require_approval !== "boolean") throw validationFailed("flag_changes_require_approval", "must be true or false");
    requireApproval = b.flag_changes_require_approval;
  }
  let flagsPath = current.flagsPath;
  if (b.flags_path !== undefined) {
    const raw = b.flags_path;
    if (raw === null || raw === "") flagsPath = null;
    else if (typeof raw !== "string" || raw.length > 255 || raw.startsWith("/") || raw.split("/").some((part) => part === ".." || part === "." || part === "") || /[\u0000-\u001f\\]/.test(raw)) {
      throw validationFailed("flags_path", "must be a path inside the repository, e.g. .slipway/flags/production.json (no leading /, no . or .. parts), or null");
    } else flagsPath = raw;
  }
  return { requireApproval, flagsPath };
}

/** Checks the options against the environment's protection as the same PUT leaves it. */
export function checkFlagOptions(options: { requireApproval: boolean }, reviewers: number): void {
  if (options.requireApproval && reviewers === 0) {
    throw validationFailed("flag_changes_require_approval", "needs the environment's reviewers: list reviewers in the same request or before");
  }
}

/** The flag options in an environment's JSON. */
export async function flagOptionsJson(store: Store, environment: EnvironmentRecord): Promise<Json> {
  const settings = await store.getFlagSettings(environment.id);
  return { flag_changes_require_approval: settings.requireApproval, flags_path: settings.flagsPath };
}

export function registerFlagChangeRoutes(app: FastifyInstance, ctx: RouteContext, base: string, environmentOf: (request: FastifyRequest) => Promise<EnvironmentRecord>): void {
  const { store } = ctx;

  const changeOf = async (request: FastifyRequest, environment: EnvironmentRecord): Promise<FlagChangeRecord> => {
    const raw = (request.params as { change_id: string }).change_id;
    const id = idParam(raw);
    const change = id === undefined ? null : await store.getFlagChange(environment.id, id);
    if (!change) throw notFound("FLAG_CHANGE_NOT_FOUND", `Flag change ${raw} of environment ${environment.name}`);
    return change;
  };

  const changeJson = async (environment: EnvironmentRecord, change: FlagChangeRecord, withDocument: boolean): Promise<Json> => {
    const current = await store.getFlagSet(environment.id);
    const protection = protectionOf(environment);
    const reviews = await store.listFlagChangeReviews(change.id);
    return {
      id: change.id,
      state: change.state,
      author: change.author,
      reason: change.reason,
      action: change.action,
      base_version: change.baseVersion,
      current_version: current?.version ?? 0,
      outdated: change.state === "pending" && (current?.version ?? 0) !== change.baseVersion,
      applied_version: change.appliedVersion,
      required_approvals: protection.requiredApprovals,
      reviews: reviews.map((r) => ({ user: r.login, state: r.state, comment: r.comment, bypass: r.bypass, created_at: r.createdAt })),
      created_at: change.createdAt,
      decided_at: change.decidedAt,
      // Against the current version, which is what applying it would change.
      diff: diffFlagSets(current?.document ?? null, change.document),
      ...(withDocument ? { document: change.document } : {}),
    };
  };

  // Pending changes by default; `?state=all|applied|rejected|outdated` shows others.
  app.get(`${base}/flags/changes`, { config: { permission: "repo:read" } }, async (request) => {
    const environment = await environmentOf(request);
    const raw = (request.query as { state?: unknown }).state;
    const state = raw === undefined ? "pending" : raw;
    if (state !== "all" && state !== "pending" && state !== "applied" && state !== "rejected" && state !== "outdated") throw validationFailed("state", "must be pending, applied, rejected, outdated or all");
    const changes = await store.listFlagChanges(environment.id, state === "all" ? {} : { state });
    return { total_count: changes.length, changes: await Promise.all(changes.map((c) => changeJson(environment, c, false))) };
  });

  app.get(`${base}/flags/changes/:change_id`, { config: { permission: "repo:read" } }, async (request) => {
    const environment = await environmentOf(request);
    return changeJson(environment, await changeOf(request, environment), true);
  });

  // Who may review is decided here (listed reviewers, admins' bypass), as for deployments.
  app.post(`${base}/flags/changes/:change_id/reviews`, { config: { permission: "repo:read" } }, async (request) => {
    const repo = request.repository!;
    const environment = await environmentOf(request);
    const change = await changeOf(request, environment);
    const b = isObject(request.body) ? request.body : {};
    if (b.state !== "approved" && b.state !== "rejected") throw validationFailed("state", 'must be "approved" or "rejected"');
    if (b.comment !== undefined && typeof b.comment !== "string") throw validationFailed("comment", "must be a string");
    const comment = typeof b.comment === "string" ? b.comment.slice(0, 1000) : "";
    if (change.state !== "pending") throw new SlipwayError("FLAG_CHANGE_CLOSED", `Flag change ${change.id} of environment ${environment.name} is ${change.state}, not pending`);
    if (request.principal.kind !== "user") throw new SlipwayError("FLAG_CHANGE_REVIEW_NOT_ALLOWED", "Only a user can review a flag change");
    const user = request.principal.user;
    const standing = await standingOf(store, request, user, change, environment);
    if (!standing.may) throw new SlipwayError("FLAG_CHANGE_REVIEW_NOT_ALLOWED", standing.why);
    await store.addFlagChangeReview({ changeId: change.id, userId: user.id, login: user.login, state: b.state, comment, bypass: standing.bypass });
    const target = `repo:${repo.fullName}`;
    const auditAction = b.state === "rejected" ? "flags.change.reject" : standing.bypass ? "flags.change.bypass" : "flags.change.approve";
    await ctx.audit(request, auditAction, target, { environment: environment.name, change: change.id, comment });
    const reviews = (await store.listFlagChangeReviews(change.id)).map((r) => ({ userId: r.userId, login: r.login, state: r.state, comment: r.comment, sha: REVIEW_SHA, bypass: r.bypass }));
    const decision = decideChange(environment, change, reviews, ctx.now().getTime());
    if (decision.state === "fail") await store.closeFlagChange(change.id, "rejected");
    if (decision.state === "pass") {
      const approvedBy = [...new Set(reviews.filter((r) => r.state === "approved").map((r) => r.login))];
      await writeApprovedChange(store, repo, environment, change, approvedBy);
    }
    return changeJson(environment, (await store.getFlagChange(environment.id, change.id)) ?? change, false);
  });
}

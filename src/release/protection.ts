/**
 * Protection rules of a deployment environment: the body of GitHub's
 * `PUT …/environments/{name}` (wait timer, required reviewers, self-review,
 * branch policy, admin bypass) plus Slipway's own rules on the same body
 * (N-of-M approvals, deploy windows and freezes, promotion order, rollback
 * options, the deploy queue's supersede option), validated with the field
 * named as GitHub's 422s do; and the decision whether a held job may go to a
 * runner now, must keep waiting, or fails.
 */
import { checkDeploymentRef, type DeploymentBranchPolicy } from "./branch-policy.js";
import { checkDeployWindows, validateDeployWindow, type DeployFreeze, type DeployWindow } from "./deploy-windows.js";

interface ProtectionReviewer {
  type: "User" | "Team";
  id: number;
}

interface ProtectionFreeze {
  /** ISO-8601 instants; the start is inclusive, the end exclusive. */
  start: string;
  end: string;
  reason?: string;
}

/** Everything a protected environment asks of a job before it reaches a runner. */
export interface EnvironmentProtection {
  /** Minutes, 0 to 43,200. */
  waitTimer: number;
  preventSelfReview: boolean;
  /** At most 6. */
  reviewers: ProtectionReviewer[];
  /** null: every ref may deploy. */
  branchPolicy: { protectedBranches: boolean; customBranchPolicies: boolean } | null;
  canAdminsBypass: boolean;
  /** Distinct listed reviewers who must approve (GitHub: 1). */
  requiredApprovals: number;
  deployWindows: DeployWindow[];
  freezes: ProtectionFreeze[];
  /** Another environment of the repository that must have deployed the same commit successfully first. */
  requiresEnvironment: string | null;
  autoRollback: boolean;
  skipReviewersOnRollback: boolean;
  /** A newer request replaces older ones still waiting in the deploy queue. */
  supersede: boolean;
  /** Branch and tag patterns (`File.fnmatch`) whose deployments are unplanned fixes (DORA's rework). */
  hotfixBranches: string[];
  /** Ids of custom protection rules: each must approve through its callback. */
  customRules: number[];
  /** Checks (job names, or a provider's check such as `slipway/secret-scan`) that must have passed on the commit first. */
  requiredChecks: string[];
}

/** GitHub's limits. */
const MAX_REVIEWERS = 6;
const MAX_WAIT_TIMER_MINUTES = 43_200;
/** A job waiting longer than this fails, as on GitHub. */
const MAX_WAIT_DAYS = 30;

export const NO_PROTECTION: EnvironmentProtection = {
  waitTimer: 0,
  preventSelfReview: false,
  reviewers: [],
  branchPolicy: null,
  canAdminsBypass: true,
  requiredApprovals: 1,
  deployWindows: [],
  freezes: [],
  requiresEnvironment: null,
  autoRollback: false,
  skipReviewersOnRollback: false,
  supersede: false,
  hotfixBranches: [],
  customRules: [],
  requiredChecks: [],
};

export interface FieldProblem {
  field: string;
  message: string;
}

type Body = Record<string, unknown>;

function isObject(value: unknown): value is Body {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function readBoolean(body: Body, key: string, fallback: boolean, problems: FieldProblem[]): boolean {
  const value = body[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "boolean") {
    problems.push({ field: key, message: "must be true or false" });
    return fallback;
  }
  return value;
}

function readInteger(body: Body, key: string, fallback: number, min: number, max: number, problems: FieldProblem[]): number {
  const value = body[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    problems.push({ field: key, message: `must be a whole number from ${min} to ${max}` });
    return fallback;
  }
  return value;
}

function readReviewers(value: unknown, fallback: ProtectionReviewer[], problems: FieldProblem[]): ProtectionReviewer[] {
  if (value === undefined) return fallback;
  if (value === null) return [];
  if (!Array.isArray(value)) {
    problems.push({ field: "reviewers", message: "must be an array of {type, id}" });
    return fallback;
  }
  if (value.length > MAX_REVIEWERS) problems.push({ field: "reviewers", message: `at most ${MAX_REVIEWERS} reviewers may be listed (got ${value.length})` });
  const reviewers: ProtectionReviewer[] = [];
  value.forEach((entry: unknown, i) => {
    if (!isObject(entry) || (entry.type !== "User" && entry.type !== "Team") || typeof entry.id !== "number" || !Number.isInteger(entry.id) || entry.id < 1) {
      problems.push({ field: `reviewers[${i}]`, message: 'must be {"type": "User" or "Team", "id": a positive integer}' });
      return;
    }
    if (!reviewers.some((r) => r.type === entry.type && r.id === entry.id)) reviewers.push({ type: entry.type, id: entry.id });
  });
  return reviewers;
}

function readBranchPolicy(value: unknown, fallback: EnvironmentProtection["branchPolicy"], problems: FieldProblem[]): EnvironmentProtection["branchPolicy"] {
  if (value === undefined) return fallback;
  if (value === null) return null;
  if (!isObject(value) || typeof value.protected_branches !== "boolean" || typeof value.custom_branch_policies !== "boolean") {
    problems.push({ field: "deployment_branch_policy", message: "must be null or {protected_branches: boolean, custom_branch_policies: boolean}" });
    return fallback;
  }
  if (value.protected_branches === value.custom_branch_policies) {
    problems.push({ field: "deployment_branch_policy", message: "exactly one of protected_branches and custom_branch_policies must be true" });
    return fallback;
  }
  return { protectedBranches: value.protected_branches, customBranchPolicies: value.custom_branch_policies };
}

function readWindows(value: unknown, fallback: DeployWindow[], problems: FieldProblem[]): DeployWindow[] {
  if (value === undefined) return fallback;
  if (value === null) return [];
  if (!Array.isArray(value)) {
    problems.push({ field: "deploy_windows", message: "must be an array of {cron, duration_minutes, timezone?}" });
    return fallback;
  }
  const windows: DeployWindow[] = [];
  value.forEach((entry: unknown, i) => {
    if (!isObject(entry) || typeof entry.cron !== "string" || typeof entry.duration_minutes !== "number" || (entry.timezone !== undefined && typeof entry.timezone !== "string")) {
      problems.push({ field: `deploy_windows[${i}]`, message: "must be {cron: string, duration_minutes: number, timezone?: string}" });
      return;
    }
    const window: DeployWindow = { cron: entry.cron, durationMinutes: entry.duration_minutes, ...(entry.timezone === undefined ? {} : { timezone: entry.timezone }) };
    for (const p of validateDeployWindow(window)) problems.push({ field: `deploy_windows[${i}].${p.field}`, message: p.message });
    windows.push(window);
  });
  return windows;
}

function readPatterns(body: Body, key: string, fallback: string[], problems: FieldProblem[]): string[] {
  const value = body[key];
  if (value === undefined) return fallback;
  if (value === null) return [];
  if (!Array.isArray(value) || value.some((p) => typeof p !== "string" || p === "" || p.length > 255) || value.length > 50) {
    problems.push({ field: key, message: "must be an array of at most 50 patterns of 1 to 255 characters" });
    return fallback;
  }
  return [...new Set(value as string[])];
}

function readFreezes(value: unknown, fallback: ProtectionFreeze[], problems: FieldProblem[]): ProtectionFreeze[] {
  if (value === undefined) return fallback;
  if (value === null) return [];
  if (!Array.isArray(value)) {
    problems.push({ field: "freezes", message: "must be an array of {start, end, reason?}" });
    return fallback;
  }
  const freezes: ProtectionFreeze[] = [];
  value.forEach((entry: unknown, i) => {
    const start = isObject(entry) && typeof entry.start === "string" ? Date.parse(entry.start) : Number.NaN;
    const end = isObject(entry) && typeof entry.end === "string" ? Date.parse(entry.end) : Number.NaN;
    if (!isObject(entry) || Number.isNaN(start) || Number.isNaN(end) || end <= start || (entry.reason !== undefined && typeof entry.reason !== "string")) {
      problems.push({ field: `freezes[${i}]`, message: "must be {start, end, reason?} with ISO-8601 times, end after start" });
      return;
    }
    freezes.push({ start: new Date(start).toISOString(), end: new Date(end).toISOString(), ...(typeof entry.reason === "string" ? { reason: entry.reason } : {}) });
  });
  return freezes;
}

/**
 * The protection an environment gets from a PUT body over its current one:
 * fields the body leaves out keep their value, `null` clears a list or the
 * branch policy. Problems name the field; an empty list means the body is valid
 * (known users and teams are the caller's to check).
 */
export function parseProtection(body: unknown, current: EnvironmentProtection = NO_PROTECTION): { protection: EnvironmentProtection; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  const b = isObject(body) ? body : {};
  if (body !== undefined && body !== null && body !== "" && !isObject(body)) problems.push({ field: "body", message: "must be a JSON object" });
  const requires = b.requires_environment;
  if (requires !== undefined && requires !== null && (typeof requires !== "string" || requires === "")) problems.push({ field: "requires_environment", message: "must be an environment name or null" });
  const protection: EnvironmentProtection = {
    waitTimer: readInteger(b, "wait_timer", current.waitTimer, 0, MAX_WAIT_TIMER_MINUTES, problems),
    preventSelfReview: readBoolean(b, "prevent_self_review", current.preventSelfReview, problems),
    reviewers: readReviewers(b.reviewers, current.reviewers, problems),
    branchPolicy: readBranchPolicy(b.deployment_branch_policy, current.branchPolicy, problems),
    canAdminsBypass: readBoolean(b, "can_admins_bypass", current.canAdminsBypass, problems),
    requiredApprovals: readInteger(b, "required_approvals", current.requiredApprovals, 1, MAX_REVIEWERS, problems),
    deployWindows: readWindows(b.deploy_windows, current.deployWindows, problems),
    freezes: readFreezes(b.freezes, current.freezes, problems),
    requiresEnvironment: requires === undefined ? current.requiresEnvironment : typeof requires === "string" && requires !== "" ? requires : null,
    autoRollback: readBoolean(b, "auto_rollback", current.autoRollback, problems),
    skipReviewersOnRollback: readBoolean(b, "skip_reviewers_on_rollback", current.skipReviewersOnRollback, problems),
    supersede: readBoolean(b, "supersede", current.supersede, problems),
    hotfixBranches: readPatterns(b, "hotfix_branches", current.hotfixBranches, problems),
    customRules: current.customRules,
    requiredChecks: readPatterns(b, "required_checks", current.requiredChecks, problems),
  };
  const approvers = protection.reviewers.length;
  if (approvers > 0 && protection.requiredApprovals > approvers && !problems.some((p) => p.field === "required_approvals")) {
    problems.push({ field: "required_approvals", message: `asks for ${protection.requiredApprovals} approvals but only ${approvers} reviewers are listed` });
  }
  return { protection, problems };
}

/** Whether a job naming the environment is held before it reaches a runner. */
export function hasProtectionRules(p: EnvironmentProtection): boolean {
  return p.waitTimer > 0 || p.reviewers.length > 0 || p.branchPolicy !== null || p.deployWindows.length > 0 || p.freezes.length > 0 || p.requiresEnvironment !== null || p.customRules.length > 0 || p.requiredChecks.length > 0;
}

/** The reviewer name under which a custom protection rule's decision is recorded. */
export function customRuleLogin(ruleId: number): string {
  return `custom-rule:${ruleId}`;
}

/** One recorded review of a run's deployment to the environment. */
export interface GateReview {
  userId: number;
  login: string;
  /** `reported`: a custom rule's status report, which decides nothing. */
  state: "approved" | "rejected" | "reported";
  comment: string;
  /** The commit the reviewer saw. */
  sha: string;
  /** An admin forced the deployment past every rule. */
  bypass: boolean;
}

export interface GateInput {
  environment: string;
  protection: EnvironmentProtection;
  /** `refs/heads/main`, `refs/tags/v1`… */
  ref: string;
  sha: string;
  /** Login of the user who started the run. */
  actor: string | null;
  /** Ids of the listed reviewers as users (teams resolve to none). */
  reviewerUserIds: readonly number[];
  /** Custom branch and tag patterns. */
  patterns: readonly { name: string; type: "branch" | "tag" }[];
  reviews: readonly GateReview[];
  /** When the job started waiting (the wait timer's start). */
  waitingSince: number;
  now: number;
  /** Whether `requiresEnvironment` deployed this commit successfully. */
  requiredEnvironmentDeployed: boolean;
  /** A rollback: reviewers are skipped when the environment says so. */
  rollback: boolean;
  /** Where each of `protection.requiredChecks` stands on the commit (a check left out counts as pending). */
  checks?: readonly RequiredCheckState[];
}

/** A required check on the deployed commit: passed, still to come, failed, or never run (and nothing left that could run it). */
export interface RequiredCheckState {
  name: string;
  state: "success" | "pending" | "failure" | "missing";
  /** What failed, e.g. the job's conclusion. */
  detail?: string;
}

/** The stable code a failed required check's message ends with (see the error catalogue). */
const CHECK_FAILED_CODE = "DEPLOYMENT_CHECK_FAILED";

export type GateDecision =
  | { state: "pass"; bypassedBy?: string }
  | { state: "wait"; reasons: string[]; wakeAt: number | null }
  | { state: "fail"; message: string };

function branchPolicyOf(input: GateInput): DeploymentBranchPolicy {
  const policy = input.protection.branchPolicy;
  if (policy === null) return null;
  if (policy.protectedBranches) return { protectedBranches: true, customBranchPolicies: false };
  return { protectedBranches: false, customBranchPolicies: true, patterns: input.patterns };
}

/**
 * Whether a held job may go to a runner. In order: a refused ref fails; a
 * rejection fails; an admin's bypass passes; 30 days of waiting fail; then
 * every rule must pass (approvals, wait timer, windows, promotion order) or
 * the job keeps waiting, with every reason it waits and when it should next
 * be looked at (`wakeAt`, null: only an event can change it).
 */
export function decideGate(input: GateInput): GateDecision {
  const p = input.protection;
  const ref = checkDeploymentRef(input.environment, branchPolicyOf(input), input.ref);
  if (!ref.allowed) return { state: "fail", message: ref.reason };
  const rejection = input.reviews.find((r) => r.state === "rejected");
  if (rejection) {
    const why = rejection.comment ? `: ${rejection.comment}` : "";
    return { state: "fail", message: `Deployment to ${input.environment} was rejected by ${rejection.login}${why}` };
  }
  const bypass = input.reviews.find((r) => r.state === "approved" && r.bypass);
  if (bypass) return { state: "pass", bypassedBy: bypass.login };
  const deadline = input.waitingSince + MAX_WAIT_DAYS * 86_400_000;
  if (input.now >= deadline) return { state: "fail", message: `The job waited ${MAX_WAIT_DAYS} days for the protection rules of ${input.environment} and was failed.` };

  const reasons: string[] = [];
  const wakes: number[] = [deadline];
  if (p.reviewers.length > 0 && !(input.rollback && p.skipReviewersOnRollback)) {
    const approvers = new Set(
      input.reviews
        .filter((r) => r.state === "approved" && r.sha === input.sha && input.reviewerUserIds.includes(r.userId) && !r.login.startsWith("custom-rule:"))
        .filter((r) => !(p.preventSelfReview && r.login === input.actor))
        .map((r) => r.userId),
    );
    if (approvers.size < p.requiredApprovals) {
      reasons.push(p.requiredApprovals === 1 ? "waiting for a review from a required reviewer" : `waiting for ${p.requiredApprovals - approvers.size} more of ${p.requiredApprovals} required approvals`);
    }
  }
  if (p.waitTimer > 0) {
    const ends = input.waitingSince + p.waitTimer * 60_000;
    if (input.now < ends) {
      reasons.push(`wait timer: ${Math.ceil((ends - input.now) / 60_000)} minute(s) left`);
      wakes.push(ends);
    }
  }
  if (p.deployWindows.length > 0 || p.freezes.length > 0) {
    const freezes: DeployFreeze[] = p.freezes.map((f) => ({ start: Date.parse(f.start), end: Date.parse(f.end), ...(f.reason ? { reason: f.reason } : {}) }));
    const window = checkDeployWindows(p.deployWindows, freezes, input.now);
    if (!window.allowed) {
      reasons.push(window.reason);
      if (window.opensAt !== null) wakes.push(window.opensAt);
    }
  }
  for (const id of p.customRules) {
    if (!input.reviews.some((r) => r.state === "approved" && r.login === customRuleLogin(id))) reasons.push(`waiting for the custom protection rule ${id} to approve`);
  }
  if (p.requiredChecks.length > 0) {
    const states = new Map((input.checks ?? []).map((c) => [c.name.toLowerCase(), c]));
    for (const name of p.requiredChecks) {
      const check = states.get(name.toLowerCase());
      const sha = input.sha.slice(0, 7);
      if (check?.state === "failure") {
        return { state: "fail", message: `Required check "${name}" failed on commit ${sha}${check.detail ? ` (${check.detail})` : ""}: it must pass before deploying to ${input.environment}. [${CHECK_FAILED_CODE}]` };
      }
      if (check?.state === "missing") {
        return { state: "fail", message: `Required check "${name}" was not run on commit ${sha}: it must pass before deploying to ${input.environment}. [${CHECK_FAILED_CODE}]` };
      }
      if (check?.state !== "success") reasons.push(`waiting for required check "${name}" on commit ${sha}`);
    }
  }
  if (p.requiresEnvironment !== null && !input.requiredEnvironmentDeployed) {
    reasons.push(`commit ${input.sha.slice(0, 7)} has not been deployed successfully to ${p.requiresEnvironment} yet`);
  }
  if (reasons.length === 0) return { state: "pass" };
  return { state: "wait", reasons, wakeAt: Math.min(...wakes) };
}

/**
 * Protection rules as the server keeps and shows them: the store holds the
 * environment's protection as an opaque JSON document; this reads it back
 * over the defaults, checks the reviewers a PUT names, and renders GitHub's
 * `protection_rules[]` with Slipway's own rules beside them.
 */
import { NO_PROTECTION, parseProtection, type EnvironmentProtection } from "../../release/index.js";
import { SlipwayError } from "../../lib/index.js";
import type { EnvironmentRecord, Store } from "../../store/index.js";
import { userJson } from "../json.js";

/** The environment's rules, defaults filled in. */
export function protectionOf(environment: EnvironmentRecord): EnvironmentProtection {
  const stored = environment.protection;
  if (typeof stored !== "object" || stored === null) return NO_PROTECTION;
  return { ...NO_PROTECTION, ...(stored as Partial<EnvironmentProtection>) };
}

/**
 * The protection a PUT body asks for over the environment's current one, or
 * GitHub's 422 naming the first invalid field. Slipway has no teams: a `Team`
 * reviewer is refused as an unknown team, and a `User` must exist.
 */
export async function readProtectionBody(store: Store, environment: EnvironmentRecord, body: unknown): Promise<EnvironmentProtection> {
  const { protection, problems } = parseProtection(body ?? {}, protectionOf(environment));
  for (const [i, reviewer] of protection.reviewers.entries()) {
    if (reviewer.type === "Team") problems.push({ field: `reviewers[${i}].id`, message: `no team with id ${reviewer.id} (Slipway has no teams; list users)` });
    else if (!(await store.getUser(reviewer.id))) problems.push({ field: `reviewers[${i}].id`, message: `no user with id ${reviewer.id}` });
  }
  if (protection.requiresEnvironment !== null && protection.requiresEnvironment.toLowerCase() === environment.name.toLowerCase()) {
    problems.push({ field: "requires_environment", message: "an environment cannot require itself" });
  }
  if (problems.length > 0) {
    const [first] = problems;
    throw new SlipwayError("VALIDATION_FAILED", `Invalid request: ${first!.field} ${first!.message}`, {
      hint: "Fix the named field; see docs/deployments.md for every protection rule and its limits.",
      details: problems.map((p) => ({ message: `${p.field}: ${p.message}` })),
    });
  }
  return protection;
}

/** Ids of the listed reviewers that are users (teams resolve to nobody). */
export function reviewerUserIds(protection: EnvironmentProtection): number[] {
  return protection.reviewers.filter((r) => r.type === "User").map((r) => r.id);
}

/** GitHub's reviewer entries: `{type, reviewer}` with the user's JSON. */
export async function reviewersJson(store: Store, protection: EnvironmentProtection): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for (const r of protection.reviewers) {
    const user = r.type === "User" ? await store.getUser(r.id) : null;
    out.push({ type: r.type, reviewer: user ? userJson(user) : { id: r.id } });
  }
  return out;
}

/** What the environment's JSON answers in place of a custom rule's secret; a PUT giving it back keeps the secret. */
export const MASK = "********";

/** An environment's custom rules as its JSON shows them (`{id, url, secret}`), the secret masked. */
async function customRulesJson(store: Store, repositoryId: number, ids: readonly number[]): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for (const id of ids) {
    const hook = await store.getHook(repositoryId, id);
    if (hook) out.push({ id: hook.id, url: hook.url, secret: hook.secret === null ? null : MASK });
  }
  return out;
}

/** The protection fields of an environment's JSON: GitHub's, then Slipway's own. */
export async function protectionJson(store: Store, environment: EnvironmentRecord): Promise<Record<string, unknown>> {
  const p = protectionOf(environment);
  const rules: Record<string, unknown>[] = [];
  // Rule ids are stable per environment and rule type.
  const ruleId = (n: number) => environment.id * 10 + n;
  const nodeId = (n: number) => Buffer.from(`EnvironmentProtectionRule:${ruleId(n)}`).toString("base64");
  if (p.waitTimer > 0) rules.push({ id: ruleId(1), node_id: nodeId(1), type: "wait_timer", wait_timer: p.waitTimer });
  if (p.reviewers.length > 0) {
    rules.push({ id: ruleId(2), node_id: nodeId(2), type: "required_reviewers", prevent_self_review: p.preventSelfReview, reviewers: await reviewersJson(store, p) });
  }
  if (p.branchPolicy !== null) rules.push({ id: ruleId(3), node_id: nodeId(3), type: "branch_policy" });
  return {
    can_admins_bypass: p.canAdminsBypass,
    protection_rules: rules,
    deployment_branch_policy: p.branchPolicy === null ? null : { protected_branches: p.branchPolicy.protectedBranches, custom_branch_policies: p.branchPolicy.customBranchPolicies },
    required_approvals: p.requiredApprovals,
    deploy_windows: p.deployWindows.map((w) => ({ cron: w.cron, duration_minutes: w.durationMinutes, timezone: w.timezone ?? "UTC" })),
    freezes: p.freezes,
    requires_environment: p.requiresEnvironment,
    auto_rollback: p.autoRollback,
    skip_reviewers_on_rollback: p.skipReviewersOnRollback,
    supersede: p.supersede,
    hotfix_branches: p.hotfixBranches,
    custom_protection_rules: await customRulesJson(store, environment.repositoryId, p.customRules),
    required_checks: p.requiredChecks,
  };
}

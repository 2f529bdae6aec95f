import { describe, expect, it } from "vitest";
import { customRuleLogin, decideGate, hasProtectionRules, NO_PROTECTION, parseProtection, type EnvironmentProtection, type GateReview } from "../../src/release/index.js";

const T0 = Date.parse("2026-03-02T10:00:00Z");
const sha = "a".repeat(40);

function gate(protection: Partial<EnvironmentProtection>, over: Partial<Parameters<typeof decideGate>[0]> = {}) {
  return decideGate({
    environment: "production",
    protection: { ...NO_PROTECTION, ...protection },
    ref: "refs/heads/main",
    sha,
    actor: "alice",
    reviewerUserIds: [1, 2, 3],
    patterns: [],
    reviews: [],
    waitingSince: T0,
    now: T0,
    requiredEnvironmentDeployed: true,
    rollback: false,
    ...over,
  });
}

const review = (userId: number, login: string, state: GateReview["state"] = "approved", extra: Partial<GateReview> = {}): GateReview => ({ userId, login, state, comment: "", sha, bypass: false, ...extra });
const reviewers = [{ type: "User" as const, id: 1 }, { type: "User" as const, id: 2 }, { type: "User" as const, id: 3 }];

describe("parseProtection", () => {
  it("reads GitHub's body and Slipway's fields, keeping what the body leaves out", () => {
    const { protection, problems } = parseProtection({ wait_timer: 30, reviewers, prevent_self_review: true, deployment_branch_policy: { protected_branches: false, custom_branch_policies: true }, required_approvals: 2 });
    expect(problems).toEqual([]);
    expect(protection).toMatchObject({ waitTimer: 30, preventSelfReview: true, requiredApprovals: 2, canAdminsBypass: true, branchPolicy: { protectedBranches: false, customBranchPolicies: true } });
    const next = parseProtection({ can_admins_bypass: false, reviewers: null }, protection);
    expect(next.protection).toMatchObject({ waitTimer: 30, canAdminsBypass: false, reviewers: [] });
  });

  it("names the field of each invalid value", () => {
    const fields = (body: unknown) => parseProtection(body).problems.map((p) => p.field);
    expect(fields({ wait_timer: 43_201 })).toEqual(["wait_timer"]);
    expect(fields({ wait_timer: 1.5 })).toEqual(["wait_timer"]);
    expect(fields({ reviewers: Array.from({ length: 7 }, (_, i) => ({ type: "User", id: i + 1 })) })).toEqual(["reviewers"]);
    expect(fields({ reviewers: [{ type: "Bot", id: 1 }] })).toEqual(["reviewers[0]"]);
    expect(fields({ deployment_branch_policy: { protected_branches: false, custom_branch_policies: false } })).toEqual(["deployment_branch_policy"]);
    expect(fields({ required_approvals: 3, reviewers: [{ type: "User", id: 1 }] })).toEqual(["required_approvals"]);
    expect(fields({ freezes: [{ start: "2026-01-02", end: "2026-01-01" }] })).toEqual(["freezes[0]"]);
    expect(fields({ deploy_windows: [{ cron: "0 9 * * *", duration_minutes: 0 }] })).toEqual(["deploy_windows[0].duration_minutes"]);
    expect(fields([1])).toEqual(["body"]);
  });
});

describe("decideGate", () => {
  it("passes an environment whose rules all pass, and waits with every reason otherwise", () => {
    expect(gate({})).toEqual({ state: "pass" });
    const waiting = gate({ reviewers, waitTimer: 10 });
    expect(waiting).toMatchObject({ state: "wait", reasons: ["waiting for a review from a required reviewer", "wait timer: 10 minute(s) left"], wakeAt: T0 + 600_000 });
    expect(gate({ waitTimer: 10 }, { now: T0 + 600_000 })).toEqual({ state: "pass" });
  });

  it("counts distinct listed reviewers who approved the run's commit, without the actor under prevent_self_review", () => {
    const p = { reviewers, requiredApprovals: 2, preventSelfReview: true };
    const actor = { actor: "bob" };
    expect(gate(p, { ...actor, reviews: [review(1, "alice"), review(1, "alice")] }).state).toBe("wait");
    expect(gate(p, { ...actor, reviews: [review(1, "alice"), review(2, "bob")] }).state).toBe("wait");
    expect(gate(p, { ...actor, reviews: [review(1, "alice"), review(9, "mallory")] }).state).toBe("wait");
    expect(gate(p, { ...actor, reviews: [review(1, "alice"), review(3, "carol", "approved", { sha: "b".repeat(40) })] }).state).toBe("wait");
    expect(gate(p, { ...actor, reviews: [review(1, "alice"), review(3, "carol")] })).toEqual({ state: "pass" });
  });

  it("fails on a rejection or a refused ref, passes an admin's bypass, and skips reviewers for rollbacks when told", () => {
    expect(gate({ reviewers }, { reviews: [review(2, "bob", "rejected", { comment: "no" })] })).toEqual({ state: "fail", message: "Deployment to production was rejected by bob: no" });
    expect(gate({ branchPolicy: { protectedBranches: true, customBranchPolicies: false } }, { ref: "refs/tags/v1" })).toMatchObject({ state: "fail", message: 'Tag "v1" is not allowed to deploy to production due to environment protection rules.' });
    const custom = { branchPolicy: { protectedBranches: false, customBranchPolicies: true } };
    expect(gate(custom, { ref: "refs/heads/release/1/x", patterns: [{ name: "release/*", type: "branch" }] }).state).toBe("fail");
    expect(gate(custom, { ref: "refs/heads/release/1", patterns: [{ name: "release/*", type: "branch" }] }).state).toBe("pass");
    expect(gate({ reviewers, waitTimer: 60 }, { reviews: [review(7, "root", "approved", { bypass: true })] })).toEqual({ state: "pass", bypassedBy: "root" });
    expect(gate({ reviewers, skipReviewersOnRollback: true }, { rollback: true })).toEqual({ state: "pass" });
    expect(gate({ reviewers, skipReviewersOnRollback: false }, { rollback: true }).state).toBe("wait");
  });

  it("waits outside deploy windows and inside freezes until they open, and for the required environment", () => {
    // 10:00 UTC on a Monday; the window opens at 14:00.
    expect(gate({ deployWindows: [{ cron: "0 14 * * *", durationMinutes: 60 }] })).toMatchObject({ state: "wait", wakeAt: Date.parse("2026-03-02T14:00:00Z") });
    expect(gate({ deployWindows: [{ cron: "0 9 * * *", durationMinutes: 120 }] }).state).toBe("pass");
    expect(gate({ freezes: [{ start: "2026-03-01T00:00:00Z", end: "2026-03-03T00:00:00Z", reason: "quarter end" }] }).state).toBe("wait");
    expect(gate({ requiresEnvironment: "staging" }, { requiredEnvironmentDeployed: false })).toMatchObject({ state: "wait", reasons: ["commit aaaaaaa has not been deployed successfully to staging yet"] });
  });

  it("waits for every custom rule to approve through its callback; a status report decides nothing; a rule's rejection fails", () => {
    const rules = { customRules: [7, 9] };
    expect(hasProtectionRules({ ...NO_PROTECTION, ...rules })).toBe(true);
    expect(gate(rules, { reviews: [review(1, customRuleLogin(7), "reported")] })).toMatchObject({
      state: "wait",
      reasons: ["waiting for the custom protection rule 7 to approve", "waiting for the custom protection rule 9 to approve"],
    });
    expect(gate(rules, { reviews: [review(1, customRuleLogin(7))] })).toMatchObject({ state: "wait", reasons: ["waiting for the custom protection rule 9 to approve"] });
    expect(gate(rules, { reviews: [review(1, customRuleLogin(7)), review(1, customRuleLogin(9))] })).toEqual({ state: "pass" });
    expect(gate(rules, { reviews: [review(1, customRuleLogin(9), "rejected", { comment: "tests red" })] })).toEqual({ state: "fail", message: "Deployment to production was rejected by custom-rule:9: tests red" });
    // A rule's approval is not a reviewer's, even when the caller is a listed reviewer.
    expect(gate({ reviewers }, { reviews: [review(1, customRuleLogin(7))] })).toMatchObject({ state: "wait", reasons: ["waiting for a review from a required reviewer"] });
  });

  it("fails a job that waited 30 days", () => {
    expect(gate({ reviewers }, { now: T0 + 30 * 86_400_000 })).toMatchObject({ state: "fail", message: "The job waited 30 days for the protection rules of production and was failed." });
  });
});

describe("required checks", () => {
  const protection = { requiredChecks: ["secret-scan", "migrations"] };
  it("waits while a check is pending or not reported, naming each", () => {
    const decision = gate(protection, { checks: [{ name: "Secret-Scan", state: "success" }, { name: "migrations", state: "pending" }] });
    expect(decision).toMatchObject({ state: "wait", reasons: [expect.stringContaining('required check "migrations"')] });
    expect(gate(protection, { checks: [] })).toMatchObject({ state: "wait", reasons: [expect.stringContaining("secret-scan"), expect.stringContaining("migrations")] });
  });
  it("passes when every check passed, and fails naming a failed or missing check", () => {
    expect(gate(protection, { checks: [{ name: "secret-scan", state: "success" }, { name: "migrations", state: "success" }] })).toEqual({ state: "pass" });
    const failed = gate(protection, { checks: [{ name: "secret-scan", state: "failure", detail: "job secret-scan: failure" }] });
    expect(failed).toMatchObject({ state: "fail", message: expect.stringMatching(/^Required check "secret-scan" failed on commit \w{7} \(job secret-scan: failure\).*\[DEPLOYMENT_CHECK_FAILED\]$/) });
    expect(gate(protection, { checks: [{ name: "migrations", state: "missing" }] })).toMatchObject({ state: "fail", message: expect.stringContaining('Required check "migrations" was not run') });
  });
  it("reads required_checks from a PUT body", () => {
    expect(parseProtection({ required_checks: ["secret-scan", "secret-scan"] }).protection.requiredChecks).toEqual(["secret-scan"]);
    expect(parseProtection({ required_checks: [3] }).problems).toMatchObject([{ field: "required_checks" }]);
  });
});

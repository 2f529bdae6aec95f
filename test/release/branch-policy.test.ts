import { describe, expect, test } from "vitest";
import { checkDeploymentRef, describeRef, matchesRefPattern } from "../../src/release/index.js";

describe("ref patterns (File.fnmatch with FNM_PATHNAME)", () => {
  test.each([
    ["main", "main", true],
    ["release/*", "release/1.2", true],
    ["release/*", "release/1/hotfix", false],
    ["release/*/*", "release/1/hotfix", true],
    ["v?.?", "v1.2", true],
    ["v?.?", "v1.23", false],
    ["v[0-9].*", "v3.1", true],
    ["v[!0-9].*", "v3.1", false],
    ["feature-{a,b}", "feature-a", false],
    ["feature-{a,b}", "feature-{a,b}", true],
    ["*", "a/b", false],
    ["v[!0-9].*", "vx.1", true],
    ["!main", "!main", true],
    ["!main", "dev", false],
    ["pull/*/merge", "pull/12/merge", true],
  ])("%s against %s: %s", (pattern, name, matches) => {
    expect(matchesRefPattern(pattern, name)).toBe(matches);
  });
});

describe("which refs may deploy", () => {
  test("refs name their kind", () => {
    expect(describeRef("refs/heads/release/2")).toEqual({ type: "branch", name: "release/2" });
    expect(describeRef("refs/tags/v1.0.0")).toEqual({ type: "tag", name: "v1.0.0" });
    expect(describeRef("refs/pull/7/merge")).toEqual({ type: "branch", name: "pull/7/merge" });
  });

  test("no policy: every ref", () => {
    expect(checkDeploymentRef("production", null, "refs/heads/anything")).toEqual({ allowed: true });
  });

  test("protected branches: those, no tags, every branch when none is protected", () => {
    const policy = { protectedBranches: true, customBranchPolicies: false } as const;
    expect(checkDeploymentRef("production", policy, "refs/heads/main", ["main"]).allowed).toBe(true);
    expect(checkDeploymentRef("production", policy, "refs/heads/dev", ["main"])).toEqual({
      allowed: false,
      reason: 'Branch "dev" is not allowed to deploy to production due to environment protection rules.',
    });
    expect(checkDeploymentRef("production", policy, "refs/heads/dev", []).allowed).toBe(true);
    expect(checkDeploymentRef("production", policy, "refs/tags/v1", []).allowed).toBe(false);
  });

  test("custom policies match the ref's kind only", () => {
    const policy = {
      protectedBranches: false,
      customBranchPolicies: true,
      patterns: [
        { name: "release/*", type: "branch" },
        { name: "v*", type: "tag" },
      ],
    } as const;
    expect(checkDeploymentRef("prod", policy, "refs/heads/release/3").allowed).toBe(true);
    expect(checkDeploymentRef("prod", policy, "refs/tags/v3").allowed).toBe(true);
    expect(checkDeploymentRef("prod", policy, "refs/heads/v3")).toMatchObject({ allowed: false, reason: expect.stringContaining('Branch "v3"') });
    expect(checkDeploymentRef("prod", policy, "refs/tags/release/3")).toMatchObject({ allowed: false, reason: expect.stringContaining('Tag "release/3"') });
  });
});

/**
 * Deployment branch and tag policies of protected environments, with GitHub's
 * semantics: no policy lets every ref deploy; `protected_branches` lets the
 * repository's protected branches deploy (every branch when it has none) and
 * no tag; custom policies let a ref deploy when one pattern of its type
 * matches its name. Patterns follow Ruby's `File.fnmatch` with
 * `FNM_PATHNAME`: `*` and `?` stop at `/` (so `release/*` does not match
 * `release/1/hotfix`; write `release/*\/*`), `[...]` is a class, braces are
 * plain characters. picomatch provides that matching.
 */

import picomatch from "picomatch";

interface BranchPolicyPattern {
  name: string;
  type: "branch" | "tag";
}

export type DeploymentBranchPolicy =
  | null
  | { protectedBranches: true; customBranchPolicies: false }
  | { protectedBranches: false; customBranchPolicies: true; patterns: readonly BranchPolicyPattern[] };

export type RefDecision = { allowed: true } | { allowed: false; reason: string };

/** The ref's kind and short name: `refs/heads/main` → branch main; `refs/tags/v1` → tag v1; `refs/pull/3/merge` → branch `3/merge`. */
export function describeRef(ref: string): { type: "branch" | "tag"; name: string } {
  if (ref.startsWith("refs/tags/")) return { type: "tag", name: ref.slice("refs/tags/".length) };
  if (ref.startsWith("refs/heads/")) return { type: "branch", name: ref.slice("refs/heads/".length) };
  if (ref.startsWith("refs/pull/")) return { type: "branch", name: ref.slice("refs/".length) };
  return { type: "branch", name: ref };
}

/**
 * Whether `name` matches an fnmatch pattern with `FNM_PATHNAME`. fnmatch
 * negates a class with `[!...]` and has no pattern negation, so a class's `!`
 * becomes picomatch's `^` and a leading `!` is escaped.
 */
export function matchesRefPattern(pattern: string, name: string): boolean {
  const translated = pattern.replace(/\[!/g, "[^").replace(/^!/, "\\!");
  return picomatch.isMatch(name, translated, { nobrace: true, noextglob: true, dot: true, nonegate: true, noquantifiers: true });
}

/**
 * Whether a run of `ref` may deploy to `environment`. `protectedBranches`
 * lists the repository's protected branch patterns (empty: none are protected).
 */
export function checkDeploymentRef(
  environment: string,
  policy: DeploymentBranchPolicy,
  ref: string,
  protectedBranches: readonly string[] = [],
): RefDecision {
  if (policy === null) return { allowed: true };
  const { type, name } = describeRef(ref);
  const refused: RefDecision = {
    allowed: false,
    reason: `${type === "tag" ? "Tag" : "Branch"} "${name}" is not allowed to deploy to ${environment} due to environment protection rules.`,
  };
  if (policy.protectedBranches) {
    if (type === "tag") return refused;
    if (protectedBranches.length === 0) return { allowed: true };
    return protectedBranches.some((p) => matchesRefPattern(p, name)) ? { allowed: true } : refused;
  }
  return policy.patterns.some((p) => p.type === type && matchesRefPattern(p.name, name)) ? { allowed: true } : refused;
}

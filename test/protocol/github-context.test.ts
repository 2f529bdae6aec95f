/**
 * One `github` context for `slipway run` and the server: the same event built
 * through the CLI's path (a real git repository) and the server's path (a
 * stored repository and run) gives the same context, with GitHub's values.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildDefaultPayload, localGithubContext, readRepoInfo } from "../../src/cli/index.js";
import { githubContextOfRun } from "../../src/server/index.js";
import type { Repository, WorkflowRun } from "../../src/store/index.js";

const SERVER = "https://github.com";
let dir: string;

function git(...args: string[]): string {
  return execFileSync("git", args, { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-github-context-"));
  git("init", "-q", "-b", "main");
  git("config", "user.name", "octocat");
  git("config", "user.email", "octocat@example.com");
  git("remote", "add", "origin", `${SERVER}/acme/widgets.git`);
  git("symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main");
  fs.writeFileSync(path.join(dir, "a.txt"), "one\n");
  git("add", ".");
  git("commit", "-q", "-m", "one");
  fs.writeFileSync(path.join(dir, "a.txt"), "two\n");
  git("commit", "-q", "-am", "two");
  git("tag", "v1.2.0");
  git("checkout", "-q", "-b", "feature");
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

interface Case {
  event: string;
  /** What HEAD is for the CLI: a branch or a tag. */
  head: string;
  expected: Record<string, unknown>;
}

const cases: Case[] = [
  { event: "push", head: "main", expected: { ref: "refs/heads/main", ref_name: "main", ref_type: "branch", head_ref: "", base_ref: "" } },
  { event: "push", head: "v1.2.0", expected: { ref: "refs/tags/v1.2.0", ref_name: "v1.2.0", ref_type: "tag", head_ref: "", base_ref: "" } },
  { event: "pull_request", head: "feature", expected: { ref: "refs/pull/1/merge", ref_name: "1/merge", ref_type: "branch", head_ref: "feature", base_ref: "main" } },
  { event: "workflow_dispatch", head: "feature", expected: { ref: "refs/heads/feature", ref_name: "feature", ref_type: "branch", head_ref: "", base_ref: "" } },
  { event: "schedule", head: "feature", expected: { ref: "refs/heads/main", ref_name: "main", ref_type: "branch", head_ref: "", base_ref: "" } },
];

describe("the github context", () => {
  it.each(cases)("is the same through slipway run and the server for $event at $head", ({ event, head, expected }) => {
    git("checkout", "-q", head);
    const info = readRepoInfo(dir);
    const payload = buildDefaultPayload(event, info, {});
    const local = localGithubContext(event, payload, info, { runId: "42" });

    const repo = { id: 1, owner: "acme", name: "widgets", fullName: "acme/widgets", gitUrl: `${SERVER}/acme/widgets.git`, defaultBranch: "main" } as Repository;
    const ref = String(expected.ref);
    const run = {
      id: 42,
      runNumber: 1,
      runAttempt: 1,
      event,
      headBranch: ref.startsWith("refs/heads/") ? ref.slice("refs/heads/".length) : event === "pull_request" ? "feature" : null,
      headSha: info.sha,
      actor: "octocat",
      eventPayload: payload,
    } as WorkflowRun;
    const served = githubContextOfRun(repo, run, SERVER);

    // Local runs take their secrets from the command line, not from GitHub Actions.
    expect(local.secret_source).toBe("None");
    expect(served.secret_source).toBe("Actions");
    expect({ ...local, secret_source: "" }).toEqual({ ...served, secret_source: "" });

    expect(served).toMatchObject({
      ...expected,
      repository: "acme/widgets",
      repository_owner: "acme",
      repositoryUrl: "git://github.com/acme/widgets.git",
      sha: git("rev-parse", "HEAD"),
      actor: "octocat",
      triggering_actor: "octocat",
      run_id: "42",
      run_number: "1",
      run_attempt: "1",
      server_url: SERVER,
      api_url: "https://api.github.com",
      graphql_url: "https://api.github.com/graphql",
      token: "",
      ref_protected: false,
    });
  });

  it("names no secret source for a pull request from a fork on the server", () => {
    const repo = { id: 1, owner: "acme", name: "widgets", fullName: "acme/widgets", gitUrl: "", defaultBranch: "main" } as Repository;
    const payload = {
      number: 3,
      pull_request: { number: 3, head: { ref: "patch", repo: { full_name: "mallory/widgets" } }, base: { ref: "main", repo: { full_name: "acme/widgets" } } },
      repository: { full_name: "acme/widgets" },
    };
    const run = { id: 1, runNumber: 1, runAttempt: 1, event: "pull_request", headBranch: "patch", headSha: "a".repeat(40), actor: "mallory", eventPayload: payload } as WorkflowRun;
    expect(githubContextOfRun(repo, run, "https://slipway.example")).toMatchObject({
      ref: "refs/pull/3/merge",
      ref_name: "3/merge",
      head_ref: "patch",
      base_ref: "main",
      secret_source: "None",
      api_url: "https://slipway.example/api/v3",
      graphql_url: "https://slipway.example/api/graphql",
    });
  });
});

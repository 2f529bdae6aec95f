/** The text and --json views of what the API commands return. */
import { describe, expect, it } from "vitest";
import { renderOutput } from "../../../src/cli/index.js";
import type { ApiWorkflowRun } from "../../../src/protocol/index.js";

describe("renderOutput", () => {
  it("prints the registration token with the command that starts a runner, or JSON", () => {
    const output = { kind: "runner-token" as const, token: "slpreg_abc", expiresAt: "2030-01-01T00:00:00Z", command: "SLIPWAY_RUNNER_TOKEN=slpreg_abc slipway runner --server http://s" };
    expect(renderOutput(output, false)).toContain("SLIPWAY_RUNNER_TOKEN=slpreg_abc slipway runner --server http://s");
    expect(JSON.parse(renderOutput(output, true))).toEqual({ token: "slpreg_abc", expiresAt: "2030-01-01T00:00:00Z", command: output.command });
  });

  it("prints runs as a table and as a JSON array", () => {
    const run: ApiWorkflowRun = {
      ...{ id: 3, name: "ci", head_branch: "main", head_sha: "abc", run_number: 2, run_attempt: 1, event: "push", path: ".github/workflows/ci.yml" },
      ...{ status: "completed", conclusion: "failure", html_url: "u", created_at: "2030-01-01", updated_at: "2030-01-01", run_started_at: null, actor: null },
      repository: { full_name: "a/b", name: "b", owner: { login: "a" } },
    };
    const text = renderOutput({ kind: "runs", runs: [run] }, false);
    expect(text.split("\n")[0]).toMatch(/^ID\s+REPOSITORY\s+WORKFLOW/);
    expect(text).toMatch(/3\s+a\/b\s+ci #2\s+push\s+main\s+failure/);
    expect(JSON.parse(renderOutput({ kind: "runs", runs: [run] }, true))).toEqual([run]);
  });

  it("says what a command did in one sentence, and gives the same facts as JSON", () => {
    const cases = [
      [{ kind: "run-cancelled", runId: 5, repository: "a/b" }, "Cancelling run 5 of a/b.\n", { run_id: 5, repository: "a/b", cancelled: true }],
      [
        { kind: "run-rerun", runId: 5, repository: "a/b", failedOnly: true, runAttempt: 2, htmlUrl: "http://s/r/5" },
        "Re-running the failed jobs of run 5 of a/b (attempt 2): http://s/r/5\n",
        { run_id: 5, repository: "a/b", run_attempt: 2, html_url: "http://s/r/5" },
      ],
      [{ kind: "secret-set", repository: "a/b", environment: "prod", name: "TOKEN" }, "Secret TOKEN of a/b (environment prod) is set.\n", { repository: "a/b", environment: "prod", name: "TOKEN" }],
      [{ kind: "secret-deleted", repository: "a/b", name: "TOKEN" }, "Secret TOKEN of a/b is deleted.\n", { repository: "a/b", name: "TOKEN", deleted: true }],
      [
        { kind: "variable-set", repository: "a/b", name: "REGION", value: "eu", created: false },
        "Variable REGION of a/b is updated.\n",
        { repository: "a/b", name: "REGION", value: "eu", created: false },
      ],
      [{ kind: "variable-deleted", repository: "a/b", environment: "prod", name: "REGION" }, "Variable REGION of a/b (environment prod) is deleted.\n", { repository: "a/b", environment: "prod", name: "REGION", deleted: true }],
      [{ kind: "environment-created", repository: "a/b", environment: "prod" }, "Environment prod of a/b is ready.\n", { repository: "a/b", environment: "prod" }],
      [{ kind: "environment-deleted", repository: "a/b", environment: "prod" }, "Environment prod of a/b is deleted, with its secrets and variables.\n", { repository: "a/b", environment: "prod", deleted: true }],
    ] as const;
    for (const [output, text, doc] of cases) {
      expect(renderOutput(output, false)).toBe(text);
      expect(JSON.parse(renderOutput(output, true))).toEqual(doc);
    }
  });

  it("shows a variable's value on one line, long values cut, and an empty list as a sentence", () => {
    const variables = [{ name: "NOTE", value: `first\r\nsecond ${"x".repeat(80)}`, created_at: "c", updated_at: "2030-01-01" }];
    const row = renderOutput({ kind: "variables", repo: "a/b", variables }, false).split("\n")[1]!;
    expect(row).toMatch(/^NOTE {2}first\\nsecond x+… {2}2030-01-01$/);
    expect(Array.from(row.slice(6, row.lastIndexOf("  "))).length).toBe(60);
    expect(renderOutput({ kind: "variables", repo: "a/b", environment: "prod", variables: [] }, false)).toBe("a/b (environment prod) has no variables.\n");
    expect(renderOutput({ kind: "secrets", repo: "a/b", secrets: [] }, false)).toBe("a/b has no secrets.\n");
  });

  it("prints nothing for logs, which stream as they arrive, and their conclusion as JSON", () => {
    expect(renderOutput({ kind: "logs", conclusion: "success" }, false)).toBe("");
    expect(JSON.parse(renderOutput({ kind: "logs", conclusion: "success" }, true))).toEqual({ conclusion: "success" });
  });
});

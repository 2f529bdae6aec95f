import { describe, expect, it } from "vitest";
import type { Job } from "../../src/ui/api/types.js";
import { baseKeyOf, groupJobs } from "../../src/ui/core/job-groups.js";

let nextId = 1;
function job(fields: Partial<Job> & { name: string }): Job {
  return { id: nextId++, status: "completed", conclusion: "success", started_at: null, completed_at: null, steps: [], labels: [], runner_name: null, ...fields };
}

describe("groupJobs", () => {
  it("groups matrix legs by their workflow job and orders groups by what they need", () => {
    const jobs = [
      job({ name: "lint", key: "lint" }),
      job({ name: "test (18)", key: "test", matrix: { node: 18 }, needs: ["lint"] }),
      job({ name: "test (20)", key: "test-2", matrix: { node: 20 }, needs: ["lint"] }),
      job({ name: "deploy", key: "deploy", needs: ["test", "lint"] }),
      job({ name: "docs-2", key: "docs-2" }),
    ];
    const groups = groupJobs(jobs);
    expect(groups.map((g) => [g.key, g.title, g.jobs.map((j) => j.name), g.depth])).toEqual([
      ["lint", "lint", ["lint"], 0],
      ["test", "test", ["test (18)", "test (20)"], 1],
      ["deploy", "deploy", ["deploy"], 2],
      ["docs-2", "docs-2", ["docs-2"], 0],
    ]);
  });

  it("falls back to names without a key, and survives a needs cycle", () => {
    expect(baseKeyOf(job({ name: "build (linux, 20)" }))).toBe("build");
    const groups = groupJobs([job({ name: "a", key: "a", needs: ["b"] }), job({ name: "b", key: "b", needs: ["a"] })]);
    expect(groups.map((g) => g.depth).every((d) => Number.isFinite(d))).toBe(true);
  });
});

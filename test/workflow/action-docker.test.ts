import { describe, expect, it } from "vitest";
import { findDockerRequirement, type Job } from "../../src/workflow/index.js";

function job(extra: Partial<Job>): Job {
  return {
    id: "build",
    needs: [],
    outputs: {},
    env: {},
    continueOnError: false,
    steps: [],
    with: {},
    position: { file: "ci.yml", line: 4, col: 3 },
    ...extra,
  };
}

describe("findDockerRequirement", () => {
  it("accepts jobs without container or services", () => {
    expect(findDockerRequirement(job({}))).toBeUndefined();
  });

  it("names the job, its image and its services", () => {
    const e = findDockerRequirement(job({ container: { image: "node:20" }, services: { redis: { image: "redis" }, db: "postgres" } }));
    expect(e?.code).toBe("DOCKER_REQUIRED");
    expect(e?.message).toBe("job 'build' declares container: node:20 and services: redis, db, which needs Docker");
    expect(e?.position).toEqual({ file: "ci.yml", line: 4, col: 3 });
    expect(findDockerRequirement(job({ container: "alpine" }))?.message).toContain("container: alpine");
  });
});

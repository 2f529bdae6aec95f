import { describe, expect, it } from "vitest";
import type { Job } from "../../src/ui/api/types.js";
import { attemptState } from "../../src/ui/core/attempt-state.js";

let nextId = 1;
function job(fields: Partial<Job>): Job {
  return { id: nextId++, name: `job ${nextId}`, status: "completed", conclusion: "success", started_at: null, completed_at: null, steps: [], labels: [], runner_name: null, ...fields };
}

describe("attemptState", () => {
  it("fails when any job failed or timed out, even if another was cancelled", () => {
    expect(attemptState([job({}), job({ conclusion: "cancelled" }), job({ conclusion: "failure" })]).conclusion).toBe("failure");
    expect(attemptState([job({}), job({ conclusion: "timed_out" })]).conclusion).toBe("failure");
  });

  it("is cancelled when a job was cancelled and none failed, and succeeds past skipped jobs", () => {
    expect(attemptState([job({}), job({ conclusion: "cancelled" })])).toMatchObject({ status: "completed", conclusion: "cancelled" });
    expect(attemptState([job({}), job({ conclusion: "skipped" })])).toMatchObject({ status: "completed", conclusion: "success" });
  });

  it("spans from the first job's start to the last job's end", () => {
    const state = attemptState([
      job({ started_at: "2026-01-01T10:00:05Z", completed_at: "2026-01-01T10:01:00Z" }),
      job({ started_at: "2026-01-01T10:00:00Z", completed_at: "2026-01-01T10:02:30Z" }),
      job({ conclusion: "skipped" }),
    ]);
    expect(state).toEqual({ status: "completed", conclusion: "success", started_at: "2026-01-01T10:00:00Z", completed_at: "2026-01-01T10:02:30Z" });
  });

  it("is still going while a job is", () => {
    expect(attemptState([job({}), job({ status: "in_progress", conclusion: null, started_at: "2026-01-01T10:00:00Z" })])).toEqual({
      status: "in_progress",
      conclusion: null,
      started_at: "2026-01-01T10:00:00Z",
      completed_at: null,
    });
    expect(attemptState([job({ status: "queued", conclusion: null })]).status).toBe("queued");
  });
});

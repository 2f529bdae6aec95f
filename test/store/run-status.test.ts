import { describe, expect, it } from "vitest";
import { deriveRunStatus, type Conclusion, type RunStatus } from "../../src/store/index.js";

const job = (status: RunStatus, conclusion: Conclusion | null = null) => ({ status, conclusion });

describe("deriveRunStatus", () => {
  it("completes with failure when any job failed, even next to cancelled ones", () => {
    expect(deriveRunStatus([job("completed", "success"), job("completed", "cancelled"), job("completed", "failure")])).toEqual({
      status: "completed",
      conclusion: "failure",
    });
  });
  it("completes as cancelled when a job was cancelled and none failed", () => {
    expect(deriveRunStatus([job("completed", "success"), job("completed", "cancelled")]).conclusion).toBe("cancelled");
  });
  it("counts skipped jobs as success unless every job was skipped", () => {
    expect(deriveRunStatus([job("completed", "success"), job("completed", "skipped")]).conclusion).toBe("success");
    expect(deriveRunStatus([job("completed", "skipped"), job("completed", "skipped")]).conclusion).toBe("skipped");
  });
  it("treats timed-out jobs as failures", () => {
    expect(deriveRunStatus([job("completed", "timed_out")]).conclusion).toBe("failure");
  });
  it("is in progress once any job started or finished while others remain", () => {
    expect(deriveRunStatus([job("completed", "success"), job("pending")])).toEqual({ status: "in_progress", conclusion: null });
    expect(deriveRunStatus([job("in_progress"), job("queued")]).status).toBe("in_progress");
  });
  it("waits for an approval even after earlier jobs finished, unless a job runs", () => {
    expect(deriveRunStatus([job("completed", "success"), job("waiting")]).status).toBe("waiting");
    expect(deriveRunStatus([job("in_progress"), job("waiting")]).status).toBe("in_progress");
  });
  it("waits, queues or is pending before anything runs", () => {
    expect(deriveRunStatus([job("waiting"), job("queued")]).status).toBe("waiting");
    expect(deriveRunStatus([job("queued"), job("pending")]).status).toBe("queued");
    expect(deriveRunStatus([job("pending")]).status).toBe("pending");
  });
});

/** A disabled workflow starts no run on push or schedule until it is enabled again; the other workflows go on. */
import { describe, expect, it } from "vitest";
import { createHarness, closeAfterEach, pushTrigger, type Harness } from "./harness.js";

let h: Harness | undefined;
closeAfterEach(() => h);

const JOB = "jobs:\n  j:\n    runs-on: x\n    steps:\n      - run: echo\n";
const files = async () => (await h!.store.listRuns({ perPage: 100 })).items.map((r) => r.workflowFile).sort();

describe("disabled workflows", () => {
  it("are skipped by push and schedule triggers while disabled", async () => {
    h = await createHarness({
      ".github/workflows/ci.yml": `on: push\n${JOB}`,
      ".github/workflows/lint.yml": `on: push\n${JOB}`,
      ".github/workflows/nightly.yml": `on:\n  schedule:\n    - cron: '0 3 * * *'\n${JOB}`,
      ".github/workflows/broken.yml": "on: push\njobs: [",
    });
    const pipeline = h.makePipeline();
    await h.store.setWorkflowState(h.repo.id, ".github/workflows/ci.yml", "disabled_manually");
    await h.store.setWorkflowState(h.repo.id, ".github/workflows/nightly.yml", "disabled_manually");
    await h.store.setWorkflowState(h.repo.id, ".github/workflows/broken.yml", "disabled_manually");
    const base = h.head();
    const first = h.commit({ "a.txt": "1" });
    await pipeline.onTrigger(pushTrigger(h.repo, first, base));
    expect(await pipeline.tick.schedules(new Date("2026-03-01T03:00:10Z"))).toBe(0);
    expect(await files()).toEqual([".github/workflows/lint.yml"]);

    await h.store.setWorkflowState(h.repo.id, ".github/workflows/ci.yml", "active");
    await h.store.setWorkflowState(h.repo.id, ".github/workflows/nightly.yml", "active");
    const second = h.commit({ "a.txt": "2" });
    await pipeline.onTrigger(pushTrigger(h.repo, second, first));
    expect(await pipeline.tick.schedules(new Date("2026-03-02T03:00:10Z"))).toBe(1);
    expect(await files()).toEqual([".github/workflows/ci.yml", ".github/workflows/lint.yml", ".github/workflows/lint.yml", ".github/workflows/nightly.yml"]);
  });
});

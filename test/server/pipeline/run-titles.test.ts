import { describe, expect, it } from "vitest";
import { capTitle, defaultRunTitle, MAX_DISPLAY_TITLE, sealContext } from "../../../src/server/index.js";
import { createHarness, closeAfterEach, pushTrigger, recordingLogger, startRunner, waitFor, type FakeRunner, type Harness } from "./harness.js";

const job = "jobs:\n  j:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo\n";

let h: Harness | undefined;
const runners: FakeRunner[] = [];
closeAfterEach(() => h, runners);

async function onlyRun(harness: Harness) {
  const { items } = await harness.store.listRuns({ repositoryId: harness.repo.id });
  expect(items).toHaveLength(1);
  return items[0]!;
}

describe("run display titles", () => {
  it("titles a push with its head commit's first message line from the payload", async () => {
    h = await createHarness({ ".github/workflows/ci.yml": `name: CI\non: push\n${job}` });
    const pipeline = h.makePipeline();
    const sha = h.head();
    const trigger = pushTrigger(h.repo, sha, null);
    await pipeline.onTrigger({ ...trigger, payload: { ...trigger.payload, head_commit: { id: sha, message: "Fix the login form\n\nThe button did nothing." } } });
    const run = await onlyRun(h);
    expect(run.displayTitle).toBe("Fix the login form");
    expect(run.workflowName).toBe("CI");
  });

  it("reads the commit message from the mirror when the payload has none (polling)", async () => {
    h = await createHarness({ ".github/workflows/ci.yml": `name: CI\non: push\n${job}` });
    await h.store.updateRepository(h.repo.id, { pollingIntervalSeconds: 60 });
    const pipeline = h.makePipeline();
    const t0 = Date.parse("2026-03-01T12:00:00Z");
    expect(await pipeline.tick.polling(new Date(t0))).toBe(0);
    h.commit({ "b.txt": "b" }, "Speed up the parser\n\nBody text that is not the title.");
    expect(await pipeline.tick.polling(new Date(t0 + 61_000))).toBe(1);
    expect((await onlyRun(h)).displayTitle).toBe("Speed up the parser");
  });

  it("titles a pull request with its title, and other events with the workflow's name", async () => {
    h = await createHarness({
      ".github/workflows/pr.yml": `name: Checks\non: [pull_request, pull_request_target]\n${job}`,
      ".github/workflows/nightly.yml": `name: Nightly\non:\n  schedule:\n    - cron: '0 3 * * *'\n${job}`,
      ".github/workflows/unnamed.yml": `on: workflow_dispatch\n${job}`,
    });
    const pipeline = h.makePipeline();
    const sha = h.head();
    const pr = { number: 7, title: "Add dark theme", head: { ref: "feature", sha, repo: { full_name: "octo/hello" } }, base: { ref: "main", repo: { full_name: "octo/hello" } } };
    await pipeline.onTrigger({ ...pushTrigger(h.repo, sha, null), event: "pull_request", action: "opened", ref: "refs/pull/7/head", payload: { action: "opened", number: 7, pull_request: pr, sender: { login: "ada" } } });
    expect(await pipeline.tick.schedules(new Date("2026-03-01T03:00:10Z"))).toBe(1);
    await pipeline.dispatcher.dispatch({ repository: h.repo, workflowFile: ".github/workflows/unnamed.yml", ref: "main", inputs: {}, actor: "octocat" });
    const runs = (await h.store.listRuns({ repositoryId: h.repo.id })).items;
    const title = (event: string) => runs.find((r) => r.event === event)?.displayTitle;
    expect(title("pull_request")).toBe("Add dark theme");
    // Webhooks start pull_request runs; pull_request_target payloads carry the same title.
    expect(defaultRunTitle("Checks", "pull_request_target", { pull_request: pr })).toBe("Add dark theme");
    expect(defaultRunTitle("Checks", "pull_request", { pull_request: { title: "  " } })).toBe("Checks");
    expect(title("schedule")).toBe("Nightly");
    // An unnamed workflow is called by its file, as GitHub does.
    expect(title("workflow_dispatch")).toBe(".github/workflows/unnamed.yml");
  });

  it("evaluates run-name with github, typed inputs and vars", async () => {
    h = await createHarness({
      ".github/workflows/deploy.yml": `name: Deploy
run-name: "Deploy \${{ inputs.target }} to \${{ vars.REGION }} by @\${{ github.actor }} (\${{ inputs.dry && 'dry' || 'real' }}, \${{ github.event_name }} #\${{ github.run_number }})"
on:
  workflow_dispatch:
    inputs:
      target: { type: choice, options: [staging, production] }
      dry: { type: boolean, default: false }
${job}`,
    });
    await h.store.createVariable({ repositoryId: h.repo.id, name: "REGION", value: "eu-west-1" });
    const pipeline = h.makePipeline();
    // A dispatch's inputs arrive as text; run-name sees them typed ("false" is false).
    const run = await pipeline.dispatcher.dispatch({ repository: h.repo, workflowFile: ".github/workflows/deploy.yml", ref: "main", inputs: { target: "staging", dry: "false" }, actor: "octocat" });
    expect(run.displayTitle).toBe("Deploy staging to eu-west-1 by @octocat (real, workflow_dispatch #1)");
    expect((await h.store.getRun(run.id))?.displayTitle).toBe("Deploy staging to eu-west-1 by @octocat (real, workflow_dispatch #1)");
  });

  it("evaluates run-name against the event payload, and falls back to the default when it is blank", async () => {
    h = await createHarness({
      ".github/workflows/a.yml": `run-name: "Push to \${{ github.ref_name }}: \${{ github.event.head_commit.message }}"\non: push\n${job}`,
      ".github/workflows/b.yml": `name: B\nrun-name: "\${{ github.event.nothing }}  "\non: push\n${job}`,
    });
    const pipeline = h.makePipeline();
    const sha = h.head();
    const trigger = pushTrigger(h.repo, sha, null);
    await pipeline.onTrigger({ ...trigger, payload: { ...trigger.payload, head_commit: { message: "Bump fastify" } } });
    const runs = (await h.store.listRuns({ repositoryId: h.repo.id })).items;
    expect(runs.find((r) => r.workflowFile.endsWith("a.yml"))?.displayTitle).toBe("Push to main: Bump fastify");
    expect(runs.find((r) => r.workflowFile.endsWith("b.yml"))?.displayTitle).toBe("Bump fastify");
  });

  it("keeps the run and its default title when run-name cannot be evaluated, with a warning", async () => {
    h = await createHarness({
      ".github/workflows/bad.yml": `name: Bad\nrun-name: "\${{ fromJSON('{nope') }}"\non: push\n${job}`,
      ".github/workflows/secret.yml": `name: Secretive\nrun-name: "Token \${{ secrets.API_TOKEN }}"\non: push\n${job}`,
    });
    await h.store.putSecret({ repositoryId: h.repo.id, name: "API_TOKEN", value: Buffer.from(h.secretBox.encrypt("s3cr3t-value", sealContext.secret(h.repo.id, "API_TOKEN"))) });
    const lines: string[] = [];
    const pipeline = h.makePipeline({}, { logger: recordingLogger(lines) });
    await pipeline.start();
    runners.push(await startRunner(h.store, () => ({ conclusion: "success" })));
    await pipeline.onTrigger(pushTrigger(h.repo, h.head(), null));
    const runs = (await h.store.listRuns({ repositoryId: h.repo.id })).items;
    expect(runs).toHaveLength(2);
    // No head_commit in the payload: the mirror's commit message ("initial") is the default title.
    expect(runs.map((r) => r.displayTitle)).toEqual(["initial", "initial"]);
    expect(lines.filter((l) => l.includes("run-name of .github/workflows/bad.yml cannot be evaluated"))).toHaveLength(1);
    // Secrets are not a run-name context, as on GitHub: the workflow is invalid, and the value never reaches a title or the log.
    const secretive = runs.find((r) => r.workflowFile.endsWith("secret.yml"))!;
    expect(secretive.conclusion).toBe("failure");
    expect((await h.store.listJobs(secretive.id))[0]?.error).toContain("Unrecognized named-value: 'secrets'");
    expect(JSON.stringify(runs)).not.toContain("s3cr3t-value");
    expect(lines.join("\n")).not.toContain("s3cr3t-value");
    // The run whose run-name failed goes on.
    const bad = runs.find((r) => r.workflowFile.endsWith("bad.yml"))!;
    const done = await waitFor(async () => {
      const r = await h!.store.getRun(bad.id);
      return r?.status === "completed" ? r : null;
    });
    expect(done.conclusion).toBe("success");
    expect(done.displayTitle).toBe("initial");
  });

  it("masks secret values in titles and caps long ones", async () => {
    h = await createHarness({ ".github/workflows/ci.yml": `name: CI\non: push\n${job}` });
    await h.store.putSecret({ repositoryId: h.repo.id, name: "API_TOKEN", value: Buffer.from(h.secretBox.encrypt("s3cr3t-value", sealContext.secret(h.repo.id, "API_TOKEN"))) });
    const pipeline = h.makePipeline();
    const sha = h.head();
    const trigger = pushTrigger(h.repo, sha, null);
    await pipeline.onTrigger({ ...trigger, payload: { ...trigger.payload, head_commit: { message: "Oops, pasted s3cr3t-value here" } } });
    await pipeline.onTrigger({ ...trigger, payload: { ...trigger.payload, head_commit: { message: "Long ".repeat(100) } } });
    const [long, masked] = (await h.store.listRuns({ repositoryId: h.repo.id })).items;
    expect(masked!.displayTitle).toBe("Oops, pasted *** here");
    expect(Array.from(long!.displayTitle!)).toHaveLength(MAX_DISPLAY_TITLE);
    expect(long!.displayTitle!.endsWith("…")).toBe(true);
    expect(MAX_DISPLAY_TITLE).toBe(255);
    // A cut never splits a character made of two UTF-16 units.
    const emoji = capTitle("🚀".repeat(300));
    expect(Array.from(emoji)).toHaveLength(255);
    expect(emoji.endsWith("🚀…")).toBe(true);
    expect(capTitle("short")).toBe("short");
  });

  it("keeps the title through a re-run, even when variables change", async () => {
    h = await createHarness({ ".github/workflows/ci.yml": `name: CI\nrun-name: Build for \${{ vars.REGION }}\non: push\n${job}` });
    await h.store.createVariable({ repositoryId: h.repo.id, name: "REGION", value: "eu" });
    const pipeline = h.makePipeline();
    await pipeline.start();
    runners.push(await startRunner(h.store, () => ({ conclusion: "success" })));
    await pipeline.onTrigger(pushTrigger(h.repo, h.head(), null));
    const run = await onlyRun(h);
    expect(run.displayTitle).toBe("Build for eu");
    await waitFor(async () => (await h!.store.getRun(run.id))?.status === "completed");
    await pipeline.idle();
    await h.store.updateVariable(h.repo.id, "REGION", { value: "us" });
    const again = await pipeline.rerun(run.id);
    expect(again.runAttempt).toBe(2);
    expect(again.displayTitle).toBe("Build for eu");
    const done = await waitFor(async () => {
      const r = await h!.store.getRun(run.id);
      return r?.status === "completed" && r.runAttempt === 2 ? r : null;
    });
    expect(done.displayTitle).toBe("Build for eu");
  });

  it("titles a run of an invalid workflow file like any other run of its event", async () => {
    h = await createHarness({ ".github/workflows/broken.yml": "on: push\njobs:\n  j:\n    runs-on: x\n    steps: 3\n" });
    const pipeline = h.makePipeline();
    const sha = h.head();
    const trigger = pushTrigger(h.repo, sha, null);
    await pipeline.onTrigger({ ...trigger, payload: { ...trigger.payload, head_commit: { message: "Break the workflow" } } });
    const run = await onlyRun(h);
    expect(run).toMatchObject({ conclusion: "failure", displayTitle: "Break the workflow" });
  });
});

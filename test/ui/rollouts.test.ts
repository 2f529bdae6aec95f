/**
 * A deployment's rollout on the Environments page, in real Chromium against
 * the real server: the steps with the current one marked, a chart per
 * metric with points coloured by phase, and the commands the user may send,
 * which reach the server's record.
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect as vitestExpect, it } from "vitest";
import type { Repository } from "../../src/store/index.js";
import { browserUnavailableReason, launchBrowser, openSignedIn, saveScreenshot, type Browser } from "../support/browser.js";
import { expect } from "./locator-expect.js";
import { seedRealServer, startRealServer, type RealServer } from "./real-server.js";
import { buildUi, removeUiBuild } from "./server.js";

const unavailable = browserUnavailableReason();
if (unavailable) console.warn(`[ui tests] skipped: ${unavailable}`);

const USER = { login: "ada", password: "correct-horse-battery" };

describe.skipIf(unavailable !== undefined)("a deployment's rollout in the web UI", () => {
  let browser: Browser;
  let server: RealServer;
  let page: Page;
  let repo: Repository;
  let rolloutId: number;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    server = await startRealServer(await buildUi());
    ({ repo } = await seedRealServer(server.store, USER.login, USER.password));
    const { store } = server;
    await store.ensureEnvironment(repo.id, "production");
    const run = await store.createRun({ repositoryId: repo.id, workflowFile: ".github/workflows/deploy.yml", workflowName: "Deploy", event: "push", headBranch: "main", headSha: "5".repeat(40), actor: USER.login });
    const [job] = await store.enqueueJobs(run.id, [{ key: "deploy", name: "deploy", labels: ["linux"] }]);
    await store.updateJob(job!.id, { status: "in_progress" });
    const deployment = await store.createDeployment({ repositoryId: repo.id, environment: "production", sha: "5".repeat(40), ref: "main", creator: USER.login, runId: run.id, jobId: job!.id, productionEnvironment: true });
    await store.addDeploymentStatus(deployment.id, { state: "in_progress" });
    const measurement = (value: number, phase: string, s: number) => ({ metric: "errors", phase, value: [value], time: new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString(), dry_run: false });
    const rollout = await store.reportRollout({
      repositoryId: repo.id,
      runId: run.id,
      jobId: job!.id,
      deploymentId: deployment.id,
      key: "0.0",
      kind: "rollout",
      target: "haproxy",
      steps: [{ kind: "setWeight", weight: 20 }, { kind: "analysis", metrics: ["errors"] }, { kind: "pause", duration_ms: null }, { kind: "setWeight", weight: 100 }],
      status: "Paused",
      currentStep: 2,
      weight: 20,
      events: [0.1, 0.4, 2.5].map((v, i) => ({ seq: i, type: "measurement", time: new Date().toISOString(), data: { step: 1, measurement: measurement(v, v > 1 ? "Inconclusive" : "Successful", i) } })),
    });
    rolloutId = rollout.id;
    browser = await launchBrowser();
    page = await browser.newPage();
    page.on("pageerror", (e) => pageErrors.push(e.message));
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await removeUiBuild();
  });

  it("shows the steps with the current one, the measurements as a chart, and sends pause and abort", async () => {
    await openSignedIn(page, server.url, "/acme/shop/environments", USER);
    const card = page.getByTestId("rollout");
    await card.waitFor();
    await expect(card.getByTestId("rollout-status")).toHaveText("Paused");
    await expect(card.getByTestId("rollout-step")).toHaveCount(4);
    await expect(card.locator('[data-testid="rollout-step"][aria-current="step"]')).toHaveText("pause until promoted");
    const chart = card.locator('[data-testid="metric-chart"][data-metric="errors"]');
    await expect(chart.locator("circle")).toHaveCount(3);
    vitestExpect(await chart.locator("circle").evaluateAll((els) => els.map((e) => `${e.getAttribute("data-phase")} ${e.getAttribute("fill")}`))).toEqual([
      "Successful #1a7f37",
      "Successful #1a7f37",
      "Inconclusive #9a6700",
    ]);
    console.log(`[ui] rollout: ${await saveScreenshot(page, "deployment-rollout")}`);
    await card.getByRole("button", { name: "Pause", exact: true }).click();
    await card.getByRole("button", { name: "Resume" }).waitFor();
    vitestExpect((await server.store.getRollout(rolloutId))?.controls.paused).toBe(true);
    await card.getByRole("button", { name: "Abort" }).click();
    await expect(card.getByRole("button", { name: "Promote", exact: true })).toHaveCount(0);
    vitestExpect((await server.store.getRollout(rolloutId))?.controls).toMatchObject({ abort: true, abortReason: "aborted by ada" });
    vitestExpect(pageErrors).toEqual([]);
  });
});

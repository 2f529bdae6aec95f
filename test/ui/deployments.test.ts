/**
 * Deployments in the web UI, in real Chromium against the real server: the
 * "Review deployments" panel on a waiting run (approve; reject with a
 * comment), the Environments tab's current deployment, rules, queue and
 * history, a rollback started from it, DORA's numbers, and both pages at
 * phone width. Runs are held for their environment the way the pipeline
 * holds them (`holdJob`, then activation as `waiting`).
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect as vitestExpect, it } from "vitest";
import { holdJob, reviewGates } from "../../src/server/index.js";
import type { Repository, Store } from "../../src/store/index.js";
import { browserUnavailableReason, launchBrowser, openSignedIn, saveScreenshot, type Browser } from "../support/browser.js";
import { sampleRequest } from "../server/helpers.js";
import { expect } from "./locator-expect.js";
import { seedRealServer, startRealServer, type RealServer } from "./real-server.js";
import { buildUi, removeUiBuild } from "./server.js";

const unavailable = browserUnavailableReason();
if (unavailable) console.warn(`[ui tests] skipped: ${unavailable}`);

const USER = { login: "ada", password: "correct-horse-battery" };
const SHA = { old: "1".repeat(40), current: "2".repeat(40), approve: "3".repeat(40), reject: "4".repeat(40) };

/** A run with one `deploy` job naming `production`, held waiting for the environment's rules. */
async function waitingRun(store: Store, repo: Repository, sha: string): Promise<{ runId: number; jobId: number }> {
  const run = await store.createRun({ repositoryId: repo.id, workflowFile: ".github/workflows/deploy.yml", workflowName: "Deploy", event: "push", headBranch: "main", headSha: sha, actor: USER.login });
  const request = { ...sampleRequest("deploy"), environment: "production", contexts: { github: { repository: "acme/shop", ref: "refs/heads/main" } } };
  const [job] = await store.enqueueJobs(run.id, [{ key: "deploy", name: "deploy", labels: ["linux"], status: "pending" }]);
  const status = await holdJob(store, job!, request, run);
  await store.activateJob(job!.id, { name: "deploy", labels: ["linux"], request, status });
  await reviewGates(store, new Date(), { runId: run.id });
  return { runId: run.id, jobId: job!.id };
}

/** A finished run whose `deploy` job deployed `sha` to production successfully. */
async function deployedRun(store: Store, repo: Repository, sha: string, url: string): Promise<{ runId: number; deploymentId: number }> {
  const run = await store.createRun({ repositoryId: repo.id, workflowFile: ".github/workflows/deploy.yml", workflowName: "Deploy", event: "push", headBranch: "main", headSha: sha, actor: USER.login });
  const [job] = await store.enqueueJobs(run.id, [{ key: "deploy", name: "deploy", labels: ["linux"] }]);
  await store.updateJob(job!.id, { status: "in_progress" });
  await store.completeJob(job!.id, { conclusion: "success" });
  await store.updateRun(run.id, { status: "completed", conclusion: "success" });
  const deployment = await store.createDeployment({ repositoryId: repo.id, environment: "production", sha, ref: "main", creator: USER.login, runId: run.id, jobId: job!.id, productionEnvironment: true });
  await store.addDeploymentStatus(deployment.id, { state: "success", environmentUrl: url });
  return { runId: run.id, deploymentId: deployment.id };
}

describe.skipIf(unavailable !== undefined)("deployments in the web UI", () => {
  let browser: Browser;
  let server: RealServer;
  let page: Page;
  let repo: Repository;
  let old: { runId: number; deploymentId: number };
  let current: { runId: number; deploymentId: number };
  let toApprove: { runId: number; jobId: number };
  let toReject: { runId: number; jobId: number };
  const pageErrors: string[] = [];

  beforeAll(async () => {
    server = await startRealServer(await buildUi());
    ({ repo } = await seedRealServer(server.store, USER.login, USER.password));
    const ada = (await server.store.getUserByLogin(USER.login))!;
    const production = await server.store.ensureEnvironment(repo.id, "production");
    await server.store.setEnvironmentProtection(production.id, { reviewers: [{ type: "User", id: ada.id }], skipReviewersOnRollback: true });
    old = await deployedRun(server.store, repo, SHA.old, "https://old.shop.example");
    current = await deployedRun(server.store, repo, SHA.current, "https://shop.example");
    // Oldest first: the deploy queue lets the older waiting job go first.
    toApprove = await waitingRun(server.store, repo, SHA.approve);
    toReject = await waitingRun(server.store, repo, SHA.reject);
    // Staging: a required check, hotfix branches and a hotfix deployment still in progress (DORA, below, counts finished ones).
    const staging = await server.store.ensureEnvironment(repo.id, "staging");
    await server.store.setEnvironmentProtection(staging.id, { requiredChecks: ["test"], hotfixBranches: ["hotfix/*"] });
    const hotfix = await server.store.createDeployment({ repositoryId: repo.id, environment: "staging", sha: SHA.current, ref: "hotfix/cart", creator: USER.login, rework: true });
    await server.store.addDeploymentStatus(hotfix.id, { state: "in_progress" });
    browser = await launchBrowser();
    page = await browser.newPage();
    page.on("pageerror", (e) => pageErrors.push(e.message));
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await removeUiBuild();
  });

  const open = (path: string): Promise<void> => openSignedIn(page, server.url, path, USER);
  const pageWidth = () => page.evaluate<{ scroll: number; inner: number }>("({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth })");
  const deploymentOf = async (jobId: number) => (await server.store.findJobDeployment(jobId))!;

  it("fits the Environments tab and a run's review panel into a 390 px wide phone screen", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    const wide: string[] = [];
    const pages = [
      {
        path: "/acme/shop/environments",
        name: "environments-phone",
        ready: async () => {
          await page.getByTestId("deployment-row").first().waitFor();
          await page.getByTestId("dora-bar").first().waitFor();
        },
      },
      { path: `/acme/shop/actions/runs/${toReject.runId}`, name: "review-deployments-phone", ready: () => page.getByTestId("pending-environment").first().waitFor() },
    ];
    for (const p of pages) {
      await open(p.path);
      await p.ready();
      console.log(`[ui] ${p.name}: ${await saveScreenshot(page, p.name, true)}`);
      const { scroll, inner } = await pageWidth();
      if (scroll > inner) wide.push(`${p.path}: ${scroll} px`);
    }
    vitestExpect(wide).toEqual([]);
    await page.setViewportSize({ width: 1280, height: 860 });
  });

  it("reaches a waiting run from the environment's queue and approves its deployment there", async () => {
    await open("/acme/shop/environments");
    const production = page.locator('[data-testid="environment"][data-environment="production"]');
    await expect(production.getByTestId("queued-deployment")).toHaveCount(2);
    await production.locator(`a[href="/acme/shop/actions/runs/${toApprove.runId}"]`).click();
    const panel = page.getByTestId("review-deployments");
    await expect(panel.getByTestId("pending-environment")).toHaveCount(1);
    await expect(panel).toContainText("production");
    await expect(panel).toContainText("ada");
    await panel.getByLabel("Comment").fill("ship it");
    await panel.getByRole("button", { name: "Approve and deploy" }).click();
    await expect(page.getByTestId("review-result")).toContainText("Approved the deployment to production");
    vitestExpect((await deploymentOf(toApprove.jobId)).state).toBe("queued");
    vitestExpect(await server.store.listReviews(toApprove.runId)).toMatchObject([{ environment: "production", login: USER.login, state: "approved", comment: "ship it" }]);
    vitestExpect((await server.store.getJob(toApprove.jobId))!.status).toBe("queued");
  });

  it("rejects a deployment with a comment, which fails the job", async () => {
    await open(`/acme/shop/actions/runs/${toReject.runId}`);
    const panel = page.getByTestId("review-deployments");
    await panel.getByTestId("pending-environment").first().waitFor();
    await panel.getByLabel("Comment").fill("not during the sale");
    await panel.getByRole("button", { name: "Reject" }).click();
    await expect(page.getByTestId("review-result")).toContainText("Rejected the deployment to production");
    vitestExpect(await server.store.listReviews(toReject.runId)).toMatchObject([{ state: "rejected", comment: "not during the sale" }]);
    vitestExpect((await deploymentOf(toReject.jobId)).state).toBe("failure");
    vitestExpect((await server.store.getJob(toReject.jobId))!.conclusion).toBe("failure");
  });

  it("shows the current deployment, the rules and the history, and rolls back to an earlier deployment after confirming", async () => {
    await open("/acme/shop/environments");
    const production = page.locator('[data-testid="environment"][data-environment="production"]');
    await expect(production.getByTestId("current-deployment")).toContainText(SHA.current.slice(0, 7));
    await expect(production.getByTestId("environment-url")).toHaveAttribute("href", "https://shop.example");
    await expect(production.getByTestId("protection-rules")).toContainText("1 approval from ada");
    await expect(production.getByTestId("protection-rules")).toContainText("Rollbacks skip reviewers");
    await expect(production.getByTestId("protection-rules")).not.toContainText("Requires");
    const staging = page.locator('[data-testid="environment"][data-environment="staging"]');
    await expect(staging.getByTestId("protection-rules")).toContainText("Requires test to pass");
    await expect(staging.getByTestId("protection-rules")).toContainText("Hotfixes from hotfix/*");
    await expect(staging.getByTestId("deployment-row").first()).toContainText("rework");
    await expect(production.getByTestId("deployment-row").first()).not.toContainText("rework");
    const rows = production.getByTestId("deployment-row");
    await expect(rows).toHaveCount(4);
    // Newest first: the rejected, the approved, the current and the replaced deployment.
    await expect(rows.nth(0)).toHaveAttribute("data-state", "failure");
    await expect(rows.nth(1)).toHaveAttribute("data-state", "queued");
    await expect(rows.nth(2)).toHaveAttribute("data-deployment", String(current.deploymentId));
    await expect(rows.nth(3)).toHaveAttribute("data-state", "inactive");
    // Only the earlier successful deployment offers a rollback.
    await expect(production.getByRole("button", { name: /^Roll back production/ })).toHaveCount(1);
    await production.getByRole("button", { name: `Roll back production to deployment ${old.deploymentId}` }).click();
    await production.getByRole("button", { name: "Cancel" }).click();
    vitestExpect((await server.store.getRun(old.runId))!.runAttempt).toBe(1);
    await production.getByRole("button", { name: `Roll back production to deployment ${old.deploymentId}` }).click();
    await production.getByRole("button", { name: "Confirm rollback" }).click();
    await expect(production).toContainText(`Rolling back production to ${SHA.old.slice(0, 7)}`);
    vitestExpect((await server.store.getRun(old.runId))!.runAttempt).toBe(2);
    vitestExpect((await server.store.listRunGates(old.runId)).filter((g) => g.rollback)).toHaveLength(1);
    console.log(`[ui] environments after a rollback: ${await saveScreenshot(page, "environments-desktop", true)}`);
  });

  it("shows DORA's numbers with their tiers and a weekly trend", async () => {
    await open("/acme/shop/environments");
    const dora = page.getByTestId("dora");
    const frequency = dora.locator('[data-metric="Deployment frequency"]');
    await expect(frequency).toContainText("2 deployments");
    await expect(frequency.getByTestId("dora-tier")).toHaveAttribute("data-tier", "medium");
    await expect(dora.locator('[data-metric="Change fail rate"]')).toContainText("1 of 3 deployments failed");
    await expect(dora.getByTestId("dora-bar")).toHaveCount(5);
    await dora.getByLabel("Period").selectOption("7");
    await expect(dora.getByTestId("dora-bar")).toHaveCount(1);
    await dora.getByLabel("Environment").selectOption("");
    await expect(frequency).toContainText("2 deployments");
    vitestExpect(pageErrors).toEqual([]);
  });
});

/**
 * The repository's Tests page in real Chromium against the real server,
 * with results stored as runners' reports would be: a test that failed and
 * then passed on the same commit is listed as flaky with the time it cost,
 * opens to its executions, and is muted from the page; the change shows in
 * its history, in the list of muted tests and in the audit log.
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect as vitestExpect, it } from "vitest";
import type { NewTestCase, Store } from "../../src/store/index.js";
import { browserUnavailableReason, launchBrowser, openSignedIn, saveScreenshot, type Browser } from "../support/browser.js";
import { expect } from "./locator-expect.js";
import { seedRealServer, startRealServer, type RealServer, type Seeded } from "./real-server.js";
import { buildUi, removeUiBuild } from "./server.js";

const unavailable = browserUnavailableReason();
if (unavailable) console.warn(`[ui tests] skipped: ${unavailable}`);

const USER = { login: "ada", password: "correct-horse-battery" };
const SHA = "7".repeat(40);

function testCase(name: string, fields: Partial<NewTestCase> = {}): NewTestCase {
  return { suite: "cart", classname: "cart.test", name, file: "src/cart.test.ts", line: null, durationMs: 12, result: "passed", flaky: false, retries: 0, message: null, stack: null, output: null, ...fields };
}

/** A completed run of SHA whose job reported `cases`. */
async function reportedRun(store: Store, seeded: Seeded, cases: NewTestCase[]) {
  const run = await store.createRun({ repositoryId: seeded.repo.id, workflowFile: ".github/workflows/ci.yml", workflowName: "CI", event: "push", headBranch: "main", headSha: SHA, actor: USER.login });
  const [job] = await store.enqueueJobs(run.id, [{ key: "test", name: "test", labels: ["linux"] }]);
  await store.saveTestCases({ jobId: job!.id, runId: run.id, attempt: 1, repositoryId: seeded.repo.id }, 0, cases);
  await store.updateRun(run.id, { status: "completed", conclusion: "success" });
}

describe.skipIf(unavailable !== undefined)("the repository's Tests page", () => {
  let browser: Browser;
  let server: RealServer;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    server = await startRealServer(await buildUi());
    const seeded = await seedRealServer(server.store, USER.login, USER.password);
    await reportedRun(server.store, seeded, [testCase("adds the item"), testCase("applies the discount", { result: "failed", durationMs: 75_000, message: "expected 90 to be 81" }), testCase("retries the payment", { flaky: true, retries: 1 })]);
    await reportedRun(server.store, seeded, [testCase("adds the item"), testCase("applies the discount")]);
    browser = await launchBrowser();
    page = await browser.newPage();
    page.on("pageerror", (e) => pageErrors.push(e.message));
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await removeUiBuild();
  });

  it("ranks flaky tests by time lost, shows a test's executions, and mutes it with the change recorded", async () => {
    await openSignedIn(page, server.url, "/acme/shop", USER);
    await page.getByRole("link", { name: "Tests", exact: true }).click();
    const rows = page.getByTestId("flaky-test");
    await expect(page.getByTestId("flaky-test-name")).toHaveText(["cart.test › applies the discount", "cart.test › retries the payment"]);
    await expect(rows.first().getByTestId("time-lost")).toContainText("1m");
    await expect(page.getByTestId("test-settings")).toContainText("last 14 days");

    await rows.first().getByRole("button").click();
    await expect(page.getByTestId("test-execution")).toHaveCount(2);
    await expect(page.getByTestId("test-history")).toContainText("Never changed");

    await rows.first().getByLabel("State of cart.test › applies the discount").selectOption("muted");
    await expect(page.getByTestId("test-state-row")).toHaveCount(1);
    await expect(page.getByTestId("test-state-row")).toContainText("by ada");
    await expect(rows.first().getByTestId("test-state")).toHaveValue("muted");
    // The open test's history reads again after the change.
    await expect(page.getByTestId("test-state-change")).toContainText("enabled → muted by ada");
    const audit = await server.store.listAudit({ action: "test.state.change" });
    vitestExpect(audit.items.map((a) => [a.actor, a.details?.to])).toEqual([["ada", "muted"]]);
    console.log(`[ui] Tests page: ${await saveScreenshot(page, "repo-tests", true)}`);
    vitestExpect(pageErrors).toEqual([]);
  });
});

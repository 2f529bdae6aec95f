/**
 * The Tests tab of the run page in real Chromium against the real server,
 * with results stored through the store as a runner's reports would be:
 * totals, the failed case first with its message and stack, the outcome
 * filter and the search narrowing the list, paging, a phone's width, and a
 * run without results showing no tab.
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect as vitestExpect, it } from "vitest";
import type { NewTestCase } from "../../src/store/index.js";
import { browserUnavailableReason, launchBrowser, openSignedIn, saveScreenshot, type Browser } from "../support/browser.js";
import { expect } from "./locator-expect.js";
import { seedRealServer, startRealServer, type RealServer, type Seeded } from "./real-server.js";
import { buildUi, removeUiBuild } from "./server.js";

const unavailable = browserUnavailableReason();
if (unavailable) console.warn(`[ui tests] skipped: ${unavailable}`);

const USER = { login: "ada", password: "correct-horse-battery" };
const FILLER = 60;

function testCase(name: string, fields: Partial<NewTestCase> = {}): NewTestCase {
  return { suite: "cart", classname: "cart.test", name, file: "src/cart.test.ts", line: null, durationMs: 12, result: "passed", flaky: false, retries: 0, message: null, stack: null, output: null, ...fields };
}

describe.skipIf(unavailable !== undefined)("Tests tab of the run page", () => {
  let browser: Browser;
  let server: RealServer;
  let seeded: Seeded;
  let page: Page;
  let emptyRunId: number;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    server = await startRealServer(await buildUi());
    seeded = await seedRealServer(server.store, USER.login, USER.password);
    const job = { jobId: seeded.testJobId, runId: seeded.runId, attempt: 1, repositoryId: seeded.repo.id };
    // The failing case comes late in the report: the page must still list it first.
    await server.store.saveTestCases(job, 0, [
      testCase("adds the item to the cart", { durationMs: 8 }),
      testCase("skips on windows", { result: "skipped" }),
      testCase("retries the payment call", { flaky: true, retries: 1, message: "socket hang up (passed on retry)" }),
      testCase("applies the discount", { result: "failed", line: 14, durationMs: 1530, message: "expected 90 to be 81", stack: "AssertionError: expected 90 to be 81\n    at src/cart.test.ts:14:5" }),
    ]);
    await server.store.saveTestCases(job, 1, Array.from({ length: FILLER }, (_, i) => testCase(`renders row ${i + 1}`, { classname: "table.test", file: "src/table.test.ts" })));
    const other = await server.store.createRun({ repositoryId: seeded.repo.id, workflowFile: ".github/workflows/ci.yml", workflowName: "CI", event: "push", headBranch: "main", headSha: "9".repeat(40), actor: USER.login });
    await server.store.updateRun(other.id, { status: "completed", conclusion: "success" });
    emptyRunId = other.id;
    browser = await launchBrowser();
    page = await browser.newPage();
    page.on("pageerror", (e) => pageErrors.push(e.message));
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await removeUiBuild();
  });

  const runPath = (runId: number) => `/acme/shop/actions/runs/${runId}`;
  const cases = () => page.getByTestId("test-case");
  const names = () => page.getByTestId("test-case-name");

  it("lists the failed case first with its message and stack, filters, searches and pages", async () => {
    await openSignedIn(page, server.url, runPath(seeded.runId), USER);
    const tab = page.getByTestId("tests-tab");
    await expect(tab).toContainText("1 failed");
    await tab.click();
    await expect(page.getByTestId("run-tests")).toBeVisible();
    vitestExpect(new URL(page.url()).searchParams.get("tab")).toBe("tests");

    const totals = page.getByTestId("test-totals");
    await expect(totals).toContainText(`${FILLER + 4} tests`);
    await expect(totals.locator('[data-total="failed"]')).toHaveText("1 failed");
    await expect(totals.locator('[data-total="skipped"]')).toHaveText("1 skipped");
    await expect(totals.locator('[data-total="flaky"]')).toHaveText("1 flaky");

    await expect(cases().first()).toHaveAttribute("data-result", "failed");
    await expect(names().first()).toHaveText("applies the discount");
    await expect(cases().first()).toContainText("src/cart.test.ts:14");
    await expect(cases().first()).toContainText("1s");
    await expect(cases().first().getByTestId("test-case-message")).toHaveText("expected 90 to be 81");
    const stack = cases().first().getByTestId("test-case-stack");
    vitestExpect(await stack.isVisible()).toBe(false);
    await cases().first().getByText("Stack trace").click();
    await expect(stack).toContainText("at src/cart.test.ts:14:5");

    // A page holds 50 cases; the rest come with "Load more".
    await expect(cases()).toHaveCount(50);
    await page.getByRole("button", { name: /^Load more/ }).click();
    await expect(cases()).toHaveCount(FILLER + 4);
    await expect(names().last()).toHaveText(`renders row ${FILLER}`);

    await page.getByRole("button", { name: /^Skipped/ }).click();
    await expect(names()).toHaveText(["skips on windows"]);
    await page.getByRole("button", { name: /^Flaky/ }).click();
    await expect(names()).toHaveText(["retries the payment call"]);
    await page.getByRole("button", { name: /^Failed/ }).click();
    await expect(names()).toHaveText(["applies the discount"]);

    await page.getByRole("button", { name: /^All/ }).click();
    const search = page.getByLabel("Search tests");
    await search.fill("DISCOUNT");
    await expect(names()).toHaveText(["applies the discount"]);
    await search.fill("table.test");
    await expect(cases()).toHaveCount(50);
    await page.getByRole("button", { name: /^Passed/ }).click();
    await search.fill("row 7");
    await expect(names()).toHaveText(["renders row 7"]);
    await search.fill("no such test");
    await expect(page.getByTestId("no-test-cases")).toHaveText("No tests match.");

    // Back on the Jobs tab the job graph is there again.
    await page.getByRole("link", { name: "Jobs" }).click();
    await expect(page.getByTestId("run-tests")).toHaveCount(0);
    await expect(page.getByTestId("job-link").first()).toBeVisible();
    vitestExpect(pageErrors).toEqual([]);
  });

  it("fits a 390 px wide phone screen", async () => {
    const phone = await browser.newPage({ width: 390, height: 844 });
    phone.on("pageerror", (e) => pageErrors.push(e.message));
    try {
      await openSignedIn(phone, server.url, `${runPath(seeded.runId)}?tab=tests`, USER);
      await phone.getByTestId("test-case").first().getByText("Stack trace").click();
      await expect(phone.getByTestId("test-case-stack").first()).toBeVisible();
      const width = await phone.evaluate<{ scroll: number; inner: number }>("({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth })");
      console.log(`[ui] Tests tab at phone width: ${await saveScreenshot(phone, "run-tests-phone", true)}`);
      vitestExpect(width.scroll).toBeLessThanOrEqual(width.inner);
    } finally {
      await phone.close();
    }
    vitestExpect(pageErrors).toEqual([]);
  });

  it("shows no Tests tab for a run without results, and says so when asked for it", async () => {
    await openSignedIn(page, server.url, runPath(emptyRunId), USER);
    await expect(page.getByTestId("run-state")).toHaveText("Succeeded");
    await page.waitForTimeout(500);
    await expect(page.getByTestId("tests-tab")).toHaveCount(0);
    await openSignedIn(page, server.url, `${runPath(emptyRunId)}?tab=tests`, USER);
    await expect(page.getByText("No test results")).toBeVisible();
    vitestExpect(pageErrors).toEqual([]);
  });
});

/**
 * GitHub parity for daily use, in real Chromium against the real server:
 * pages fit a phone, log time stamps, the step's `Run …` header, every job's
 * summary with emoji and task lists (still sanitised), no console errors for
 * an absent summary, re-run (of the run, its failed jobs, or one job) offered only where it can work, and the
 * repository's settings: added, tested, changed and deleted from the UI.
 */
import type { ConsoleMessage, Page } from "playwright-core";
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect as vitestExpect, it } from "vitest";
import { makeRepo } from "../support/git-repo.js";
import { browserUnavailableReason, launchBrowser, openSignedIn, saveScreenshot, type Browser } from "../support/browser.js";
import { expect } from "./locator-expect.js";
import { seedInvalidWorkflowRun, seedParityRun, seedRealServer, startRealServer, type ParitySeed, type RealServer, type Seeded } from "./real-server.js";
import { buildUi, removeUiBuild } from "./server.js";

const unavailable = browserUnavailableReason();
if (unavailable) console.warn(`[ui tests] skipped: ${unavailable}`);

const USER = { login: "ada", password: "correct-horse-battery" };

describe.skipIf(unavailable !== undefined)("web UI: GitHub parity for daily use", () => {
  let browser: Browser;
  let server: RealServer;
  let seeded: Seeded;
  let parity: ParitySeed;
  let invalidRunId: number;
  let page: Page;
  const pageErrors: string[] = [];
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    server = await startRealServer(await buildUi());
    seeded = await seedRealServer(server.store, USER.login, USER.password);
    parity = await seedParityRun(server.store, seeded.repo);
    invalidRunId = await seedInvalidWorkflowRun(server.store, seeded.repo);
    browser = await launchBrowser();
    page = await browser.newPage();
    page.on("pageerror", (e) => pageErrors.push(e.message));
    page.on("console", (m: ConsoleMessage) => {
      if (m.type() === "error") consoleErrors.push(`${m.text()} (${m.location().url})`);
    });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await removeUiBuild();
  });

  const open = (path: string): Promise<void> => openSignedIn(page, server.url, path, USER);
  const runPath = (runId: number, jobId?: number) => `/acme/shop/actions/runs/${runId}${jobId === undefined ? "" : `/job/${jobId}`}`;
  const pageWidth = () => page.evaluate<{ scroll: number; inner: number }>("({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth })");
  /** The outermost elements reaching past the right edge, to say what overflows. */
  const overflowing = () =>
    page.evaluate<string[]>(`[...document.querySelectorAll("body *")]
      .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 0.5 && !(el.parentElement && el.parentElement.getBoundingClientRect().right > window.innerWidth + 0.5))
      .slice(0, 5)
      .map((el) => el.tagName.toLowerCase() + (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\\s+/).join(".") : "") + " " + Math.round(el.getBoundingClientRect().right) + "px")`);

  it("fits every page into a 390 px wide phone screen", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    // The Flags tab shows its editor for an environment.
    await server.store.putEnvironment(seeded.repo.id, "production");
    const pages: Array<{ path: string; ready: () => Promise<void> }> = [
      { path: "/", ready: () => page.getByTestId("run-row").first().waitFor() },
      { path: "/acme/shop", ready: () => page.getByTestId("run-row").first().waitFor() },
      {
        path: runPath(parity.runId, parity.buildJobId),
        ready: async () => {
          await expect(page.getByTestId("log-viewer")).toHaveAttribute("data-stream", "ended");
          await page.locator(".step-name", { hasText: parity.longStepName.slice(0, 30) }).waitFor();
          await page.locator(".log-line", { hasText: parity.longLogToken.slice(0, 20) }).first().waitFor();
        },
      },
      { path: runPath(seeded.runId, seeded.testJobId), ready: () => page.getByTestId("annotation").first().waitFor() },
      { path: "/acme/shop/workflows", ready: () => page.locator("main h2").first().waitFor() },
      { path: "/acme/shop/runners", ready: () => page.locator("main h2").first().waitFor() },
      { path: "/acme/shop/secrets", ready: () => page.getByRole("heading", { name: /Variables/ }).first().waitFor() },
      { path: "/acme/shop/settings", ready: () => page.getByTestId("webhook-urls").waitFor() },
      { path: "/acme/shop/flags", ready: () => page.getByRole("heading", { name: "Flag set (flagd JSON)" }).waitFor() },
      { path: "/settings", ready: () => page.locator("main h1").first().waitFor() },
      { path: "/new", ready: () => page.getByRole("button", { name: "Add repository" }).waitFor() },
    ];
    const wide: string[] = [];
    for (const p of pages) {
      await open(p.path);
      await p.ready();
      const { scroll, inner } = await pageWidth();
      if (scroll > inner) wide.push(`${p.path}: ${scroll} px (${(await overflowing()).join(", ")})`);
      if (p.path === runPath(parity.runId, parity.buildJobId)) console.log(`[ui] run page at phone width: ${await saveScreenshot(page, "run-page-phone", true)}`);
    }
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("button", { name: "Sign in" }).waitFor();
    const { scroll, inner } = await pageWidth();
    if (scroll > inner) wide.push(`sign-in: ${scroll} px (${(await overflowing()).join(", ")})`);
    expect(wide).toEqual([]);
    await page.setViewportSize({ width: 1280, height: 860 });
  });

  it("shows time stamps in the log when asked, and remembers the choice", async () => {
    await page.evaluate("localStorage.removeItem('slipway.log.timestamps')");
    await open(runPath(parity.runId, parity.buildJobId));
    const step = page.locator('[data-testid="step"][data-state="failure"]');
    await step.locator(".log-line").first().waitFor();
    const toggle = page.getByRole("checkbox", { name: "Show timestamps" });
    await expect(toggle).not.toBeChecked();
    expect(await step.locator(".log-line time").count()).toBe(0);
    await toggle.check();
    // The lines carry no time of their own: each shows when its step started.
    const stamp = step.locator(".log-line time").first();
    await expect(stamp).toHaveAttribute("datetime", parity.failedStepStartedAt);
    const expected = await page.evaluate((iso) => new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" }), parity.failedStepStartedAt);
    await expect(stamp).toHaveText(expected);
    await page.reload();
    await expect(page.getByRole("checkbox", { name: "Show timestamps" })).toBeChecked();
    await expect(page.locator('[data-testid="step"][data-state="failure"] .log-line time').first()).toHaveAttribute("datetime", parity.failedStepStartedAt);
    await page.getByRole("checkbox", { name: "Show timestamps" }).uncheck();
    expect(await page.evaluate<string | null>("localStorage.getItem('slipway.log.timestamps')")).toBe("false");
  });

  it("renders the step's `Run …` group as the step's header, with its script, shell and env", async () => {
    await open(runPath(parity.runId, parity.buildJobId));
    const step = page.locator('[data-testid="step"][data-state="failure"]');
    const header = step.getByTestId("step-header");
    await expect(header).toContainText("Run npm test");
    const toggle = header.getByRole("button", { name: /Run npm test/ });
    await expect(toggle).toHaveAttribute("aria-expanded", "false");
    await toggle.press("Enter");
    await expect(header).toContainText("shell: /usr/bin/bash -e {0}");
    await expect(header).toContainText("CI: true");
    // The output after the header is not part of it.
    expect(await header.getByText("> vitest run").count()).toBe(0);
    await expect(step.locator(".log-line", { hasText: "> vitest run" })).toHaveCount(1);
  });

  it("shows every job's summary under its job's name, with emoji and task lists, and nothing unsafe", async () => {
    await open(runPath(parity.runId, parity.buildJobId));
    const summaries = page.getByTestId("job-summary");
    await expect(summaries).toHaveCount(2);
    await expect(summaries.locator("h3")).toHaveText(["build summary", "test summary"]);
    const build = summaries.nth(0);
    await expect(build).toContainText("Shipped 🚀 and 👍");
    await expect(build).toContainText(":not_an_emoji:");
    await expect(build.locator("code", { hasText: ":rocket:" })).toHaveCount(1);
    const boxes = build.locator('li > input[type="checkbox"]');
    await expect(boxes).toHaveCount(3);
    await expect(boxes.nth(0)).toBeChecked();
    await expect(boxes.nth(1)).not.toBeChecked();
    // A checkbox written as raw HTML stays too, disabled like the task list's and without its handler.
    const allBoxes = build.locator('input[type="checkbox"]');
    await expect(allBoxes).toHaveCount(4);
    for (let i = 0; i < 4; i++) await expect(allBoxes.nth(i)).toBeDisabled();
    expect(await build.locator("input:not([type=checkbox]), script, iframe, form, object, embed, svg, [style]").count()).toBe(0);
    expect(await build.locator('a[href^="javascript"], [src^="javascript"]').count()).toBe(0);
    const handlers = await build.evaluate((el) => [...el.querySelectorAll("*")].flatMap((n) => [...n.attributes].map((a) => a.name)).filter((a) => a.startsWith("on")));
    expect(handlers).toEqual([]);
    const inputAttributes = await build.evaluate((el) => [...el.querySelectorAll("input")].flatMap((n) => [...n.attributes].map((a) => a.name)));
    expect(new Set(inputAttributes)).toEqual(new Set(["type", "disabled", ...(inputAttributes.includes("checked") ? ["checked"] : [])]));
    await expect(summaries.nth(1)).toContainText("All 12 tests passed 🎉");
    expect(await page.evaluate<unknown>("window.__pwned")).toBeUndefined();
    expect(pageErrors).toEqual([]);
  });

  it("logs no console errors on a run page whose jobs have no summary", async () => {
    consoleErrors.length = 0;
    await open(runPath(seeded.runId, seeded.testJobId));
    await expect(page.getByTestId("log-viewer")).toHaveAttribute("data-stream", "ended");
    await page.getByTestId("annotation").first().waitFor();
    // Summaries and annotations are asked for once the jobs are known; give them time to answer.
    await page.waitForTimeout(1500);
    expect(await page.getByTestId("job-summary").count()).toBe(0);
    expect(consoleErrors).toEqual([]);
  });

  it("offers no re-run for a run whose workflow file is invalid, and does for a failed run", async () => {
    await open(runPath(invalidRunId));
    await expect(page.getByTestId("run-state")).toHaveText("Failed");
    await page.getByTestId("job-link").first().waitFor();
    await expect(page.getByTestId("workflow-invalid")).toContainText("workflow file is invalid");
    expect(await page.getByRole("button", { name: /Re-run/ }).count()).toBe(0);

    await open(runPath(seeded.runId));
    await expect(page.getByRole("button", { name: "Re-run all jobs" })).toBeVisible();
    await expect(page.getByRole("button", { name: "Re-run failed jobs" })).toBeVisible();
    // A job's page offers that job alone (with the jobs that need it), as GitHub's job menu does.
    await open(runPath(seeded.runId, seeded.testJobId));
    await expect(page.getByRole("button", { name: "Re-run this job" })).toHaveAttribute("title", "Re-run test and the jobs that need it");
    await open(runPath(invalidRunId));
    expect(await page.getByRole("button", { name: "Re-run this job" }).count()).toBe(0);
  });

  it("shows the repository's URL, default branch and polling interval, and deletes it after confirmation", async () => {
    const other = await server.store.createRepository({ owner: "acme", name: "old-site", gitUrl: "https://git.example/acme/old-site.git", defaultBranch: "trunk", pollingIntervalSeconds: 300 });
    await open(`/${other.fullName}/settings`);
    const facts = page.getByTestId("repo-facts");
    await expect(facts).toContainText("https://git.example/acme/old-site.git");
    await expect(facts).toContainText("trunk");
    await expect(facts).toContainText("every 5 minutes");
    await open("/acme/shop/settings");
    await expect(page.getByTestId("repo-facts")).toContainText("not polled");

    await open(`/${other.fullName}/settings`);
    await page.getByRole("button", { name: "Delete this repository" }).click();
    const confirm = page.getByLabel(`Type ${other.fullName} to confirm`);
    const remove = page.getByRole("button", { name: "Delete acme/old-site" });
    await expect(remove).toBeDisabled();
    await confirm.fill("acme/old");
    await expect(remove).toBeDisabled();
    await confirm.fill(other.fullName);
    await remove.click();
    await vitestExpect.poll(() => new URL(page.url()).pathname).toBe("/");
    await expect(page.locator(".repo-list a")).toHaveText(["acme/shop"]);
    vitestExpect(await server.store.getRepositoryByName("acme", "old-site")).toBeNull();
  });

  it("adds a repository from the UI, tests its connection, and changes its polling", async () => {
    const source = makeRepo({ "README.md": "added from the UI\n" });
    await open("/");
    await page.getByRole("link", { name: "New", exact: true }).click();
    await page.getByLabel("Name").fill("added");
    await page.getByLabel("Git URL").fill(source);
    await page.getByRole("button", { name: "Add repository" }).click();
    await expect(page.locator("main h1")).toHaveText("ada/added added");
    await expect(page.getByRole("status").filter({ hasText: "reached the repository" })).toContainText("default branch main");
    await expect(page.getByTestId("webhook-secret")).toHaveText(/\S{16,}/);
    vitestExpect((await server.store.getRepositoryByName("ada", "added"))?.gitUrl).toBe(source);

    await page.getByRole("link", { name: "Settings" }).last().click();
    await page.getByRole("button", { name: "Edit" }).click();
    await page.getByLabel("Poll every (seconds)").fill("300");
    await page.getByRole("button", { name: "Save" }).click();
    await expect(page.getByTestId("repo-facts")).toContainText("every 5 minutes");
    await expect(page.getByRole("status").filter({ hasText: "reached the repository" })).toBeVisible();
    vitestExpect((await server.store.getRepositoryByName("ada", "added"))?.pollingIntervalSeconds).toBe(300);

    rmSync(source, { recursive: true, force: true });
    await page.getByRole("button", { name: "Test connection" }).click();
    await expect(page.getByRole("alert")).toContainText("cannot fetch");
  });
});

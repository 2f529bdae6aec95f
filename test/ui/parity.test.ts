/**
 * GitHub parity for daily use, in real Chromium against the real server:
 * pages fit a phone, log time stamps, the step's `Run …` header, every job's
 * summary with emoji and task lists (still sanitised), no console errors for
 * an absent summary, re-run offered only where it can work, and the
 * repository's settings.
 */
import type { ConsoleMessage, Page } from "playwright-core";
import { afterAll, beforeAll, describe, it } from "vitest";
import { browserUnavailableReason, launchBrowser, openSignedIn, saveScreenshot, type Browser } from "../support/browser.js";
import { expect } from "./locator-expect.js";
import { seedParityRun, seedRealServer, startRealServer, type ParitySeed, type RealServer, type Seeded } from "./real-server.js";
import { buildUi, removeUiBuild } from "./server.js";

const unavailable = browserUnavailableReason();
if (unavailable) console.warn(`[ui tests] skipped: ${unavailable}`);

const USER = { login: "ada", password: "correct-horse-battery" };

describe.skipIf(unavailable !== undefined)("web UI: GitHub parity for daily use", () => {
  let browser: Browser;
  let server: RealServer;
  let seeded: Seeded;
  let parity: ParitySeed;
  let page: Page;
  const pageErrors: string[] = [];
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    server = await startRealServer(await buildUi());
    seeded = await seedRealServer(server.store, USER.login, USER.password);
    parity = await seedParityRun(server.store, seeded.repo);
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
      { path: "/settings", ready: () => page.locator("main h1").first().waitFor() },
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
});

/**
 * The run page's job graph in real headless Chromium against the fake API:
 * cards per workflow job in dependency columns, `needs` edges drawn between
 * the right cards, an expandable matrix, keyboard selection, the list a
 * phone gets instead, and the header of an earlier attempt.
 */
import type { Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect as vitestExpect, it } from "vitest";
import { expect } from "./locator-expect.js";
import { browserUnavailableReason, launchBrowser, saveScreenshot, type Browser } from "../support/browser.js";
import { ADMIN, buildUi, removeUiBuild, startServer, type TestServer } from "./server.js";

const unavailable = browserUnavailableReason();
if (unavailable) console.warn(`[ui tests] skipped: ${unavailable}`);

interface EdgeGeometry {
  from: string;
  to: string;
  start: { x: number; y: number };
  end: { x: number; y: number };
  source: { left: number; right: number; top: number; bottom: number };
  target: { left: number; right: number; top: number; bottom: number };
}

/** Every drawn edge with its endpoints and the boxes of the cards it names, in page coordinates. */
function edgeGeometry(page: Page): Promise<EdgeGeometry[]> {
  return page.evaluate(`(() => {
    const box = (el) => { const r = el.getBoundingClientRect(); return { left: r.left, right: r.right, top: r.top, bottom: r.bottom }; };
    return [...document.querySelectorAll('[data-testid="graph-edge"]')].map((path) => {
      const svg = path.ownerSVGElement.getBoundingClientRect();
      const a = path.getPointAtLength(0);
      const b = path.getPointAtLength(path.getTotalLength());
      const card = (key) => document.querySelector('[data-testid="job-group"][data-key="' + key + '"]');
      return {
        from: path.dataset.from, to: path.dataset.to,
        start: { x: svg.left + a.x, y: svg.top + a.y }, end: { x: svg.left + b.x, y: svg.top + b.y },
        source: box(card(path.dataset.from)), target: box(card(path.dataset.to)),
      };
    });
  })()`);
}

function expectAttached(edges: EdgeGeometry[]): void {
  for (const e of edges) {
    // Leaves the needed card's right side and enters the needing card's left side, beside their headers.
    vitestExpect(Math.abs(e.start.x - e.source.right), `${e.from}->${e.to} start`).toBeLessThanOrEqual(1.5);
    vitestExpect(Math.abs(e.end.x - e.target.left), `${e.from}->${e.to} end`).toBeLessThanOrEqual(1.5);
    vitestExpect(e.start.y).toBeGreaterThan(e.source.top);
    vitestExpect(e.start.y).toBeLessThan(Math.min(e.source.bottom, e.source.top + 44));
    vitestExpect(e.end.y).toBeGreaterThan(e.target.top);
    vitestExpect(e.end.y).toBeLessThan(Math.min(e.target.bottom, e.target.top + 44));
  }
}

describe.skipIf(unavailable !== undefined)("web UI: the job graph", () => {
  let browser: Browser;
  let server: TestServer;
  let page: Page;
  let uiDir: string;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    uiDir = await buildUi();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await removeUiBuild();
  });
  beforeEach(async () => {
    server = await startServer(uiDir);
    page = await browser.newPage();
    pageErrors.length = 0;
    page.on("pageerror", (e) => pageErrors.push(e.message));
  });
  afterEach(async () => {
    await page.close();
    await server.close();
    expect(pageErrors).toEqual([]);
  });

  async function signIn(p: Page, path: string): Promise<void> {
    await p.goto(server.url + path);
    await p.getByLabel("Login").fill(ADMIN.login);
    await p.getByLabel("Password").fill(ADMIN.password);
    await p.getByRole("button", { name: "Sign in" }).click();
    await p.getByRole("button", { name: "Sign out" }).waitFor();
  }

  function runIdOf(title: string): number {
    const run = server.fake.runs.find((r) => r.display_title === title);
    if (!run) throw new Error(`no fixture run ${title}`);
    return run.id;
  }

  it("lays out jobs in dependency columns with a matrix card and draws each needs edge between the right cards", async () => {
    await signIn(page, `/acme/api/actions/runs/${runIdOf("Release 2.4")}`);
    const groups = page.getByTestId("job-group");
    await expect(groups).toHaveCount(7);
    const stages = Object.fromEntries(await groups.evaluateAll((els) => els.map((el) => [el.getAttribute("data-key"), Number(el.getAttribute("data-stage"))])));
    vitestExpect(stages).toEqual({ build: 0, docs: 0, e2e: 1, lint: 1, test: 1, package: 2, deploy: 3 });

    const edges = page.getByTestId("graph-edge");
    await expect(edges).toHaveCount(7);
    const pairs = await edges.evaluateAll((els) => els.map((el) => `${el.getAttribute("data-from")}->${el.getAttribute("data-to")}`).sort());
    vitestExpect(pairs).toEqual(["build->e2e", "build->lint", "build->test", "e2e->deploy", "lint->package", "package->deploy", "test->package"]);
    expectAttached(await edgeGeometry(page));

    // The matrix is one card with its legs and their states; the failed leg is selected and its edges stand out.
    const matrix = groups.filter({ hasText: "4 legs" });
    await expect(matrix).toHaveAttribute("data-key", "test");
    await expect(matrix.getByTestId("job-link")).toHaveCount(4);
    await expect(matrix.locator('[data-testid="job-link"][data-state="failure"]')).toHaveText(/test \(windows, 22\)/);
    await expect(matrix).toHaveClass(/is-selected/);
    await expect(page.locator(".job-panel-head h2")).toHaveText(/test \(windows, 22\)/);
    const active = await page.locator(".graph-edge.is-active").evaluateAll((els) => els.map((el) => `${el.getAttribute("data-from")}->${el.getAttribute("data-to")}`).sort());
    vitestExpect(active).toEqual(["build->test", "test->package"]);
    // The card names each leg's duration and the job's state for screen readers.
    await expect(page.locator('[data-key="docs"]').getByRole("link", { name: /^docs\s*,\s*Succeeded\s*,\s*\d+s$/ })).toHaveCount(1);
    await expect(groups.filter({ hasText: "deploy to production" })).toContainText("needs package, e2e");
    await page.mouse.move(0, 0);
    await saveScreenshot(page, "job-graph");

    // Collapsing the matrix hides its legs and the edges follow the shorter card.
    const toggle = matrix.getByRole("button", { name: /test/ });
    await expect(toggle).toHaveAttribute("aria-expanded", "true");
    const tall = (await matrix.boundingBox())!.height;
    await toggle.click();
    await expect(toggle).toHaveAttribute("aria-expanded", "false");
    await vitestExpect.poll(async () => (await matrix.boundingBox())!.height).toBeLessThan(tall - 100);
    vitestExpect(await matrix.getByTestId("job-link").first().isVisible()).toBe(false);
    expectAttached(await edgeGeometry(page));
    await toggle.click();
    await expect(toggle).toHaveAttribute("aria-expanded", "true");

    // Selecting a card opens that job's log.
    await page.locator('[data-key="e2e"]').getByTestId("job-link").click();
    await expect(page.locator(".job-panel-head h2")).toHaveText(/e2e/);
    await expect(page.getByTestId("step")).toHaveCount(4);
    await expect(page.locator('[data-key="e2e"]')).toHaveClass(/is-selected/);

    await page.emulateMedia({ colorScheme: "dark" });
    await page.mouse.move(0, 0);
    await saveScreenshot(page, "job-graph-dark");
  });

  it("keeps a run of thirty jobs readable: chains side by side without crossings, a long matrix collapsed", async () => {
    await signIn(page, `/acme/api/actions/runs/${runIdOf("Monorepo build")}`);
    const groups = page.getByTestId("job-group");
    await expect(groups).toHaveCount(21);
    await expect(page.getByTestId("graph-edge")).toHaveCount(29);
    expectAttached(await edgeGeometry(page));
    // Tests are declared in the reverse order of their builds; the layout lines each test up with its build.
    const tops = await groups.evaluateAll((els) => els.map((el) => [el.getAttribute("data-key"), el.getBoundingClientRect().top] as const));
    const top = new Map(tops);
    const builds = tops.filter(([k]) => k?.startsWith("build-")).sort((a, b) => a[1] - b[1]).map(([k]) => k!.slice("build-".length));
    const tests = tops.filter(([k]) => k?.startsWith("test-")).sort((a, b) => a[1] - b[1]).map(([k]) => k!.slice("test-".length));
    vitestExpect(tests).toEqual(builds);
    vitestExpect(top.get("test-core")).toBeLessThan(top.get("test-infra")!);
    // Six legs start collapsed behind their count, and open on request.
    const lint = page.locator('[data-key="lint"]');
    await expect(lint).toContainText("6 legs");
    await expect(lint.getByRole("button")).toHaveAttribute("aria-expanded", "false");
    vitestExpect(await lint.getByTestId("job-link").first().isVisible()).toBe(false);
    await page.mouse.move(0, 0);
    await saveScreenshot(page, "job-graph-large", true);
    await lint.getByRole("button").click();
    await expect(lint.getByTestId("job-link").first()).toBeVisible();
    await expect(lint.getByRole("button")).toHaveAttribute("aria-expanded", "true");
    expectAttached(await edgeGeometry(page));
  });

  it("scrolls the graph sideways when it is wider than the page, not the page", async () => {
    await page.setViewportSize({ width: 860, height: 800 });
    await signIn(page, `/acme/api/actions/runs/${runIdOf("Release 2.4")}`);
    await expect(page.getByTestId("graph-edge")).toHaveCount(7);
    const scroll = page.locator(".graph-scroll");
    const [scrollWidth, clientWidth] = await scroll.evaluate((el) => [el.scrollWidth, el.clientWidth]);
    vitestExpect(scrollWidth).toBeGreaterThan(clientWidth);
    vitestExpect(await page.evaluate<number>("document.documentElement.scrollWidth - window.innerWidth")).toBeLessThanOrEqual(0);
  });

  it("selects a job from the keyboard, moving between columns with the arrow keys", async () => {
    await signIn(page, `/acme/api/actions/runs/${runIdOf("Release 2.4")}`);
    await expect(page.getByTestId("graph-edge")).toHaveCount(7);
    const lint = page.locator('[data-key="lint"]').getByTestId("job-link");
    await lint.focus();
    const focusedKey = () => page.evaluate<string | undefined>(`document.activeElement?.closest('[data-testid="job-group"]')?.dataset.key`);
    await page.keyboard.press("ArrowRight");
    await vitestExpect.poll(focusedKey).toBe("package");
    await page.keyboard.press("ArrowRight");
    await vitestExpect.poll(focusedKey).toBe("deploy");
    await page.keyboard.press("ArrowLeft");
    await vitestExpect.poll(focusedKey).toBe("package");
    await page.keyboard.press("Enter");
    await expect(page.locator(".job-panel-head h2")).toHaveText(/package/);
    const packageId = server.fake.runs.find((r) => r.display_title === "Release 2.4")!.jobs.find((j) => j.key === "package")!.id;
    vitestExpect(new URL(page.url()).pathname).toBe(`/acme/api/actions/runs/${runIdOf("Release 2.4")}/job/${packageId}`);
    await expect(page.locator('[data-key="package"]')).toHaveClass(/is-selected/);
    // Up and down stay in a column; Tab reaches the same buttons and links in order.
    await lint.focus();
    await page.keyboard.press("ArrowUp");
    await vitestExpect.poll(focusedKey).not.toBe("lint");
    vitestExpect(await page.evaluate<string | undefined>(`document.activeElement?.closest('[data-testid="job-group"]')?.dataset.stage`)).toBe("1");
    await page.keyboard.press("Enter");
    await expect(page.locator(".job-panel-head h2")).not.toContainText("package");
  });

  it("falls back to a list with the needs in words on a phone", async () => {
    const phone = await browser.newPage({ width: 390, height: 844 });
    phone.on("pageerror", (e) => pageErrors.push(e.message));
    await signIn(phone, `/acme/api/actions/runs/${runIdOf("Release 2.4")}`);
    const groups = phone.getByTestId("job-group");
    await expect(groups).toHaveCount(7);
    vitestExpect(await phone.locator(".graph-edges").isVisible()).toBe(false);
    // In stage order, one under the other, each as wide as the list.
    const boxes = await groups.evaluateAll((els) => els.map((el) => ({ key: el.getAttribute("data-key"), ...JSON.parse(JSON.stringify(el.getBoundingClientRect())) })));
    vitestExpect(boxes.map((b) => b.key)).toEqual(["build", "docs", "e2e", "lint", "test", "package", "deploy"]);
    for (let i = 1; i < boxes.length; i++) vitestExpect(boxes[i].top).toBeGreaterThanOrEqual(boxes[i - 1].bottom);
    vitestExpect(new Set(boxes.map((b) => Math.round(b.left))).size).toBe(1);
    await expect(phone.locator('[data-key="e2e"] .needs')).toBeVisible();
    await expect(phone.locator('[data-key="e2e"] .needs')).toHaveText("needs build");
    await expect(phone.locator('[data-key="package"] .needs')).toHaveText("needs test, lint");
    vitestExpect(await phone.evaluate<number>("document.documentElement.scrollWidth - window.innerWidth")).toBeLessThanOrEqual(0);
    await phone.locator('[data-key="e2e"]').getByTestId("job-link").click();
    await expect(phone.locator(".job-panel-head h2")).toHaveText(/e2e/);
    await phone.evaluate("window.scrollTo(0, 0)");
    await saveScreenshot(phone, "job-graph-phone");
    await phone.close();
  });

  it("shows an earlier attempt's own state in the header, not the latest attempt's", async () => {
    const runId = runIdOf("Retry the flaky upload");
    await signIn(page, `/acme/api/actions/runs/${runId}`);
    await expect(page.getByTestId("run-state")).toHaveText("Succeeded");
    await expect(page.locator(".run-sub")).toContainText("attempt 2");
    await page.getByLabel("Attempt").selectOption("1");
    await expect(page.getByText("Showing attempt #1 of 2.")).toBeVisible();
    await expect(page.getByTestId("run-state")).toHaveText("Failed");
    await expect(page.getByTestId("run-page")).toHaveAttribute("data-state", "failure");
    await expect(page.locator(".run-sub")).toContainText("attempt 1");
    const number = server.fake.runs.find((r) => r.id === runId)!.run_number;
    await vitestExpect.poll(() => page.title()).toBe(`Failed: Retry the flaky upload #${number} · acme/api · Slipway`);
    await expect(page.locator('[data-testid="step"][data-state="failure"]')).toContainText("Upload");
    await saveScreenshot(page, "run-earlier-attempt");
    await page.getByRole("link", { name: "Go to the latest attempt" }).click();
    await expect(page.getByTestId("run-state")).toHaveText("Succeeded");
    await expect(page.locator(".run-sub")).toContainText("attempt 2");
  });
});

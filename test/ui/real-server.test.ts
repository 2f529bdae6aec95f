/**
 * The UI against the real server's API (sign-in, repositories, runs, jobs,
 * the SSE log stream, secrets): the shapes the fake imitates, checked at the
 * source.
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect as vitestExpect, it } from "vitest";
import { browserUnavailableReason, launchBrowser, saveScreenshot, type Browser, openSignedIn } from "../support/browser.js";
import { expect } from "./locator-expect.js";
import { startLiveJob, startRealServer, seedRealServer, type RealServer, type Seeded } from "./real-server.js";
import { buildUi, removeUiBuild } from "./server.js";

const unavailable = browserUnavailableReason();
if (unavailable) console.warn(`[ui tests] skipped: ${unavailable}`);

const LOGIN = "ada";
const PASSWORD = "correct-horse-battery";

describe.skipIf(unavailable !== undefined)("web UI against the real server", () => {
  let browser: Browser;
  let server: RealServer;
  let seeded: Seeded;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    server = await startRealServer(await buildUi());
    seeded = await seedRealServer(server.store, LOGIN, PASSWORD);
    browser = await launchBrowser();
    page = await browser.newPage();
    page.on("pageerror", (e) => pageErrors.push(e.message));
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await removeUiBuild();
  });

  const open = (path: string): Promise<void> => openSignedIn(page, server.url, path, { login: LOGIN, password: PASSWORD });


  it("signs in with a real session and shows the repository's runs", async () => {
    await page.goto(`${server.url}/`);
    await page.getByLabel("Login").fill(LOGIN);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByTestId("user-login")).toHaveText(LOGIN);
    await expect(page.locator(".repo-list a")).toHaveText(["acme/shop"]);
    const row = page.getByTestId("run-row");
    await expect(row).toHaveCount(1);
    await expect(row).toHaveAttribute("data-state", "failure");
    await expect(row).toContainText("0123456");
    expect(await page.evaluate<string>("document.cookie")).not.toContain("slipway_session");
    expect(pageErrors).toEqual([]);
  });

  it("opens the run and reads the failed job's log over the real event stream", async () => {
    await open(`/acme/shop/actions/runs/${seeded.runId}`);
    await expect(page.getByTestId("run-state")).toHaveText("Failed");
    await expect(page.getByTestId("job-link")).toHaveCount(2);
    await vitestExpect.poll(() => new URL(page.url()).pathname).toBe(`/acme/shop/actions/runs/${seeded.runId}/job/${seeded.testJobId}`);
    await expect(page.getByTestId("log-viewer")).toHaveAttribute("data-stream", "ended");
    const failed = page.locator('[data-testid="step"][data-state="failure"]');
    await expect(failed).toContainText("Run tests");
    await expect(failed.locator(".ansi-bold")).toHaveText("> vitest run");
    await expect(page.getByTestId("annotation")).toContainText("src/cart.ts:7");
    await saveScreenshot(page, "real-server-run");
    expect(pageErrors).toEqual([]);
  });

  it("follows a running job's log over the real event stream until it ends", async () => {
    const live = await startLiveJob(server.store, seeded.repo, 8, 150);
    await open(`/acme/shop/actions/runs/${live.runId}`);
    await expect(page.getByTestId("run-state")).toHaveText("In progress");
    await expect(page.getByTestId("log-viewer")).toHaveAttribute("data-stream", "live");
    await live.done;
    await expect(page.getByTestId("log-viewer")).toHaveAttribute("data-stream", "ended", { timeout: 15_000 });
    await expect(page.getByTestId("run-state")).toHaveText("Succeeded", { timeout: 10_000 });
    const step = page.getByTestId("step");
    if ((await step.getByRole("button").first().getAttribute("aria-expanded")) === "false") await step.getByRole("button").first().press("Enter");
    await expect(step.locator(".lt")).toHaveText(Array.from({ length: 8 }, (_, i) => `live line ${i + 1}`));
    expect(pageErrors).toEqual([]);
  });

  it("sets a secret on the real server and lists it without its value", async () => {
    const value = "real-server-secret-value-42";
    await open("/acme/shop/secrets");
    await page.getByLabel("Name").fill("NPM_TOKEN");
    await page.getByLabel("Value").fill(value);
    await page.getByRole("button", { name: "Save secret" }).click();
    await expect(page.getByTestId("secret")).toContainText("NPM_TOKEN");
    expect(await page.content()).not.toContain(value);
    const listed = await page.evaluate<string>("fetch('/api/v3/repos/acme/shop/actions/secrets').then((r) => r.text())");
    expect(listed).toContain("NPM_TOKEN");
    expect(listed).not.toContain(value);
    expect(pageErrors).toEqual([]);
  });

  it("sets, edits and lists a configuration variable with its value next to the secrets, by keyboard", async () => {
    await open("/acme/shop/secrets");
    await expect(page.getByText("No variables yet")).toBeVisible();
    const newButton = page.getByRole("button", { name: "New variable" });
    await newButton.focus();
    await page.keyboard.press("Enter");
    const focused = (locator: ReturnType<Page["getByLabel"]>) => vitestExpect.poll(() => locator.evaluate((el) => el === el.ownerDocument.activeElement)).toBe(true);
    await focused(page.getByLabel("Variable name"));
    await page.keyboard.type("greeting");
    await page.keyboard.press("Tab");
    await page.keyboard.type("hello world");
    await page.getByRole("button", { name: "Save variable" }).press("Enter");
    await expect(page.getByText("Saved variable GREETING.")).toBeVisible();
    const row = page.getByTestId("variable");
    await expect(row).toHaveCount(1);
    await expect(row.locator("code.secret-name")).toHaveText("GREETING");
    await expect(row.getByTestId("variable-value")).toHaveText("hello world");

    await page.getByRole("button", { name: "Edit variable GREETING" }).press("Enter");
    await expect(page.getByLabel("Variable name")).toHaveValue("GREETING");
    await page.getByLabel("Variable value").fill("bonjour");
    await page.getByRole("button", { name: "Save variable" }).click();
    await expect(row.getByTestId("variable-value")).toHaveText("bonjour");
    const listed = JSON.parse(await page.evaluate<string>("fetch('/api/v3/repos/acme/shop/actions/variables').then((r) => r.text())"));
    vitestExpect(listed.variables.map((v: { name: string; value: string }) => [v.name, v.value])).toEqual([["GREETING", "bonjour"]]);

    // Escape closes the form and gives focus back to the button that opened it; a bad name is explained before saving.
    await newButton.press("Enter");
    await page.keyboard.type("github_x");
    await expect(page.getByText("Names starting with GITHUB_ are reserved.")).toBeVisible();
    await vitestExpect.poll(() => page.getByRole("button", { name: "Save variable" }).isDisabled()).toBe(true);
    await page.keyboard.press("Escape");
    await expect(page.getByLabel("Variable name")).toHaveCount(0);
    await focused(newButton);
    await saveScreenshot(page, "real-server-variables");
    expect(pageErrors).toEqual([]);
  });
});

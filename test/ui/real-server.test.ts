/**
 * The UI against the real server's API (sign-in, repositories, runs, jobs,
 * the SSE log stream, secrets): the shapes the fake imitates, checked at the
 * source.
 */
import type { Page } from "playwright-core";
import { describe, expect as vitestExpect, it } from "vitest";
import { browserUnavailableReason, saveScreenshot, openSignedIn } from "../support/browser.js";
import { useBrowserSuite } from "./browser-suite.js";
import { expect } from "./locator-expect.js";
import { startLiveJob, startRealServer, seedRealServer, type Seeded } from "./real-server.js";

const unavailable = browserUnavailableReason();
if (unavailable) console.warn(`[ui tests] skipped: ${unavailable}`);

const LOGIN = "ada";
const PASSWORD = "correct-horse-battery";

describe.skipIf(unavailable !== undefined)("web UI against the real server", () => {
  let seeded: Seeded;
  const ui = useBrowserSuite(async (uiDir) => {
    const server = await startRealServer(uiDir);
    seeded = await seedRealServer(server.store, LOGIN, PASSWORD);
    return server;
  });

  const open = (path: string): Promise<void> => openSignedIn(ui.page, ui.server.url, path, { login: LOGIN, password: PASSWORD });


  it("signs in with a real session and shows the repository's runs", async () => {
    await ui.page.goto(`${ui.server.url}/`);
    await ui.page.getByLabel("Login").fill(LOGIN);
    await ui.page.getByLabel("Password").fill(PASSWORD);
    await ui.page.getByRole("button", { name: "Sign in" }).click();
    await expect(ui.page.getByTestId("user-login")).toHaveText(LOGIN);
    await expect(ui.page.locator(".repo-list a")).toHaveText(["acme/shop"]);
    const row = ui.page.getByTestId("run-row");
    await expect(row).toHaveCount(1);
    await expect(row).toHaveAttribute("data-state", "failure");
    await expect(row).toContainText("0123456");
    expect(await ui.page.evaluate<string>("document.cookie")).not.toContain("slipway_session");
    expect(ui.pageErrors).toEqual([]);
  });

  it("opens the run and reads the failed job's log over the real event stream", async () => {
    await open(`/acme/shop/actions/runs/${seeded.runId}`);
    await expect(ui.page.getByTestId("run-state")).toHaveText("Failed");
    await expect(ui.page.getByTestId("job-link")).toHaveCount(2);
    await vitestExpect.poll(() => new URL(ui.page.url()).pathname).toBe(`/acme/shop/actions/runs/${seeded.runId}/job/${seeded.testJobId}`);
    await expect(ui.page.getByTestId("log-viewer")).toHaveAttribute("data-stream", "ended");
    const failed = ui.page.locator('[data-testid="step"][data-state="failure"]');
    await expect(failed).toContainText("Run tests");
    await expect(failed.locator(".ansi-bold")).toHaveText("> vitest run");
    await expect(ui.page.getByTestId("annotation")).toContainText("src/cart.ts:7");
    await saveScreenshot(ui.page, "real-server-run");
    expect(ui.pageErrors).toEqual([]);
  });

  it("follows a running job's log over the real event stream until it ends", async () => {
    const live = await startLiveJob(ui.server.store, seeded.repo, 8, 150);
    await open(`/acme/shop/actions/runs/${live.runId}`);
    await expect(ui.page.getByTestId("run-state")).toHaveText("In progress");
    await expect(ui.page.getByTestId("log-viewer")).toHaveAttribute("data-stream", "live");
    await live.done;
    await expect(ui.page.getByTestId("log-viewer")).toHaveAttribute("data-stream", "ended", { timeout: 15_000 });
    await expect(ui.page.getByTestId("run-state")).toHaveText("Succeeded", { timeout: 10_000 });
    const step = ui.page.getByTestId("step");
    if ((await step.getByRole("button").first().getAttribute("aria-expanded")) === "false") await step.getByRole("button").first().press("Enter");
    await expect(step.locator(".lt")).toHaveText(Array.from({ length: 8 }, (_, i) => `live line ${i + 1}`));
    expect(ui.pageErrors).toEqual([]);
  });

  it("sets a secret on the real ui.server and lists it without its value", async () => {
    const value = "real-server-secret-value-42";
    await open("/acme/shop/secrets");
    await ui.page.getByLabel("Name").fill("NPM_TOKEN");
    await ui.page.getByLabel("Value").fill(value);
    await ui.page.getByRole("button", { name: "Save secret" }).click();
    await expect(ui.page.getByTestId("secret")).toContainText("NPM_TOKEN");
    expect(await ui.page.content()).not.toContain(value);
    const listed = await ui.page.evaluate<string>("fetch('/api/v3/repos/acme/shop/actions/secrets').then((r) => r.text())");
    expect(listed).toContain("NPM_TOKEN");
    expect(listed).not.toContain(value);
    expect(ui.pageErrors).toEqual([]);
  });

  it("sets, edits and lists a configuration variable with its value next to the secrets, by keyboard", async () => {
    await open("/acme/shop/secrets");
    await expect(ui.page.getByText("No variables yet")).toBeVisible();
    const newButton = ui.page.getByRole("button", { name: "New variable" });
    await newButton.focus();
    await ui.page.keyboard.press("Enter");
    const focused = (locator: ReturnType<Page["getByLabel"]>) => vitestExpect.poll(() => locator.evaluate((el) => el === el.ownerDocument.activeElement)).toBe(true);
    await focused(ui.page.getByLabel("Variable name"));
    await ui.page.keyboard.type("greeting");
    await ui.page.keyboard.press("Tab");
    await ui.page.keyboard.type("hello world");
    await ui.page.getByRole("button", { name: "Save variable" }).press("Enter");
    await expect(ui.page.getByText("Saved variable GREETING.")).toBeVisible();
    const row = ui.page.getByTestId("variable");
    await expect(row).toHaveCount(1);
    await expect(row.locator("code.secret-name")).toHaveText("GREETING");
    await expect(row.getByTestId("variable-value")).toHaveText("hello world");

    await ui.page.getByRole("button", { name: "Edit variable GREETING" }).press("Enter");
    await expect(ui.page.getByLabel("Variable name")).toHaveValue("GREETING");
    await ui.page.getByLabel("Variable value").fill("bonjour");
    await ui.page.getByRole("button", { name: "Save variable" }).click();
    await expect(row.getByTestId("variable-value")).toHaveText("bonjour");
    const listed = JSON.parse(await ui.page.evaluate<string>("fetch('/api/v3/repos/acme/shop/actions/variables').then((r) => r.text())"));
    vitestExpect(listed.variables.map((v: { name: string; value: string }) => [v.name, v.value])).toEqual([["GREETING", "bonjour"]]);

    // Escape closes the form and gives focus back to the button that opened it; a bad name is explained before saving.
    await newButton.press("Enter");
    await ui.page.keyboard.type("github_x");
    await expect(ui.page.getByText("Names starting with GITHUB_ are reserved.")).toBeVisible();
    await vitestExpect.poll(() => ui.page.getByRole("button", { name: "Save variable" }).isDisabled()).toBe(true);
    await ui.page.keyboard.press("Escape");
    await expect(ui.page.getByLabel("Variable name")).toHaveCount(0);
    await focused(newButton);
    await saveScreenshot(ui.page, "real-server-variables");
    expect(ui.pageErrors).toEqual([]);
  });
});

/**
 * The web UI in real headless Chromium against "a server" (see server.ts):
 * sign-in, runs, a run with its job graph and logs, live streaming, actions,
 * dispatch, runners, secrets, and how it behaves when the session or the
 * server goes away.
 */
import type { Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect as vitestExpect, it } from "vitest";
import { expect } from "./locator-expect.js";
import { browserUnavailableReason, launchBrowser, saveScreenshot, type Browser } from "../support/browser.js";
import { ADMIN, buildUi, removeUiBuild, startServer, type TestServer } from "./server.js";

const unavailable = browserUnavailableReason();
if (unavailable) console.warn(`[ui tests] skipped: ${unavailable}`);

describe.skipIf(unavailable !== undefined)("web UI", () => {
  let browser: Browser;
  let server: TestServer;
  let page: Page;
  const pageErrors: string[] = [];

  let uiDir: string;

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

  async function signIn(p: Page = page, path = "/"): Promise<void> {
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

  it("signs in, refusing a wrong password, and lists repositories and recent runs", async () => {
    await page.goto(server.url);
    await page.getByLabel("Login").fill("ada");
    await page.getByLabel("Password").fill("wrong-password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByRole("alert")).toContainText("Incorrect login or password");
    await saveScreenshot(page, "sign-in-error");

    await page.getByLabel("Password").fill(ADMIN.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByTestId("user-login")).toHaveText("ada");
    await page.getByTestId("run-row").first().waitFor();
    const repoLinks = await page.locator(".repo-list a").allTextContents();
    expect(repoLinks).toEqual(["acme/web", "acme/api"]);
    const titles = await page.locator(".run-title").allTextContents();
    expect(titles).toEqual(vitestExpect.arrayContaining(["Add dark theme", "Speed up the parser", "Bump fastify"]));
    // One request for the runs of every repository, not one per repository.
    expect(server.fake.requests).toContain("GET /api/v3/runs?per_page=40");
    expect(server.fake.requests.filter((r) => /^GET \/api\/v3\/repos\/[^/]+\/[^/]+\/actions\/runs/.test(r))).toEqual([]);
    // The session cookie is HttpOnly: scripts in the page cannot read it.
    expect(await page.evaluate<string>("document.cookie")).not.toContain("slipway_session");
    await saveScreenshot(page, "home");
  });

  it("lists a repository's runs with filters in the URL and shows new runs without reloading", async () => {
    await signIn(page, "/acme/web");
    await expect(page.getByTestId("run-row")).toHaveCount(2);
    const failedRow = page.getByTestId("run-row").filter({ hasText: "Speed up the parser" });
    await expect(failedRow).toHaveAttribute("data-state", "failure");
    await expect(failedRow).toContainText("feature/parser");
    await expect(failedRow).toContainText("pull_request");
    await expect(failedRow).toContainText("grace");

    await page.getByLabel("Status").selectOption("failure");
    await expect(page.getByTestId("run-row")).toHaveCount(1);
    expect(new URL(page.url()).searchParams.get("status")).toBe("failure");
    expect(server.fake.requests).toContain("GET /api/v3/repos/acme/web/actions/runs?status=failure&page=1&per_page=25");
    await page.getByRole("button", { name: "Clear filters" }).click();
    await expect(page.getByTestId("run-row")).toHaveCount(2);
    await page.getByLabel("Workflow", { exact: true }).selectOption("deploy.yml");
    await expect(page.getByText("No runs match these filters")).toBeVisible();
    expect(server.fake.requests).toContain("GET /api/v3/repos/acme/web/actions/workflows/deploy.yml/runs?page=1&per_page=25");
    await page.getByLabel("Workflow", { exact: true }).selectOption("ci.yml");
    await expect(page.getByTestId("run-row")).toHaveCount(2);
    await page.getByRole("button", { name: "Clear filters" }).click();

    server.fake.addRun("acme/web", "Fresh push");
    await expect(page.getByTestId("run-row").first()).toContainText("Fresh push", { timeout: 10_000 });
    await expect(page.getByTestId("run-row").first()).toHaveAttribute("data-state", "queued");
    await saveScreenshot(page, "repo-runs");
  });

  it("shows a failed run: grouped matrix legs, the failed step's log with colours, groups, annotations, search, line links and a safe summary", async () => {
    const runId = runIdOf("Speed up the parser");
    await signIn(page, `/acme/web/actions/runs/${runId}`);
    await expect(page.getByTestId("run-state")).toHaveText("Failed");
    expect(await page.title()).toBe("Failed: Speed up the parser #2 · acme/web · Slipway");
    // The failed leg is opened by default.
    await expect(page.locator(".job-panel-head h2")).toHaveText(/test \(22\)/);
    const groups = page.getByTestId("job-group");
    await expect(groups).toHaveCount(3);
    await expect(groups.nth(1)).toContainText("3 legs");
    await expect(groups.nth(1)).toContainText("needs lint");
    await expect(groups.nth(2)).toContainText("needs test");

    const failedStep = page.locator('[data-testid="step"][data-state="failure"]');
    await expect(failedStep).toContainText("Run tests");
    await expect(failedStep.locator(".log-line")).toHaveCount(6);
    await expect(failedStep.locator(".ansi-red-fg")).toHaveText("✗");
    await expect(failedStep.locator(".ansi-bold")).toHaveText("> vitest run");

    const annotations = page.getByTestId("annotation");
    await expect(annotations).toHaveCount(3);
    await expect(annotations.first()).toContainText("src/parser.ts:42:7");
    await expect(annotations.first()).toContainText("Assertion failed");
    await expect(annotations.nth(1)).toContainText("src/lexer.ts:9");

    // The step summary is rendered Markdown with the raw HTML removed.
    const summary = page.getByTestId("step-summary");
    await expect(summary.locator("table tr")).toHaveCount(3);
    expect(await summary.locator("script, img[onerror]").count()).toBe(0);
    expect(await summary.locator('a[href^="javascript"]').count()).toBe(0);
    await expect(summary.getByRole("link", { name: "report" })).toHaveAttribute("rel", "noopener noreferrer nofollow");
    expect(await page.evaluate<unknown>("window.__pwned")).toBeUndefined();

    // Collapsed groups open on click; search opens whatever it finds.
    const install = page.locator('[data-testid="step"]').filter({ hasText: "Install" });
    await install.getByRole("button", { name: /Install/ }).click();
    const groupButton = install.getByRole("button", { name: /npm ci output/ });
    await expect(groupButton).toHaveAttribute("aria-expanded", "false");
    await expect(install.getByText("added 312 packages")).toHaveCount(0);
    await groupButton.click();
    await expect(install.getByText("added 312 packages")).toBeVisible();
    await groupButton.click();
    await page.locator("body").press("/");
    await vitestExpect.poll(() => page.evaluate<string>("document.activeElement?.id")).toBe("log-search");
    await page.keyboard.type("AUDITED");
    await expect(page.getByTestId("search-count")).toHaveText("1 of 1");
    await expect(page.locator(".hit-current")).toContainText("audited 313 packages");
    await saveScreenshot(page, "run-failed");

    // A line link selects and scrolls to the line, also on a fresh load.
    await page.getByLabel("Search the log").fill("");
    const errorLine = failedStep.locator(".log-line.k-error").first();
    const lineNumber = await errorLine.getAttribute("data-line");
    await page.goto(`${server.url}/acme/web/actions/runs/${runId}#L${lineNumber}`);
    await expect(page.locator(`#L${lineNumber}`)).toHaveClass(/selected/);
    await expect(page.locator(`#L${lineNumber}`)).toBeInViewport();

    const download = page.getByRole("link", { name: "Download log" });
    const href = await download.getAttribute("href");
    const raw = await page.evaluate(async (url) => (await fetch(url!)).text(), href);
    expect(raw).toContain("expected 3 to equal 4");
    await expect(page.getByRole("link", { name: "coverage-report" })).toHaveAttribute("href", "/api/v3/repos/acme/web/actions/artifacts/7/zip");

    // The system's dark preference applies without touching the toggle.
    await page.emulateMedia({ colorScheme: "dark" });
    expect(await page.evaluate<string>("getComputedStyle(document.body).backgroundColor")).toBe("rgb(13, 17, 23)");
    await page.evaluate("window.scrollTo(0, 0)");
    await saveScreenshot(page, "run-failed-dark");
  });

  it("says why a job ended and shows a truncated log's line as a warning", async () => {
    const run = server.fake.runs.find((r) => r.display_title === "Speed up the parser")!;
    const job = run.jobs.find((j) => j.conclusion === "failure")!;
    Object.assign(job, { conclusion_reason: "runner_lost", error: "runner lost" });
    const step = job.steps.find((s) => s.conclusion === "failure")!;
    const last = job.chunks.map((c) => c.step).lastIndexOf(step.number);
    const truncated = "##[warning]This step's log reached its limit of 16 MiB: the rest of its output is dropped (the job goes on).\n";
    job.chunks.splice(last + 1, 0, { step: step.number, text: truncated });
    await signIn(page, `/acme/web/actions/runs/${run.id}`);
    const reason = page.getByTestId("job-end-reason");
    await expect(reason).toContainText("The runner was lost");
    vitestExpect(await reason.getAttribute("data-reason")).toBe("runner_lost");
    const failedStep = page.locator('[data-testid="step"][data-state="failure"]');
    const warning = failedStep.locator(".log-line", { hasText: "reached its limit of 16 MiB" });
    await expect(warning.locator(".tag-warning")).toHaveText("Warning:");
  });

  it("renders the tail of a very long step and the rest on request or when a link points into it", async () => {
    const runId = runIdOf("Verbose build");
    await signIn(page, `/acme/api/actions/runs/${runId}`);
    const step = page.getByTestId("step");
    await expect(step.locator(".log-line")).toHaveCount(5000);
    await expect(step.locator(".log-line").first()).toContainText("compiling module 1001");
    await step.getByRole("button", { name: "Show 1000 earlier lines" }).click();
    await expect(step.locator(".log-line")).toHaveCount(6000);
    await page.goto(`${server.url}/acme/api/actions/runs/${runId}#L12`);
    await expect(page.locator("#L12")).toHaveClass(/selected/);
    await expect(page.locator("#L12")).toContainText("compiling module 12");
  });

  it("streams a running job's log live to completion, resuming after a dropped connection", async () => {
    server.fake.dropStreamAfter = 4;
    const run = server.fake.startLiveRun(150);
    await signIn(page, `/acme/web/actions/runs/${run.id}`);
    await expect(page.getByTestId("run-state")).toHaveText("In progress");
    await expect(page.getByTestId("log-viewer")).toHaveAttribute("data-stream", /live|reconnecting/);
    await page.locator(".log-line").first().waitFor();
    await saveScreenshot(page, "run-live");
    await expect(page.getByTestId("run-state")).toHaveText("Succeeded", { timeout: 20_000 });
    await expect(page.getByTestId("log-viewer")).toHaveAttribute("data-stream", "ended");
    // Every step's lines arrived once, in order, despite the reconnect.
    const steps = page.getByTestId("step");
    await expect(steps).toHaveCount(3);
    for (let i = 1; i <= 3; i++) {
      const step = steps.nth(i - 1);
      await expect(step).toHaveAttribute("data-state", "success");
      const toggle = step.getByRole("button").first();
      if ((await toggle.getAttribute("aria-expanded")) === "false") await toggle.press("Enter");
      await expect(step.locator(".lt")).toHaveText([1, 2, 3, 4, 5].map((n) => `step ${i} line ${n}`));
    }
    const streamRequests = server.fake.requests.filter((r) => r.endsWith("/logs/stream"));
    expect(streamRequests.length).toBeGreaterThanOrEqual(2);
    await expect(page.getByTestId("step-summary")).toContainText("Built 3 packages.");
    await saveScreenshot(page, "run-live-complete");
  });

  it("re-runs failed jobs and cancels a running run", async () => {
    const runId = runIdOf("Speed up the parser");
    await signIn(page, `/acme/web/actions/runs/${runId}`);
    await page.getByRole("button", { name: "Re-run failed jobs" }).click();
    await expect(page.getByText("Re-running failed jobs.")).toBeVisible();
    await expect(page.locator(".run-sub")).toContainText("attempt 2");
    await expect(page.getByTestId("run-state")).toHaveText("Queued");
    const states = await page.getByTestId("job-link").evaluateAll((links) => links.map((l) => `${l.textContent}`));
    expect(states.filter((s) => s.includes("Queued"))).toHaveLength(2);
    expect(states.filter((s) => s.includes("Succeeded"))).toHaveLength(3);
    expect(server.fake.requests).toContain(`POST /api/v3/repos/acme/web/actions/runs/${runId}/rerun-failed-jobs`);
    // The page follows the failed job into the new attempt.
    const newJob = server.fake.runs.find((r) => r.id === runId)!.jobs.find((j) => j.name === "test (22)")!;
    await expect(page.locator(".job-panel-head h2")).toHaveText(/test \(22\)/);
    await vitestExpect.poll(() => new URL(page.url()).pathname).toBe(`/acme/web/actions/runs/${runId}/job/${newJob.id}`);
    // The first attempt stays readable, with its failed log.
    await page.getByLabel("Attempt").selectOption("1");
    await expect(page.getByText("Showing attempt #1 of 2.")).toBeVisible();
    // The header describes the attempt shown, not the latest one (queued).
    await expect(page.getByTestId("run-state")).toHaveText("Failed");
    await expect(page.locator('[data-testid="step"][data-state="failure"]')).toContainText("Run tests");
    await expect(page.getByTestId("annotation")).toHaveCount(3);
    expect(new URL(page.url()).search).toBe("?attempt=1");
    await expect(page.getByRole("button", { name: "Re-run all jobs" })).toHaveCount(0);
    await saveScreenshot(page, "run-attempt-1");
    await page.getByRole("link", { name: "Go to the latest attempt" }).click();
    await expect(page.getByRole("button", { name: "Cancel run" })).toBeVisible();

    const idle = server.fake.startIdleRun();
    await page.goto(`${server.url}/acme/web/actions/runs/${idle.id}`);
    await expect(page.getByTestId("run-state")).toHaveText("In progress");
    await page.getByRole("button", { name: "Cancel run" }).click();
    await expect(page.getByTestId("run-state")).toHaveText("Cancelled");
    await expect(page.getByRole("button", { name: "Re-run all jobs" })).toBeVisible();
    await saveScreenshot(page, "run-cancelled");
  });

  it("sets and deletes a secret, listing its name but never its value", async () => {
    const value = "s3cr3t-VALUE-that-must-not-leak";
    await signIn(page, "/acme/web/secrets");
    await expect(page.getByText("No secrets yet")).toBeVisible();
    await page.getByLabel("Name").fill("deploy_key");
    await expect(page.getByLabel("Name")).toHaveValue("DEPLOY_KEY");
    await page.getByLabel("Value").fill(value);
    await page.getByRole("button", { name: "Save secret" }).click();
    await expect(page.getByText("Saved secret DEPLOY_KEY.")).toBeVisible();
    await expect(page.getByTestId("secret")).toHaveCount(1);
    await expect(page.getByTestId("secret")).toContainText("DEPLOY_KEY");
    await expect(page.getByLabel("Value")).toHaveValue("");
    expect(server.fake.secrets.get("DEPLOY_KEY")?.value).toBe(value);
    expect(await page.content()).not.toContain(value);
    expect(server.fake.responseBodies.join("\n")).not.toContain(value);
    expect(await page.evaluate<string>("JSON.stringify(localStorage) + JSON.stringify(sessionStorage)")).not.toContain(value);
    await saveScreenshot(page, "secrets");

    page.once("dialog", (d) => void d.accept());
    await page.getByRole("button", { name: "Delete DEPLOY_KEY" }).click();
    await expect(page.getByText("Deleted secret DEPLOY_KEY.")).toBeVisible();
    await expect(page.getByTestId("secret")).toHaveCount(0);
    expect(server.fake.secrets.has("DEPLOY_KEY")).toBe(false);
  });

  it("dispatches a workflow from a form built from its inputs, validating them first", async () => {
    await signIn(page, "/acme/web/workflows");
    const deploy = page.getByTestId("workflow").filter({ hasText: "Deploy" });
    await expect(page.getByTestId("workflow").filter({ hasText: "CI" })).toContainText("no workflow_dispatch trigger");
    const nightly = page.getByTestId("workflow").filter({ hasText: "Nightly" });
    await nightly.getByRole("button", { name: "Run workflow" }).click();
    await expect(nightly.getByText("The server did not describe this workflow's inputs")).toBeVisible();
    await deploy.getByRole("button", { name: "Run workflow" }).click();
    await expect(deploy.getByLabel("environment")).toHaveValue("staging");
    await expect(deploy.getByLabel("replicas")).toHaveValue("2");
    await expect(deploy.getByLabel("Branch or tag")).toHaveValue("main");
    await deploy.getByRole("button", { name: "Run workflow" }).last().click();
    await expect(deploy.getByText("Required.")).toBeVisible();
    expect(server.fake.dispatches).toHaveLength(0);
    await saveScreenshot(page, "dispatch-invalid");

    await deploy.getByLabel("environment").selectOption("production");
    await deploy.getByLabel("version").fill("1.4.2");
    await deploy.getByLabel("dry_run").check();
    await deploy.getByRole("button", { name: "Run workflow" }).last().click();
    await expect(deploy.getByText("Dispatched Deploy on main.")).toBeVisible();
    expect(server.fake.dispatches).toEqual([
      { repo: "acme/web", workflow: "deploy.yml", ref: "main", inputs: { environment: "production", version: "1.4.2", replicas: "2", dry_run: "true" } },
    ]);
    // The server titles the new run (its run-name); the UI opens it.
    await page.getByTestId("run-page").waitFor();
    await expect(page.locator(".run-heading h1")).toContainText("Deploy 1.4.2 to production");
    await expect(page.getByTestId("run-state")).toHaveText("Queued");
  });

  it("lists runners and gives the command to register a new one", async () => {
    await signIn(page, "/acme/web/runners");
    const rows = page.getByTestId("runner");
    await expect(rows).toHaveCount(2);
    await expect(rows.first()).toContainText("busy");
    await expect(rows.first()).toContainText("self-hosted");
    await expect(rows.nth(1)).toContainText("offline");
    await page.getByRole("button", { name: "New runner" }).click();
    await expect(page.getByTestId("registration").locator("code")).toHaveText(`SLIPWAY_RUNNER_TOKEN=slpg_REGISTRATIONTOKEN123 slipway runner --server ${server.url}`);
    await saveScreenshot(page, "runners");
  });

  it("shows settings: tokens, users, people, webhook URLs and a webhook secret shown once", async () => {
    await signIn(page, "/settings");
    await expect(page.getByRole("heading", { name: "API tokens" })).toBeVisible();
    await expect(page.getByText("ci bot")).toBeVisible();
    await expect(page.getByRole("heading", { name: "Users" })).toBeVisible();
    await expect(page.locator(".plain-list").last()).toContainText("grace");
    page.once("dialog", (d) => void d.accept());
    await page.getByRole("button", { name: "Delete user grace" }).click();
    await expect(page.locator(".plain-list").last()).not.toContainText("grace");
    expect(server.fake.users.has("grace")).toBe(false);
    await expect(page.getByRole("button", { name: "Delete user ada" })).toHaveCount(0);
    await page.goto(`${server.url}/acme/web/settings`);
    await expect(page.getByLabel("Role of grace")).toHaveValue("write");
    await expect(page.getByTestId("webhook-url-github")).toHaveText(`${server.url}/api/v3/webhooks/github`);
    await expect(page.getByTestId("webhook-url-gitlab")).toHaveText(`${server.url}/api/v3/webhooks/gitlab`);
    await expect(page.getByTestId("webhook-secret-state")).toContainText("No webhook secret is set");
    await page.getByRole("button", { name: "Generate webhook secret" }).click();
    const shown = await page.getByTestId("webhook-secret").inputValue();
    expect(shown).toBe(server.fake.webhookSecrets.get("acme/web"));
    await expect(page.getByTestId("webhook-secret-state")).toContainText("A webhook secret is set");
    await saveScreenshot(page, "repo-settings", true);
    // Shown once: after leaving the page it is gone, and rotating asks first.
    await page.goto(`${server.url}/acme/web/settings`);
    await expect(page.getByTestId("webhook-secret-state")).toContainText("A webhook secret is set");
    await expect(page.getByTestId("webhook-secret")).toHaveCount(0);
    expect(await page.content()).not.toContain(shown);
    page.once("dialog", (d) => void d.accept());
    await page.getByRole("button", { name: "Rotate webhook secret" }).click();
    await vitestExpect.poll(() => page.getByTestId("webhook-secret").inputValue()).toBe(server.fake.webhookSecrets.get("acme/web"));
    expect(server.fake.webhookSecrets.get("acme/web")).not.toBe(shown);
    expect(server.fake.requests.some((r) => r.includes("/hooks"))).toBe(false);
  });

  it("asks to sign in again when the session expires and says so when the server is unreachable", async () => {
    await signIn(page, "/acme/web");
    await page.getByTestId("run-row").first().waitFor();
    server.fake.expireSessions();
    await expect(page.getByText("Your session has expired")).toBeVisible({ timeout: 10_000 });
    await page.getByLabel("Login").fill(ADMIN.login);
    await page.getByLabel("Password").fill(ADMIN.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByTestId("run-row")).toHaveCount(2);
    expect(new URL(page.url()).pathname).toBe("/acme/web");

    server.fake.down = true;
    await expect(page.getByRole("alert")).toContainText("not answering", { timeout: 10_000 });
    await saveScreenshot(page, "server-down");
    server.fake.down = false;
    await expect(page.getByRole("alert")).toHaveCount(0, { timeout: 15_000 });
  });

  it("fits a phone screen, follows the dark theme and can be driven by keyboard", async () => {
    const phone = await browser.newPage({ width: 390, height: 844 });
    phone.on("pageerror", (e) => pageErrors.push(e.message));
    await signIn(phone, "/acme/web");
    await phone.getByTestId("run-row").first().waitFor();
    const overflow = await phone.evaluate<number>("document.documentElement.scrollWidth - window.innerWidth");
    expect(overflow).toBeLessThanOrEqual(0);
    await saveScreenshot(phone, "phone-runs");
    await phone.goto(`${server.url}/acme/web/actions/runs/${runIdOf("Speed up the parser")}`);
    await phone.getByTestId("annotation").first().waitFor();
    expect(await phone.evaluate<number>("document.documentElement.scrollWidth - window.innerWidth")).toBeLessThanOrEqual(0);
    await saveScreenshot(phone, "phone-run");

    await phone.getByRole("button", { name: /Change theme/ }).click();
    expect(await phone.evaluate<string>("document.documentElement.dataset.theme")).toBe("dark");
    const bg = await phone.evaluate<string>("getComputedStyle(document.body).backgroundColor");
    expect(bg).toBe("rgb(13, 17, 23)");
    await saveScreenshot(phone, "phone-run-dark");

    // Keyboard: the skip link comes first, then focus is visible on the brand link.
    await phone.goto(`${server.url}/acme/web`);
    await phone.getByTestId("run-row").first().waitFor();
    await phone.keyboard.press("Tab");
    expect(await phone.evaluate<string>("document.activeElement?.textContent")).toBe("Skip to content");
    await phone.keyboard.press("Tab");
    const outline = await phone.evaluate<string>("getComputedStyle(document.activeElement).outlineStyle");
    expect(outline).toBe("solid");
    await phone.close();
  });
});

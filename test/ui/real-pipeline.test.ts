/**
 * The UI against the whole real server: store, run pipeline and embedded
 * runner as `slipway server` wires them, a file:// repository registered
 * through the API, and real workflow runs. Covers signing in, dispatching a
 * run and watching its log stream to completion, the failed step, re-running
 * failed jobs, cancelling a running run, and a secret masked in a job log.
 */
import { createHmac } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect as vitestExpect, it } from "vitest";
import { browserUnavailableReason, saveScreenshot, openSignedIn } from "../support/browser.js";
import { useBrowserSuite } from "./browser-suite.js";
import { expect } from "./locator-expect.js";
import { PIPELINE_ADMIN_TOKEN, startPipelineServer } from "./real-pipeline.js";
import { git } from "../support/git-repo.js";

const unavailable = browserUnavailableReason();
if (unavailable) console.warn(`[ui tests] skipped: ${unavailable}`);

const USER = { login: "grace", password: "correct-horse-battery" };

describe.skipIf(unavailable !== undefined)("web UI driving real runs on the real server", () => {
  let ciRunId = 0;
  const ui = useBrowserSuite((uiDir) => startPipelineServer(uiDir, USER));

  const open = (path: string): Promise<void> => openSignedIn(ui.page, ui.server.url, path, USER);


  async function dispatchByApi(file: string): Promise<number> {
    const { status, data } = await ui.server.api<{ workflow_run_id: number }>("POST", `/api/v3/repos/acme/shop/actions/workflows/${file}/dispatches`, { ref: "main" });
    vitestExpect(status).toBe(200);
    return data.workflow_run_id;
  }

  /** Expands a step's log unless it is open already. */
  async function openStep(name: string) {
    const step = ui.page.getByTestId("step").filter({ hasText: name });
    await step.waitFor();
    const toggle = step.getByRole("button").first();
    if ((await toggle.getAttribute("aria-expanded")) === "false") await toggle.press("Enter");
    return step;
  }

  it("signs in as a user created through the API and sees the repository the user administers", async () => {
    await ui.page.goto(`${ui.server.url}/`);
    await ui.page.getByLabel("Login").fill(USER.login);
    await ui.page.getByLabel("Password").fill("not-the-password");
    await ui.page.getByRole("button", { name: "Sign in" }).click();
    await expect(ui.page.getByRole("alert")).toContainText("Incorrect login or password");
    await ui.page.getByLabel("Password").fill(USER.password);
    await ui.page.getByRole("button", { name: "Sign in" }).click();
    await expect(ui.page.getByTestId("user-login")).toHaveText(USER.login);
    await expect(ui.page.locator(".repo-list a")).toHaveText(["acme/shop"]);
    await expect(ui.page.getByText("No runs yet")).toBeVisible();
    expect(await ui.page.evaluate<string>("document.cookie")).not.toContain("slipway_session");
    await saveScreenshot(ui.page, "real-pipeline-signed-in");
    expect(ui.pageErrors).toEqual([]);
  });

  it("dispatches a workflow from its inputs and follows the build's log stream to the end", async () => {
    await open("/acme/shop/workflows");
    const ci = ui.page.getByTestId("workflow").filter({ hasText: "CI" });
    await expect(ui.page.getByTestId("workflow").filter({ hasText: "Slow" })).toHaveCount(1);
    const broken = ui.page.getByTestId("workflow").filter({ hasText: "broken.yml" });
    await expect(broken).toContainText("invalid workflow");
    await expect(broken.getByTestId("workflow-errors")).toContainText(".github/workflows/broken.yml:");
    await ci.getByRole("button", { name: "Run workflow" }).click();
    await expect(ci.getByLabel("greeting")).toHaveValue("hello");
    await ci.getByLabel("greeting").fill("ahoy");
    await saveScreenshot(ui.page, "real-pipeline-dispatch-form");
    await ci.getByRole("button", { name: "Run workflow" }).last().click();
    await ui.page.getByTestId("run-page").waitFor();
    ciRunId = Number(/\/actions\/runs\/(\d+)/.exec(new URL(ui.page.url()).pathname)?.[1]);
    vitestExpect(ciRunId).toBeGreaterThan(0);
    await expect(ui.page.getByTestId("run-state")).toHaveText(/Queued|In progress/);

    await ui.page.getByTestId("job-link").filter({ hasText: "build" }).click();
    await expect(ui.page.locator(".job-panel-head h2")).toHaveText(/build/);
    await expect(ui.page.getByTestId("log-viewer")).toHaveAttribute("data-stream", "live", { timeout: 20_000 });
    const compile = await openStep("Compile");
    await compile.locator(".lt").first().waitFor();
    await saveScreenshot(ui.page, "real-pipeline-live-log");
    await expect(ui.page.getByTestId("log-viewer")).toHaveAttribute("data-stream", "ended", { timeout: 30_000 });
    await expect(compile).toHaveAttribute("data-state", "success");
    const lines = await compile.locator(".lt").allTextContents();
    vitestExpect(lines.filter((l) => l.startsWith("compile line"))).toEqual(Array.from({ length: 10 }, (_, i) => `compile line ${i + 1} says ahoy`));
    // What the job left besides its log, as the ui.server kept it.
    await expect(ui.page.getByTestId("step-summary")).toContainText("Build report", { timeout: 10_000 });
    await expect(ui.page.getByTestId("step-summary").locator("strong")).toHaveText("10");
    await expect(ui.page.getByTestId("annotation").filter({ hasText: "src/app.ts:3" })).toContainText("unused variable");
    await saveScreenshot(ui.page, "real-pipeline-build-done");
    expect(ui.pageErrors).toEqual([]);
  });

  it("opens the failed step of the failed job", async () => {
    vitestExpect(ciRunId).toBeGreaterThan(0);
    await open(`/acme/shop/actions/runs/${ciRunId}`);
    await expect(ui.page.getByTestId("run-state")).toHaveText("Failed", { timeout: 45_000 });
    await ui.page.getByTestId("job-link").filter({ hasText: "test" }).click();
    await expect(ui.page.getByTestId("log-viewer")).toHaveAttribute("data-stream", "ended");
    const failed = ui.page.locator('[data-testid="step"][data-state="failure"]');
    await expect(failed).toHaveCount(1);
    await expect(failed).toContainText("Run tests");
    const step = await openStep("Run tests");
    await expect(step).toContainText("running tests");
    // The step's own error, and the runner's note that the step's process failed.
    const ours = ui.page.getByTestId("annotation").filter({ hasText: "src/cart.ts:7" });
    await expect(ours).toHaveCount(1);
    await expect(ours).toContainText("total is off by one");
    await expect(ui.page.getByTestId("annotation").filter({ hasText: "exit code 1" })).toHaveCount(1);
    await saveScreenshot(ui.page, "real-pipeline-failed-step");
    expect(ui.pageErrors).toEqual([]);
  });

  it("re-runs the failed jobs: a second attempt runs them again and passes", async () => {
    vitestExpect(ciRunId).toBeGreaterThan(0);
    await open(`/acme/shop/actions/runs/${ciRunId}`);
    await expect(ui.page.getByTestId("run-state")).toHaveText("Failed", { timeout: 45_000 });
    await ui.page.getByRole("button", { name: "Re-run failed jobs" }).click();
    await expect(ui.page.getByText("Re-running failed jobs.")).toBeVisible();
    await expect(ui.page.locator(".run-sub")).toContainText("attempt 2");
    await expect(ui.page.getByTestId("run-state")).toHaveText("Succeeded", { timeout: 45_000 });
    const jobs = await ui.server.api<{ jobs: Array<{ name: string; conclusion: string; run_attempt: number }> }>("GET", `/api/v3/repos/acme/shop/actions/runs/${ciRunId}/attempts/2/jobs`);
    // The passed build keeps its result; the failed test job ran again and passed.
    vitestExpect(jobs.data.jobs.map((j) => [j.name, j.conclusion])).toEqual([["build", "success"], ["test", "success"]]);
    await ui.page.getByTestId("job-link").filter({ hasText: "test" }).click();
    const step = await openStep("Run tests");
    await expect(step).toContainText("all green");
    await saveScreenshot(ui.page, "real-pipeline-rerun-passed");
    expect(ui.pageErrors).toEqual([]);
  });

  it("cancels a running run", async () => {
    const runId = await dispatchByApi("slow.yml");
    await open(`/acme/shop/actions/runs/${runId}`);
    await expect(ui.page.getByTestId("run-state")).toHaveText("In progress", { timeout: 20_000 });
    const step = await openStep("Wait a long time");
    await expect(step).toContainText("waiting started", { timeout: 20_000 });
    await ui.page.getByRole("button", { name: "Cancel run" }).click();
    await expect(ui.page.getByTestId("run-state")).toHaveText("Cancelled", { timeout: 30_000 });
    await expect(ui.page.getByRole("button", { name: "Re-run all jobs" })).toBeVisible();
    const run = await ui.server.api<{ status: string; conclusion: string }>("GET", `/api/v3/repos/acme/shop/actions/runs/${runId}`);
    vitestExpect(run.data).toMatchObject({ status: "completed", conclusion: "cancelled" });
    await saveScreenshot(ui.page, "real-pipeline-cancelled");
    expect(ui.pageErrors).toEqual([]);
  });

  it("sets a secret in the UI and a job's log shows it masked", async () => {
    const value = "pipeline-secret-value-7f3a9";
    await open("/acme/shop/secrets");
    await ui.page.getByLabel("Name").fill("DEPLOY_TOKEN");
    await ui.page.getByLabel("Value").fill(value);
    await ui.page.getByRole("button", { name: "Save secret" }).click();
    await expect(ui.page.getByTestId("secret")).toContainText("DEPLOY_TOKEN");
    const runId = await dispatchByApi("secret.yml");
    await open(`/acme/shop/actions/runs/${runId}`);
    await expect(ui.page.getByTestId("run-state")).toHaveText("Succeeded", { timeout: 45_000 });
    const step = await openStep("Print the token");
    await expect(step).toContainText("done printing");
    await expect(step).toContainText("token is ***");
    expect(await ui.page.content()).not.toContain(value);
    const jobs = await ui.server.api<{ jobs: Array<{ id: number }> }>("GET", `/api/v3/repos/acme/shop/actions/runs/${runId}/jobs`);
    const raw = await fetch(`${ui.server.url}/api/v3/repos/acme/shop/actions/jobs/${jobs.data.jobs[0]!.id}/logs`, { headers: { authorization: `Bearer ${PIPELINE_ADMIN_TOKEN}` } });
    const text = await raw.text();
    vitestExpect(text).toContain("token is ***");
    vitestExpect(text).not.toContain(value);
    await saveScreenshot(ui.page, "real-pipeline-secret-masked");
    expect(ui.pageErrors).toEqual([]);
  });

  it("creates an environment from the scope picker by keyboard, sets its secret, and only the job naming it sees the secret, masked", async () => {
    const value = "production-secret-value-91c2e";
    await open("/acme/shop/secrets");
    await ui.page.getByRole("button", { name: "New environment" }).press("Enter");
    await ui.page.getByLabel("Environment name").fill("production");
    await ui.page.getByLabel("Environment name").press("Enter");
    await expect(ui.page.getByLabel("Scope")).toHaveValue("production");
    await expect(ui.page.getByText("No secrets yet")).toBeVisible();
    await ui.page.getByLabel("Name", { exact: true }).fill("PROD_TOKEN");
    await ui.page.getByLabel("Value", { exact: true }).fill(value);
    await ui.page.getByLabel("Value", { exact: true }).press("Enter");
    await expect(ui.page.getByTestId("secret")).toContainText("PROD_TOKEN");
    const envSecrets = await ui.server.api<{ secrets: Array<{ name: string }> }>("GET", "/api/v3/repos/acme/shop/environments/production/secrets");
    vitestExpect(envSecrets.data.secrets.map((s) => s.name)).toEqual(["PROD_TOKEN"]);
    const repoSecrets = await ui.server.api<{ secrets: Array<{ name: string }> }>("GET", "/api/v3/repos/acme/shop/actions/secrets");
    vitestExpect(repoSecrets.data.secrets.map((s) => s.name)).not.toContain("PROD_TOKEN");
    // Back to the repository scope with the keyboard: its own list, without the environment's secret.
    await ui.page.getByLabel("Scope").selectOption("");
    await expect(ui.page.getByTestId("secret").filter({ hasText: "PROD_TOKEN" })).toHaveCount(0);

    const runId = await dispatchByApi("environment.yml");
    await open(`/acme/shop/actions/runs/${runId}`);
    await expect(ui.page.getByTestId("run-state")).toHaveText("Succeeded", { timeout: 45_000 });
    const jobs = await ui.server.api<{ jobs: Array<{ id: number; name: string }> }>("GET", `/api/v3/repos/acme/shop/actions/runs/${runId}/jobs`);
    const logOf = async (name: string) => {
      const job = jobs.data.jobs.find((j) => j.name === name)!;
      const raw = await fetch(`${ui.server.url}/api/v3/repos/acme/shop/actions/jobs/${job.id}/logs`, { headers: { authorization: `Bearer ${PIPELINE_ADMIN_TOKEN}` } });
      return raw.text();
    };
    const deployLog = await logOf("deploy");
    vitestExpect(deployLog).toContain("production token is [***]");
    vitestExpect(deployLog).not.toContain(value);
    const plainLog = await logOf("plain");
    vitestExpect(plainLog).toContain("plain token is []");
    const step = await openStep("Print the production token");
    await expect(step).toContainText("production token is [***]");
    expect(await ui.page.content()).not.toContain(value);

    // The ui.page fits a phone.
    const phone = await ui.browser.newPage({ width: 390, height: 844 });
    await openSignedIn(phone, ui.server.url, "/acme/shop/secrets", USER);
    await phone.getByLabel("Scope").waitFor();
    await phone.getByLabel("Scope").selectOption("production");
    await expect(phone.getByTestId("secret")).toContainText("PROD_TOKEN");
    vitestExpect(await phone.evaluate<number>("document.documentElement.scrollWidth - window.innerWidth")).toBeLessThanOrEqual(0);
    await saveScreenshot(phone, "real-pipeline-environment-secrets-phone");
    await phone.close();
    expect(ui.pageErrors).toEqual([]);
  });

  it("deletes an environment from the scope picker, after asking", async () => {
    vitestExpect((await ui.server.api("PUT", "/api/v3/repos/acme/shop/environments/qa", {})).status).toBe(200);
    await open("/acme/shop/secrets");
    await ui.page.getByLabel("Scope").selectOption("qa");
    ui.page.once("dialog", (d) => void d.dismiss());
    await ui.page.getByRole("button", { name: "Delete environment" }).click();
    await expect(ui.page.getByLabel("Scope")).toHaveValue("qa");
    ui.page.once("dialog", (d) => void d.accept());
    await ui.page.getByRole("button", { name: "Delete environment" }).click();
    await expect(ui.page.getByLabel("Scope")).toHaveValue("");
    await expect(ui.page.getByRole("button", { name: "Delete environment" })).toHaveCount(0);
    const left = await ui.server.api<{ environments: Array<{ name: string }> }>("GET", "/api/v3/repos/acme/shop/environments");
    vitestExpect(left.data.environments.map((e) => e.name)).not.toContain("qa");
    expect(ui.pageErrors).toEqual([]);
  });

  it("draws the real run's job graph and lists the artifact the run uploaded, with a link that downloads its zip", async () => {
    const runId = await dispatchByApi("bundle.yml");
    await open(`/acme/shop/actions/runs/${runId}`);
    await expect(ui.page.getByTestId("run-state")).toHaveText("Succeeded", { timeout: 60_000 });
    const groups = ui.page.getByTestId("job-group");
    await expect(groups).toHaveCount(3);
    await expect(groups.filter({ hasText: "2 legs" })).toHaveAttribute("data-key", "check");
    await expect(ui.page.getByTestId("graph-edge")).toHaveCount(3);
    const pairs = await ui.page.getByTestId("graph-edge").evaluateAll((els) => els.map((el) => `${el.getAttribute("data-from")}->${el.getAttribute("data-to")}`).sort());
    vitestExpect(pairs).toEqual(["check->pack", "prepare->check", "prepare->pack"]);

    // The artifact as the ui.server lists it, linked to its zip.
    const listed = await ui.server.api<{ artifacts: Array<{ id: number; name: string; archive_download_url: string }> }>("GET", `/api/v3/repos/acme/shop/actions/runs/${runId}/artifacts`);
    vitestExpect(listed.data.artifacts.map((a) => a.name)).toEqual(["bundle"]);
    const link = ui.page.locator(".artifacts").getByRole("link", { name: "bundle" });
    await expect(link).toHaveAttribute("href", listed.data.artifacts[0]!.archive_download_url);
    vitestExpect(listed.data.artifacts[0]!.archive_download_url).toMatch(new RegExp(`/api/v3/repos/acme/shop/actions/artifacts/${listed.data.artifacts[0]!.id}/zip$`));
    // Downloading with the browser's session, as a click does.
    const download = await ui.page.evaluate(async (href) => {
      const response = await fetch(href!);
      const bytes = new Uint8Array(await response.arrayBuffer());
      return { status: response.status, type: response.headers.get("content-type"), head: String.fromCharCode(bytes[0]!, bytes[1]!), text: new TextDecoder("latin1").decode(bytes) };
    }, await link.getAttribute("href"));
    vitestExpect(download).toMatchObject({ status: 200, type: "application/zip", head: "PK" });
    vitestExpect(download.text).toContain("bundle.txt");
    const [saved] = await Promise.all([ui.page.waitForEvent("download"), link.click()]);
    vitestExpect(saved.suggestedFilename()).toBe("bundle.zip");
    await saveScreenshot(ui.page, "real-pipeline-graph-artifacts");
    expect(ui.pageErrors).toEqual([]);
  });

  it("shows the webhook URLs for the forge and a new webhook secret once, which the ui.server then verifies", async () => {
    await open("/acme/shop/settings");
    await expect(ui.page.getByTestId("webhook-url-github")).toHaveText(`${ui.server.url}/api/v3/webhooks/github`);
    await expect(ui.page.getByTestId("webhook-url-forgejo")).toHaveText(`${ui.server.url}/api/v3/webhooks/forgejo`);
    await expect(ui.page.getByTestId("webhook-secret-state")).toContainText("A webhook secret is set");
    ui.page.once("dialog", (d) => void d.accept());
    await ui.page.getByRole("button", { name: "Rotate webhook secret" }).click();
    await ui.page.getByTestId("webhook-secret").waitFor();
    const secret = await ui.page.getByTestId("webhook-secret").inputValue();
    vitestExpect(secret.length).toBeGreaterThanOrEqual(20);
    await saveScreenshot(ui.page, "real-pipeline-webhooks");
    const ping = (key: string) => {
      const body = JSON.stringify({ zen: "Keep it logically awesome.", repository: { full_name: "acme/shop" } });
      const signature = `sha256=${createHmac("sha256", key).update(body).digest("hex")}`;
      return fetch(`${ui.server.url}/api/v3/webhooks/github`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-github-event": "ping", "x-github-delivery": `d-${key.length}-${Date.now()}`, "x-hub-signature-256": signature },
        body,
      });
    };
    vitestExpect((await ping(secret)).status).toBe(200);
    vitestExpect((await ping(`${secret}x`)).status).toBe(401);
    // Shown once: the ui.page does not show it again.
    await open("/acme/shop/settings");
    await expect(ui.page.getByTestId("webhook-secret-state")).toContainText("A webhook secret is set");
    await expect(ui.page.getByTestId("webhook-secret")).toHaveCount(0);
    expect(await ui.page.content()).not.toContain(secret);
    expect(ui.pageErrors).toEqual([]);
  });

  it("signs in with the admin's API token when nobody has a password yet", async () => {
    // Signed out: the ui.browser forgets the earlier tests' session.
    await ui.browser.context.clearCookies();
    const fresh = await ui.browser.newPage();
    try {
      await fresh.goto(`${ui.server.url}/`);
      await fresh.getByRole("button", { name: "Use an API token instead" }).click();
      await fresh.getByLabel("API token").fill("not-a-token");
      await fresh.getByRole("button", { name: "Sign in", exact: true }).click();
      await expect(fresh.getByRole("alert")).toContainText("Unknown or expired API token");
      await saveScreenshot(fresh, "real-pipeline-token-form");
      await fresh.getByLabel("API token").fill(PIPELINE_ADMIN_TOKEN);
      await fresh.getByRole("button", { name: "Sign in", exact: true }).click();
      await expect(fresh.getByTestId("user-login")).toHaveText("admin");
      await expect(fresh.locator(".repo-list a")).toHaveText(["acme/shop"]);
      expect(await fresh.content()).not.toContain(PIPELINE_ADMIN_TOKEN);
      // Then the admin sets a first password (no current one), and signs in with it.
      await fresh.goto(`${ui.server.url}/settings`);
      await fresh.getByLabel("New password").fill("admin-first-password");
      await fresh.getByRole("button", { name: "Change password" }).click();
      await expect(fresh.getByRole("status").filter({ hasText: "Password changed" })).toBeVisible();
      await saveScreenshot(fresh, "real-pipeline-token-sign-in");
      await ui.browser.context.clearCookies();
      await fresh.goto(`${ui.server.url}/`);
      await fresh.getByLabel("Login").fill("admin");
      await fresh.getByLabel("Password").fill("admin-first-password");
      await fresh.getByRole("button", { name: "Sign in", exact: true }).click();
      await expect(fresh.getByTestId("user-login")).toHaveText("admin");
    } finally {
      await fresh.close();
    }
  });

  it("titles a pushed run with its commit message and a dispatched one with its run-name, cut gracefully on a phone", async () => {
    const subject = `Rework the checkout flow so that ${"every single step ".repeat(8)}is faster`;
    const sha = commitTo(ui.server.repoDir, {
      ".github/workflows/pushed.yml": "name: Pushed\non: push\njobs:\n  ok:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo pushed\n",
      ".github/workflows/titled.yml": `name: Titled
run-name: Deploy \${{ inputs.target }}
on:
  workflow_dispatch:
    inputs:
      target: { type: string, required: true }
jobs:
  ok:
    runs-on: ubuntu-latest
    steps:
      - run: echo titled
`,
    }, `${subject}\n\nThe body is not part of the title.`);
    // A push delivered as GitHub delivers it, signed with the repository's webhook secret.
    const { data: rotated } = await ui.server.api<{ webhook_secret: string }>("POST", "/api/v3/repos/acme/shop/webhook-secret");
    const body = JSON.stringify({
      ref: "refs/heads/main",
      before: "0".repeat(40),
      after: sha,
      head_commit: { id: sha, message: `${subject}\n\nThe body is not part of the title.` },
      repository: { full_name: "acme/shop" },
      sender: { login: USER.login },
    });
    const delivered = await fetch(`${ui.server.url}/api/v3/webhooks/github`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-github-event": "push",
        "x-github-delivery": `push-${sha}`,
        "x-hub-signature-256": `sha256=${createHmac("sha256", rotated.webhook_secret).update(body).digest("hex")}`,
      },
      body,
    });
    vitestExpect(delivered.status).toBeLessThan(300);
    for (let i = 0; ; i++) {
      const runs = await ui.server.api<{ workflow_runs: { path: string; display_title: string }[] }>("GET", "/api/v3/repos/acme/shop/actions/runs?event=push");
      const run = runs.data.workflow_runs.find((r) => r.path === ".github/workflows/pushed.yml");
      if (run) {
        vitestExpect(run.display_title).toBe(subject);
        break;
      }
      if (i > 200) throw new Error("the push started no run");
      await new Promise((r) => setTimeout(r, 50));
    }
    const { status, data } = await ui.server.api<{ workflow_run_id: number }>("POST", "/api/v3/repos/acme/shop/actions/workflows/titled.yml/dispatches", { ref: "main", inputs: { target: "staging" } });
    vitestExpect(status).toBe(200);

    await open(`/acme/shop/actions/runs/${data.workflow_run_id}`);
    await expect(ui.page.locator(".run-heading h1")).toContainText("Deploy staging");
    await expect(ui.page.locator(".run-sub")).toContainText("Titled");

    await ui.page.setViewportSize({ width: 375, height: 800 });
    try {
      await open("/acme/shop");
      const pushed = ui.page.getByTestId("run-row").filter({ hasText: "Pushed" });
      await expect(pushed.locator(".run-title")).toHaveText(subject, { timeout: 20_000 });
      await expect(ui.page.getByTestId("run-row").filter({ hasText: "Titled" }).locator(".run-title")).toHaveText("Deploy staging");
      // The long title ends in an ellipsis inside the row (its full text is the tooltip); the workflow's name still shows; nothing scrolls sideways.
      const fits = await pushed.locator(".run-title").evaluate((el) => ({ cut: el.scrollWidth > el.clientWidth, inside: el.getBoundingClientRect().right <= 375 }));
      vitestExpect(fits).toEqual({ cut: true, inside: true });
      await expect(pushed.locator(".run-title")).toHaveAttribute("title", subject);
      await expect(pushed.locator(".run-meta")).toBeVisible();
      vitestExpect(await pushed.locator(".run-meta").evaluate((el) => el.textContent ?? "")).toContain("Pushed #1");
      vitestExpect(await ui.page.evaluate<boolean>("document.documentElement.scrollWidth <= window.innerWidth")).toBe(true);
      await saveScreenshot(ui.page, "real-pipeline-run-titles-phone");
      // On the run ui.page the title wraps within the screen, the run number beside it.
      await pushed.locator(".run-title").click();
      await ui.page.getByTestId("run-page").waitFor();
      await expect(ui.page.locator(".run-page-title-text")).toHaveText(subject);
      await expect(ui.page.locator(".run-page-title .run-number")).toBeVisible();
      vitestExpect(await ui.page.evaluate<boolean>("document.documentElement.scrollWidth <= window.innerWidth")).toBe(true);
      await saveScreenshot(ui.page, "real-pipeline-run-title-page-phone");
    } finally {
      await ui.page.setViewportSize({ width: 1280, height: 860 });
    }
    expect(ui.pageErrors).toEqual([]);
  });
});

/** Commits files to the repository's working copy; returns the new commit. */
function commitTo(dir: string, files: Record<string, string>, message: string): string {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  git(dir, "add", "-A");
  git(dir, "commit", "-q", "-m", message);
  return git(dir, "rev-parse", "HEAD");
}

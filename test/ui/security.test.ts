/**
 * The Security tab in real Chromium against the real server: open
 * secret-scanning alerts with their file, line and commit, never a secret;
 * resolving one takes it off the list.
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect as vitestExpect, it } from "vitest";
import { browserUnavailableReason, launchBrowser, openSignedIn, saveScreenshot, type Browser } from "../support/browser.js";
import { expect } from "./locator-expect.js";
import { seedRealServer, startRealServer, type RealServer } from "./real-server.js";
import { buildUi, removeUiBuild } from "./server.js";

const unavailable = browserUnavailableReason();
if (unavailable) console.warn(`[ui tests] skipped: ${unavailable}`);

const USER = { login: "ada", password: "correct-horse-battery" };
const finding = (fingerprint: string, path: string, startLine: number) => ({
  ruleId: "aws-access-key-id",
  description: "AWS access key id",
  fingerprint,
  commitSha: "c0ffee0123456789c0ffee0123456789c0ffee01",
  path,
  startLine,
  endLine: startLine,
  startColumn: 21,
  endColumn: 40,
});

describe.skipIf(unavailable !== undefined)("the Security tab in the web UI", () => {
  let browser: Browser;
  let server: RealServer;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    server = await startRealServer(await buildUi());
    const { repo } = await seedRealServer(server.store, USER.login, USER.password);
    await server.store.recordSecretFindings(repo.id, [finding("1".repeat(64), "config/aws.ini", 3), finding("2".repeat(64), "deploy/env.sh", 7)]);
    browser = await launchBrowser();
    page = await browser.newPage();
    page.on("pageerror", (e) => pageErrors.push(e.message));
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await removeUiBuild();
  });

  it("lists the open alerts with file, line and commit, and resolving one takes it off the list", async () => {
    await openSignedIn(page, server.url, "/acme/shop", USER);
    await page.getByRole("link", { name: "Security" }).click();
    const rows = page.getByTestId("secret-alert");
    await expect(rows).toHaveCount(2);
    await expect(rows.first()).toContainText("#2");
    await expect(rows.first()).toContainText("deploy/env.sh:7");
    await expect(rows.nth(1)).toContainText("config/aws.ini:3");
    await expect(rows.nth(1)).toContainText("commit c0ffee012345");
    console.log(`[ui] security: ${await saveScreenshot(page, "security", true)}`);
    await page.getByLabel("Resolve alert 2 as").selectOption("revoked");
    await expect(rows).toHaveCount(1);
    vitestExpect((await server.store.getSecretAlert((await server.store.getRepositoryByName("acme", "shop"))!.id, 2))?.resolution).toBe("revoked");
    vitestExpect(pageErrors).toEqual([]);
  });
});

/**
 * The Security tab in real Chromium against the real server: open
 * secret-scanning alerts with their file, line and commit, never a secret;
 * resolving one takes it off the list.
 */
import { describe, expect as vitestExpect, it } from "vitest";
import { browserUnavailableReason, openSignedIn, saveScreenshot } from "../support/browser.js";
import { useBrowserSuite } from "./browser-suite.js";
import { expect } from "./locator-expect.js";
import { seedRealServer, startRealServer } from "./real-server.js";

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
  const ui = useBrowserSuite(async (uiDir) => {
    const server = await startRealServer(uiDir);
    const { repo } = await seedRealServer(server.store, USER.login, USER.password);
    await server.store.recordSecretFindings(repo.id, [finding("1".repeat(64), "config/aws.ini", 3), finding("2".repeat(64), "deploy/env.sh", 7)]);
    return server;
  });

  it("lists the open alerts with file, line and commit, and resolving one takes it off the list", async () => {
    await openSignedIn(ui.page, ui.server.url, "/acme/shop", USER);
    await ui.page.getByRole("link", { name: "Security" }).click();
    const rows = ui.page.getByTestId("secret-alert");
    await expect(rows).toHaveCount(2);
    await expect(rows.first()).toContainText("#2");
    await expect(rows.first()).toContainText("deploy/env.sh:7");
    await expect(rows.nth(1)).toContainText("config/aws.ini:3");
    await expect(rows.nth(1)).toContainText("commit c0ffee012345");
    console.log(`[ui] security: ${await saveScreenshot(ui.page, "security", true)}`);
    await ui.page.getByLabel("Resolve alert 2 as").selectOption("revoked");
    await expect(rows).toHaveCount(1);
    vitestExpect((await ui.server.store.getSecretAlert((await ui.server.store.getRepositoryByName("acme", "shop"))!.id, 2))?.resolution).toBe("revoked");
    vitestExpect(ui.pageErrors).toEqual([]);
  });
});

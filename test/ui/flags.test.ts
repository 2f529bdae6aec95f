/**
 * The Flags page in real Chromium against the real server: the flag list,
 * the editor validating a draft as it is typed (with the JSON paths of the
 * schema's errors), the targeting preview, the kill switch and a restore;
 * in an environment that reviews flag changes, a saved draft waits as a
 * pending change shown as a diff, approved or rejected from the page.
 */
import { describe, expect as vitestExpect, it } from "vitest";
import { browserUnavailableReason, openSignedIn } from "../support/browser.js";
import { useBrowserSuite } from "./browser-suite.js";
import { expect } from "./locator-expect.js";
import { seedRealServer, startRealServer } from "./real-server.js";

const unavailable = browserUnavailableReason();
if (unavailable) console.warn(`[ui tests] skipped: ${unavailable}`);

const LOGIN = "ada";
const PASSWORD = "correct-horse-battery";

describe.skipIf(unavailable !== undefined)("Flags page", () => {
  let environmentId = 0;
  const ui = useBrowserSuite(async (uiDir) => {
    const server = await startRealServer(uiDir);
    const { repo } = await seedRealServer(server.store, LOGIN, PASSWORD);
    environmentId = (await server.store.ensureEnvironment(repo.id, "production")).id;
    await server.store.changeFlagSet(environmentId, LOGIN, () => ({
      document: {
        flags: {
          banner: { state: "ENABLED", variants: { on: true, off: false }, defaultVariant: "off", targeting: { if: [{ ends_with: [{ var: "email" }, "@acme.test"] }, "on", null] } },
          color: { state: "ENABLED", variants: { red: "red", blue: "blue" }, defaultVariant: "red" },
        },
      },
      reason: "seed",
    }));
    return server;
  });

  it("lists flags, validates a draft as it is typed, previews targeting, kills a flag and restores a version", async () => {
    await openSignedIn(ui.page, ui.server.url, "/acme/shop/flags", { login: LOGIN, password: PASSWORD });
    const rows = ui.page.getByTestId("flag-row");
    await expect(rows).toHaveCount(2);
    await expect(rows.first()).toContainText("banner");
    await expect(ui.page.getByTestId("flag-usage").first()).toContainText("never");
    await expect(ui.page.getByTestId("flag-usage").first()).toContainText("stale");

    const editor = ui.page.getByLabel("Flag set document");
    const draft = JSON.stringify({ flags: { banner: { state: "SOMETIMES", variants: { on: true }, defaultVariant: "maybe" } } }, null, 2);
    await editor.fill(draft);
    const problems = ui.page.getByTestId("draft-problems");
    await expect(problems).toContainText("$.flags.banner.state");
    await expect(problems).toContainText("$.flags.banner.defaultVariant");
    await editor.fill("{ not json");
    await expect(problems).toContainText("Not JSON");
    await editor.fill(JSON.stringify({ flags: { color: { state: "ENABLED", variants: { red: "red", blue: "blue" }, defaultVariant: "blue" } } }));
    await expect(ui.page.getByTestId("draft-valid")).toHaveText("Valid");
    await ui.page.getByRole("button", { name: "Discard changes" }).click();

    await ui.page.getByLabel("Flag", { exact: true }).selectOption("banner");
    await ui.page.getByLabel("Context (JSON)").fill('{"targetingKey": "u1", "email": "grace@acme.test"}');
    await ui.page.getByRole("button", { name: "Evaluate" }).click();
    await expect(ui.page.getByTestId("preview-result")).toContainText("variant on");

    await ui.page.getByRole("button", { name: "Kill flag banner" }).click();
    await expect(ui.page.locator('[data-flag="banner"]')).toHaveAttribute("data-state", "DISABLED");
    vitestExpect((await ui.server.store.getFlagSet(environmentId))?.document).toMatchObject({ flags: { banner: { state: "DISABLED" } } });
    await expect(ui.page.getByTestId("flag-version")).toHaveCount(2);

    await ui.page.getByRole("button", { name: "Restore version 1" }).click();
    await expect(ui.page.locator('[data-flag="banner"]')).toHaveAttribute("data-state", "ENABLED");
    vitestExpect((await ui.server.store.getFlagSet(environmentId))?.version).toBe(3);
    vitestExpect(ui.pageErrors).toEqual([]);
  });

  it("holds a saved change for review, shows it as a diff, and applies it on approval or closes it on rejection", async () => {
    const ada = (await ui.server.store.getUserByLogin(LOGIN))!;
    await ui.server.store.setEnvironmentProtection(environmentId, { reviewers: [{ type: "User", id: ada.id }], requiredApprovals: 1 });
    await ui.server.store.putFlagSettings(environmentId, { requireApproval: true, flagsPath: null });
    await ui.page.reload();
    const before = (await ui.server.store.getFlagSet(environmentId))!;
    const proposed = { ...before.document, flags: { ...(before.document.flags as object), color: { state: "ENABLED", variants: { red: "red", blue: "blue" }, defaultVariant: "blue" } } };
    await ui.page.getByLabel("Flag set document").fill(JSON.stringify(proposed, null, 2));
    await expect(ui.page.getByTestId("draft-valid")).toHaveText("Valid");
    await ui.page.getByRole("button", { name: "Save" }).click();
    await expect(ui.page.getByText(/the change waits for approval as change #\d+/)).toHaveCount(1);
    vitestExpect((await ui.server.store.getFlagSet(environmentId))?.version).toBe(before.version);
    const change = ui.page.getByTestId("pending-change");
    await expect(change).toHaveCount(1);
    await expect(change.getByTestId("change-flag")).toHaveAttribute("data-flag", "color");
    await expect(change.getByTestId("change-flag")).toHaveAttribute("data-kind", "changed");
    await expect(change.getByTestId("change-flag")).toContainText('"defaultVariant": "blue"');
    const id = await change.getAttribute("data-change");
    await ui.page.getByRole("button", { name: `Approve change ${id}` }).click();
    await expect(ui.page.getByText(`Change #${id} is applied as version ${before.version + 1}.`)).toHaveCount(1);
    await expect(ui.page.getByTestId("pending-change")).toHaveCount(0);
    vitestExpect((await ui.server.store.getFlagSet(environmentId))?.document).toMatchObject({ flags: { color: { defaultVariant: "blue" } } });

    await ui.page.getByLabel("Flag set document").fill(JSON.stringify(before.document, null, 2));
    await expect(ui.page.getByTestId("draft-valid")).toHaveText("Valid");
    await ui.page.getByRole("button", { name: "Save" }).click();
    await expect(ui.page.getByTestId("pending-change")).toHaveCount(1);
    const second = await ui.page.getByTestId("pending-change").getAttribute("data-change");
    await ui.page.getByRole("button", { name: `Reject change ${second}` }).click();
    await expect(ui.page.getByText(`Change #${second} is rejected.`)).toHaveCount(1);
    await expect(ui.page.getByTestId("pending-change")).toHaveCount(0);
    vitestExpect((await ui.server.store.getFlagSet(environmentId))?.version).toBe(before.version + 1);
    vitestExpect(ui.pageErrors).toEqual([]);
  });
});

/**
 * Real headless Chromium for UI tests: Debian's `chromium` driven by
 * playwright-core (no browser download), a fresh profile per launch, and
 * screenshots under test-results/screenshots/.
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type BrowserContext, type Page } from "playwright-core";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const CHROMIUM_PATH = process.env.SLIPWAY_CHROMIUM ?? "/usr/bin/chromium";
const screenshotDir = path.join(repoRoot, "test-results", "screenshots");
export const uiDir = path.join(repoRoot, "dist", "ui");

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * Why browser tests cannot run here, or undefined when they can. Under
 * CI=true a missing browser is an error: CI installs it, so a skip there
 * would hide a broken set-up.
 */
export function browserUnavailableReason(): string | undefined {
  if (existsSync(CHROMIUM_PATH)) return undefined;
  const reason = `no Chromium at ${CHROMIUM_PATH} (apt-get install -y chromium, or set SLIPWAY_CHROMIUM)`;
  if (process.env.CI === "true") throw new Error(`${reason}; CI=true requires the browser tests to run`);
  console.warn(`notice: ${reason}; skipping the browser tests`);
  return reason;
}

export interface Browser {
  context: BrowserContext;
  newPage(viewport?: { width: number; height: number }): Promise<Page>;
  close(): Promise<void>;
}

export async function launchBrowser(options: { colorScheme?: "light" | "dark" } = {}): Promise<Browser> {
  const profile = await mkdtemp(path.join(os.tmpdir(), "slipway-chromium-"));
  // launchPersistentContext is playwright's way to pass --user-data-dir.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: FLAGS,
    viewport: { width: 1280, height: 860 },
    colorScheme: options.colorScheme ?? "light",
    reducedMotion: "reduce",
    acceptDownloads: true,
  });
  return {
    context,
    async newPage(viewport) {
      const page = await context.newPage();
      if (viewport) await page.setViewportSize(viewport);
      return page;
    },
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

export async function saveScreenshot(page: Page, name: string, fullPage = false): Promise<string> {
  await mkdir(screenshotDir, { recursive: true });
  const file = path.join(screenshotDir, `${name}.png`);
  await page.screenshot({ path: file, fullPage });
  return file;
}

/** Opens `baseUrl + path`, signing in first when the page shows the sign-in form (a test may run alone). */
export async function openSignedIn(page: Page, baseUrl: string, path: string, user: { login: string; password: string }): Promise<void> {
  await page.goto(`${baseUrl}${path}`);
  const form = page.getByRole("button", { name: "Sign in" });
  const signOut = page.getByRole("button", { name: "Sign out" });
  await Promise.race([form.waitFor(), signOut.waitFor()]);
  if (await form.isVisible()) {
    await page.getByLabel("Login").fill(user.login);
    await page.getByLabel("Password").fill(user.password);
    await form.click();
    await signOut.waitFor();
  }
}

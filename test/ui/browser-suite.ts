/**
 * One describe block's browser set-up: the UI built once, a server started
 * over it (seeded by `start`), Chromium with one page whose uncaught errors
 * are collected, and all of it closed after the block.
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll } from "vitest";
import { launchBrowser, type Browser } from "../support/browser.js";
import { buildUi, removeUiBuild } from "./server.js";

export interface BrowserSuite<S> {
  server: S;
  browser: Browser;
  page: Page;
  /** Messages of the page's uncaught errors, in order. */
  pageErrors: string[];
}

/** Registers the block's beforeAll/afterAll; the returned object is filled before its first test. */
export function useBrowserSuite<S extends { close(): Promise<void> }>(start: (uiDir: string) => Promise<S>): BrowserSuite<S> {
  const suite = { pageErrors: [] as string[] } as BrowserSuite<S>;
  beforeAll(async () => {
    suite.server = await start(await buildUi());
    suite.browser = await launchBrowser();
    suite.page = await suite.browser.newPage();
    suite.page.on("pageerror", (e) => suite.pageErrors.push(e.message));
  });
  afterAll(async () => {
    await suite.browser?.close();
    await suite.server?.close();
    await removeUiBuild();
  });
  return suite;
}

/**
 * Retrying assertions on playwright-core locators (playwright-core ships no
 * test runner): each polls until it holds or the timeout passes, on top of
 * vitest's expect.poll. Plain values go to vitest's expect unchanged.
 */
import type { Locator } from "playwright-core";
import { expect as vitestExpect } from "vitest";

const DEFAULT_TIMEOUT = 7000;

interface Options {
  timeout?: number;
}

const normalize = (s: string | null) => (s ?? "").replace(/\s+/g, " ").trim();

function matchText(poll: ReturnType<typeof vitestExpect.poll<string>>, expected: string | RegExp) {
  return typeof expected === "string" ? poll.toBe(expected) : poll.toMatch(expected);
}

export function locatorExpect(locator: Locator) {
  const poll = <T>(fn: () => Promise<T>, o?: Options) => vitestExpect.poll(fn, { timeout: o?.timeout ?? DEFAULT_TIMEOUT, interval: 50 });
  return {
    toHaveText: async (expected: string | RegExp | string[], o?: Options) => {
      if (Array.isArray(expected)) await poll(async () => (await locator.allTextContents()).map(normalize), o).toEqual(expected);
      else await matchText(poll(async () => normalize(await locator.textContent({ timeout: 500 })), o), expected);
    },
    toContainText: async (expected: string, o?: Options) => {
      await poll(async () => normalize(await locator.textContent({ timeout: 500 })), o).toContain(expected);
    },
    not: {
      toContainText: async (unexpected: string, o?: Options) => {
        await poll(async () => normalize(await locator.textContent({ timeout: 500 })), o).not.toContain(unexpected);
      },
      toBeChecked: async (o?: Options) => {
        await poll(() => locator.isChecked({ timeout: 500 }), o).toBe(false);
      },
    },
    toBeChecked: async (o?: Options) => {
      await poll(() => locator.isChecked({ timeout: 500 }), o).toBe(true);
    },
    toBeDisabled: async (o?: Options) => {
      await poll(() => locator.isDisabled({ timeout: 500 }), o).toBe(true);
    },
    toHaveAttribute: async (name: string, expected: string | RegExp, o?: Options) => {
      await matchText(poll(async () => (await locator.getAttribute(name, { timeout: 500 })) ?? "", o), expected);
    },
    toHaveClass: async (expected: RegExp, o?: Options) => {
      await poll(async () => (await locator.getAttribute("class", { timeout: 500 })) ?? "", o).toMatch(expected);
    },
    toHaveCount: async (expected: number, o?: Options) => {
      await poll(() => locator.count(), o).toBe(expected);
    },
    toHaveValue: async (expected: string, o?: Options) => {
      await poll(() => locator.inputValue({ timeout: 500 }), o).toBe(expected);
    },
    toBeVisible: async (o?: Options) => {
      await poll(() => locator.isVisible(), o).toBe(true);
    },
    toBeInViewport: async (o?: Options) => {
      await poll(
        () =>
          locator.evaluate((el) => {
            const r = el.getBoundingClientRect();
            return r.bottom > 0 && r.top < (globalThis as unknown as { innerHeight: number }).innerHeight && r.height > 0;
          }),
        o,
      ).toBe(true);
    },
  };
}

function isLocator(value: unknown): value is Locator {
  return typeof value === "object" && value !== null && typeof (value as Locator).waitFor === "function" && typeof (value as Locator).evaluateAll === "function";
}

export function expect(value: Locator): ReturnType<typeof locatorExpect>;
export function expect<T>(value: T): ReturnType<typeof vitestExpect<T>>;
export function expect(value: unknown): unknown {
  return isLocator(value) ? locatorExpect(value) : vitestExpect(value);
}

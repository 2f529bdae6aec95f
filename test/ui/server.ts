/**
 * "A server" for the UI tests. Today a fake of the public API (the real
 * server cannot run workflows yet); switching to `slipway server` means
 * changing startServer to launch it and seed it through its API.
 */
import { build } from "vite";
import path from "node:path";
import { FakeApi } from "../support/fake-api.js";
import { repoRoot, uiDir } from "../support/browser.js";

export interface TestServer {
  url: string;
  fake: FakeApi;
  close(): Promise<void>;
}

/** Builds the UI from source into dist/ui so the tests see the current code. */
export async function buildUi(): Promise<void> {
  // vitest sets NODE_ENV=test, which would bundle React's development build.
  const previous = process.env.NODE_ENV;
  process.env.NODE_ENV = "production";
  try {
    await build({ configFile: path.join(repoRoot, "src/ui/vite.config.ts"), mode: "production", logLevel: "warn" });
  } finally {
    process.env.NODE_ENV = previous;
  }
}

export async function startServer(): Promise<TestServer> {
  const fake = new FakeApi({ uiDir });
  const url = await fake.start();
  return { url, fake, close: () => fake.stop() };
}

export const ADMIN = { login: "ada", password: "correct-horse-battery" };

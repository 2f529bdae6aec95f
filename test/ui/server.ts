/**
 * The UI build under test, and a fake of the public API for states the real
 * server cannot easily produce on demand (thousands of log lines, dropped
 * streams, expiring sessions, an unreachable server). The flows a person
 * goes through also run against the real server: real-server.test.ts over a
 * seeded store, real-pipeline.test.ts with the run pipeline and a runner.
 */
import { build } from "vite";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { FakeApi } from "../support/fake-api.js";
import { repoRoot, uiDir } from "../support/browser.js";

export interface TestServer {
  url: string;
  fake: FakeApi;
  close(): Promise<void>;
}

let built: Promise<string> | undefined;

/**
 * Builds the UI from source so the tests see the current code, into a folder
 * of this test process (test files run in parallel; dist/ui is left alone).
 * SLIPWAY_UI_PREBUILT=1 uses dist/ui as built by `npm run build:ui`.
 */
export function buildUi(): Promise<string> {
  if (process.env.SLIPWAY_UI_PREBUILT === "1") return Promise.resolve(uiDir);
  built ??= (async () => {
    const outDir = await mkdtemp(path.join(tmpdir(), "slipway-ui-build-"));
    // vitest sets NODE_ENV=test, which would bundle React's development build.
    const previous = process.env.NODE_ENV;
    process.env.NODE_ENV = "production";
    try {
      await build({ configFile: path.join(repoRoot, "src/ui/vite.config.ts"), mode: "production", logLevel: "warn", build: { outDir, emptyOutDir: true } });
    } finally {
      process.env.NODE_ENV = previous;
    }
    return outDir;
  })();
  return built;
}

/** Removes this process's build (not dist/ui). */
export async function removeUiBuild(): Promise<void> {
  if (!built || process.env.SLIPWAY_UI_PREBUILT === "1") return;
  const dir = await built.catch(() => undefined);
  built = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
}

/** "A server" serving the UI in `uiDir` and answering the API. */
export async function startServer(uiDir: string): Promise<TestServer> {
  const fake = new FakeApi({ uiDir });
  const url = await fake.start();
  return { url, fake, close: () => fake.stop() };
}

export const ADMIN = { login: "ada", password: "correct-horse-battery" };

/**
 * `import { SlipwayProvider } from "slipway/openfeature"` as an app does it:
 * a separate Node process whose node_modules holds the built package, against
 * a running server. Needs the build (`node scripts/build.mjs`).
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ADMIN_TOKEN, auth, registerRepo, startTestServer, type TestServer } from "./helpers.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const ENV = "/api/v3/repos/acme/widgets/environments/production";

let server: TestServer;
let baseUrl: string;
let app: string;

beforeAll(async () => {
  server = await startTestServer({ env: { SLIPWAY_LOG_LEVEL: "warn" } });
  await registerRepo(server.app);
  await server.app.inject({ method: "PUT", url: ENV, headers: auth(ADMIN_TOKEN) });
  baseUrl = await server.app.listen({ port: 0, host: "127.0.0.1" });
  app = mkdtempSync(path.join(tmpdir(), "slipway-app-"));
  mkdirSync(path.join(app, "node_modules", "@openfeature"), { recursive: true });
  symlinkSync(repoRoot, path.join(app, "node_modules", "slipway"));
  // The provider's peer: the app brings its own OpenFeature SDK.
  for (const pkg of ["server-sdk", "core"]) symlinkSync(path.join(repoRoot, "node_modules", "@openfeature", pkg), path.join(app, "node_modules", "@openfeature", pkg));
});
afterAll(async () => {
  await server.close();
  rmSync(app, { recursive: true, force: true });
});

it("serves the environment's flags to an app that imports slipway/openfeature", async () => {
  expect(existsSync(path.join(repoRoot, "dist", "flags.js")), "dist/flags.js is missing: run `node scripts/build.mjs`").toBe(true);
  await server.app.inject({
    method: "PUT",
    url: `${ENV}/flags`,
    headers: auth(ADMIN_TOKEN),
    payload: { flags: { checkout: { state: "ENABLED", variants: { old: "v1", new: "v2" }, defaultVariant: "old", targeting: { if: [{ "==": [{ var: "plan" }, "pro"] }, "new", null] } } } },
  });
  const key = (await server.app.inject({ method: "POST", url: `${ENV}/flag-keys`, headers: auth(ADMIN_TOKEN), payload: { name: "app" } })).json().key as string;
  const script = path.join(app, "main.mjs");
  writeFileSync(
    script,
    [
      'import { OpenFeature } from "@openfeature/server-sdk";',
      'import { SlipwayProvider } from "slipway/openfeature";',
      "const [server, key] = process.argv.slice(2);",
      'await OpenFeature.setProviderAndWait(new SlipwayProvider({ server, repository: "acme/widgets", environment: "production", key }));',
      "const client = OpenFeature.getClient();",
      'const pro = await client.getStringDetails("checkout", "none", { targetingKey: "u1", plan: "pro" });',
      'const free = await client.getStringDetails("checkout", "none", { targetingKey: "u2", plan: "free" });',
      "console.log(JSON.stringify({ pro: [pro.value, pro.reason], free: [free.value, free.reason] }));",
      "await OpenFeature.close();",
    ].join("\n"),
  );
  const { stdout } = await promisify(execFile)(process.execPath, [script, baseUrl, key], { cwd: app, timeout: 20_000 });
  expect(JSON.parse(stdout)).toEqual({ pro: ["v2", "TARGETING_MATCH"], free: ["v1", "DEFAULT"] });
});

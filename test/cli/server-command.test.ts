/** The web UI's files as `slipway server` serves them: by path, index.html for UI routes, nothing outside dist/ui. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import Fastify from "fastify";
import { afterAll, describe, expect, it } from "vitest";
import { registerUiRoutes } from "../../src/cli/index.js";

describe("registerUiRoutes", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "slipway-ui-"));
  const ui = path.join(dir, "ui");
  mkdirSync(path.join(ui, "assets"), { recursive: true });
  writeFileSync(path.join(ui, "index.html"), "<!doctype html><title>Slipway</title>");
  writeFileSync(path.join(ui, "assets", "app-1234.js"), "console.log(1)");
  writeFileSync(path.join(dir, "secret.key"), "do not serve");
  const app = Fastify();
  registerUiRoutes(app, ui);
  afterAll(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("serves files by path, hashed assets cached, and index.html for UI routes", async () => {
    const asset = await app.inject({ method: "GET", url: "/assets/app-1234.js" });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers["content-type"]).toMatch(/javascript/);
    expect(asset.headers["cache-control"]).toMatch(/immutable/);
    for (const url of ["/", "/acme/widgets/actions/runs/3", "/settings?tab=tokens"]) {
      const page = await app.inject({ method: "GET", url });
      expect(page.statusCode, url).toBe(200);
      expect(page.body).toContain("<title>Slipway</title>");
      expect(page.headers["cache-control"]).toBe("no-cache");
    }
  });

  it("answers unknown API paths and missing assets with 404, and never leaves the UI directory", async () => {
    expect((await app.inject({ method: "GET", url: "/api/v3/nothing" })).statusCode).toBe(404);
    expect((await app.inject({ method: "GET", url: "/assets/missing.js" })).statusCode).toBe(404);
    for (const url of ["/../secret.key", "/%2e%2e/secret.key", "/assets/..%2f..%2fsecret.key", "/%E0%A4%A"]) {
      const res = await app.inject({ method: "GET", url });
      expect(res.body, url).not.toContain("do not serve");
    }
  });
});

/**
 * DORA's metrics on /metrics: gauges per repository and environment over the
 * last 30 days, read from the text exposition, and recomputed at most once
 * a minute.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, auth, registerRepo, startTestServer, type TestServer } from "./helpers.js";

let server: TestServer;
// A little ahead of the deployments the test records, so they fall inside the window.
let clock = Date.now() + 30_000;

beforeAll(async () => {
  server = await startTestServer({ deps: { clock: () => new Date(clock) } });
  await registerRepo(server.app, "acme", "widgets");
  const repo = (await server.store.getRepositoryByName("acme", "widgets"))!;
  // staging: success, failure, success (a hotfix); production: one success.
  for (const [environment, state, rework] of [["staging", "success", false], ["staging", "failure", false], ["staging", "success", true], ["production", "success", false]] as const) {
    const d = await server.store.createDeployment({ repositoryId: repo.id, environment, sha: "a".repeat(40), ref: "main", rework });
    await server.store.addDeploymentStatus(d.id, { state });
  }
});
afterAll(async () => {
  await server.close();
});

/** Samples of the exposition: `name{labels}` → value. */
async function scrape(): Promise<Map<string, number>> {
  const res = await server.app.inject({ method: "GET", url: "/metrics", headers: auth(ADMIN_TOKEN) });
  expect(res.statusCode).toBe(200);
  const samples = new Map<string, number>();
  for (const line of res.body.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

describe("DORA gauges", () => {
  it("answers each environment's deployments, change fail rate, rework rate and recovery time", async () => {
    const s = await scrape();
    const staging = '{repository="acme/widgets",environment="staging"}';
    expect(s.get(`slipway_dora_deployments${staging}`)).toBe(2);
    expect(s.get(`slipway_dora_change_fail_rate${staging}`)).toBeCloseTo(1 / 3);
    expect(s.get(`slipway_dora_rework_rate${staging}`)).toBeCloseTo(1 / 3);
    expect(s.get(`slipway_dora_recovery_time_median_seconds${staging}`)).toBeGreaterThanOrEqual(0);
    expect(s.get('slipway_dora_deployments{repository="acme/widgets",environment="production"}')).toBe(1);
    expect(s.get('slipway_dora_change_fail_rate{repository="acme/widgets",environment="production"}')).toBe(0);
    // No mirror, no commit times: no lead time rather than a made-up one.
    expect([...s.keys()].some((k) => k.startsWith("slipway_dora_lead_time_seconds{"))).toBe(false);
  });

  it("serves the snapshot until a minute passed, then recomputes it", async () => {
    const repo = (await server.store.getRepositoryByName("acme", "widgets"))!;
    const d = await server.store.createDeployment({ repositoryId: repo.id, environment: "production", sha: "b".repeat(40), ref: "main" });
    await server.store.addDeploymentStatus(d.id, { state: "success" });
    const production = 'slipway_dora_deployments{repository="acme/widgets",environment="production"}';
    expect((await scrape()).get(production)).toBe(1);
    clock += 61_000;
    expect((await scrape()).get(production)).toBe(2);
  });
});

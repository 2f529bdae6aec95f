/**
 * `GET …/dora?bucket=week`: the period's weekly series beside its totals,
 * weeks ending at `until`, oldest first, the oldest cut at `since`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, auth, registerRepo, startTestServer, type TestServer } from "./helpers.js";

const DAY = 86_400_000;
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
  await registerRepo(server.app, "acme", "widgets");
  const repo = (await server.store.getRepositoryByName("acme", "widgets"))!;
  // Two successful deployments and a failed one to staging, one success to production.
  for (const [environment, state] of [["staging", "success"], ["staging", "failure"], ["staging", "success"], ["production", "success"]] as const) {
    const d = await server.store.createDeployment({ repositoryId: repo.id, environment, sha: "a".repeat(40), ref: "main" });
    await server.store.addDeploymentStatus(d.id, { state });
  }
});
afterAll(async () => {
  await server.close();
});

const dora = (query: string) => server.app.inject({ method: "GET", url: `/api/v3/repos/acme/widgets/dora${query}`, headers: auth(ADMIN_TOKEN) });

describe("DORA weekly series", () => {
  it("cuts the period into weeks ending at until, with the totals spread over them", async () => {
    const until = Date.now() + DAY;
    const since = until - 20 * DAY;
    const res = await dora(`?environment=staging&since=${new Date(since).toISOString()}&until=${new Date(until).toISOString()}&bucket=week`);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.deployment_frequency).toMatchObject({ deployments: 2 });
    expect(body.change_fail_rate).toMatchObject({ failed: 1, deployments: 3 });
    const series = body.series as { since: string; until: string; deployments: number; failed: number; change_fail_rate: number | null }[];
    expect(series).toHaveLength(3);
    expect(series[0]!.since).toBe(new Date(since).toISOString());
    expect(Date.parse(series[0]!.until) - Date.parse(series[0]!.since)).toBe(6 * DAY);
    for (let i = 1; i < series.length; i++) {
      expect(series[i]!.since).toBe(series[i - 1]!.until);
      expect(Date.parse(series[i]!.until) - Date.parse(series[i]!.since)).toBe(7 * DAY);
    }
    expect(series.at(-1)!.until).toBe(new Date(until).toISOString());
    expect(series.reduce((n, b) => n + b.deployments, 0)).toBe(2);
    expect(series.reduce((n, b) => n + b.failed, 0)).toBe(1);
    // Everything happened in the last week; the earlier weeks are empty.
    expect(series.at(-1)).toMatchObject({ deployments: 2, failed: 1 });
    expect(series.at(-1)!.change_fail_rate).toBeCloseTo(1 / 3);
    expect(series[0]).toMatchObject({ deployments: 0, failed: 0, change_fail_rate: null });
  });

  it("answers no series without bucket, and 422 for another bucket or too long a period", async () => {
    const plain = await dora("");
    expect(plain.statusCode).toBe(200);
    expect(plain.json().series).toBeUndefined();
    const day = await dora("?bucket=day");
    expect(day.statusCode).toBe(422);
    expect(day.body).toContain("bucket");
    const long = await dora(`?since=${new Date(Date.now() - 800 * DAY).toISOString()}&bucket=week`);
    expect(long.statusCode).toBe(422);
    expect(long.body).toContain("60 weeks");
  });
});

describe("DORA after changes", () => {
  it("answers the same figures again, and new ones after a status, a deployment or a deletion", async () => {
    const repo = (await server.store.getRepositoryByName("acme", "widgets"))!;
    const until = new Date(Date.now() + DAY).toISOString();
    const production = async () => (await dora(`?environment=production&until=${until}`)).json();
    const before = await production();
    expect(before.change_fail_rate).toMatchObject({ failed: 0, deployments: 1 });
    expect(await production()).toEqual(before);
    const [current] = (await server.store.listDeployments(repo.id, { environment: "production" })).items;
    // Marked failed after it succeeded: deployed, and failed from then on.
    await server.store.addDeploymentStatus(current!.id, { state: "failure" });
    expect((await production()).change_fail_rate).toMatchObject({ failed: 1, deployments: 1 });
    const rollback = await server.store.createDeployment({ repositoryId: repo.id, environment: "production", sha: "b".repeat(40), ref: "main", payload: { rollback: true }, state: "success" });
    expect((await production()).deployment_frequency).toMatchObject({ deployments: 1, rollbacks: 1 });
    await server.store.deleteDeployment(repo.id, rollback.id);
    expect((await production()).deployment_frequency).toMatchObject({ deployments: 1, rollbacks: 0 });
  });

  it("keeps each server's records apart", async () => {
    const other = await startTestServer();
    try {
      await registerRepo(other.app, "acme", "widgets");
      const res = await other.app.inject({ method: "GET", url: "/api/v3/repos/acme/widgets/dora", headers: auth(ADMIN_TOKEN) });
      expect(res.json().change_fail_rate).toMatchObject({ failed: 0, deployments: 0 });
      expect((await dora("")).json().change_fail_rate.deployments).toBeGreaterThan(0);
    } finally {
      await other.close();
    }
  });
});

import { afterEach, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, auth, registerRepo, startTestServer, type TestServer } from "./helpers.js";

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function seed(s: TestServer) {
  const repo = (await s.store.getRepositoryByName("acme", "widgets"))!;
  const base = { repositoryId: repo.id, workflowFile: ".github/workflows/ci.yml", workflowName: "CI", headBranch: "main", headSha: "c".repeat(40), actor: "admin" };
  const titled = await s.store.createRun({ ...base, event: "push", displayTitle: "Fix the login form" });
  // A run stored before titles were kept.
  const older = await s.store.createRun({ ...base, event: "schedule" });
  const dispatched = await s.store.createRun({ ...base, event: "workflow_dispatch", displayTitle: "Deploy staging" });
  return { titled, older, dispatched };
}

describe("run display titles in the API", () => {
  it("answers the stored title as display_title, and the workflow's name for runs without one", async () => {
    server = await startTestServer();
    await registerRepo(server.app);
    const { titled, older } = await seed(server);
    const one = await server.app.inject({ method: "GET", url: `/api/v3/repos/acme/widgets/actions/runs/${titled.id}`, headers: auth(ADMIN_TOKEN) });
    expect(one.statusCode).toBe(200);
    expect(one.json()).toMatchObject({ id: titled.id, name: "CI", display_title: "Fix the login form" });
    const old = await server.app.inject({ method: "GET", url: `/api/v3/repos/acme/widgets/actions/runs/${older.id}`, headers: auth(ADMIN_TOKEN) });
    expect(old.json()).toMatchObject({ name: "CI", display_title: "CI" });
    const attempt = await server.app.inject({ method: "GET", url: `/api/v3/repos/acme/widgets/actions/runs/${titled.id}/attempts/1`, headers: auth(ADMIN_TOKEN) });
    expect(attempt.json().display_title).toBe("Fix the login form");
  });

  it("lists titles everywhere runs are listed; the filters work as before", async () => {
    server = await startTestServer();
    await registerRepo(server.app);
    await seed(server);
    const list = await server.app.inject({ method: "GET", url: "/api/v3/repos/acme/widgets/actions/runs", headers: auth(ADMIN_TOKEN) });
    expect(list.json().total_count).toBe(3);
    expect(list.json().workflow_runs.map((r: { display_title: string }) => r.display_title)).toEqual(["Deploy staging", "CI", "Fix the login form"]);
    const dispatches = await server.app.inject({ method: "GET", url: "/api/v3/repos/acme/widgets/actions/runs?event=workflow_dispatch", headers: auth(ADMIN_TOKEN) });
    expect(dispatches.json().workflow_runs.map((r: { display_title: string }) => r.display_title)).toEqual(["Deploy staging"]);
    const everywhere = await server.app.inject({ method: "GET", url: "/api/v3/runs?event=push", headers: auth(ADMIN_TOKEN) });
    expect(everywhere.json().workflow_runs.map((r: { display_title: string }) => r.display_title)).toEqual(["Fix the login form"]);
    const byWorkflow = await server.app.inject({ method: "GET", url: "/api/v3/repos/acme/widgets/actions/workflows/ci.yml/runs", headers: auth(ADMIN_TOKEN) });
    expect(byWorkflow.json().workflow_runs.map((r: { display_title: string }) => r.display_title)).toEqual(["Deploy staging", "CI", "Fix the login form"]);
  });
});

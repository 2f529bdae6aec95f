/**
 * GitOps for flags through the whole server path: an environment with
 * `flags_path` takes its flag set from that file at the commit a successful
 * deployment ran (a dispatched run on the embedded runner), without review
 * even where flag changes need approval; an invalid file leaves the set alone
 * and the audit log says why.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { git, makeRepo } from "../support/git-repo.js";
import { api, startTestServer, tempDir, waitFor } from "./support.js";

const DEPLOY = `name: deploy
on: workflow_dispatch
jobs:
  deploy:
    runs-on: self-hosted
    environment: production
    steps:
      - run: echo deployed
`;

const flagsV1 = { flags: { banner: { state: "ENABLED", variants: { on: true, off: false }, defaultVariant: "on" } } };

describe("flags applied by deployments (flags_path)", () => {
  const root = tempDir("flags-gitops");
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let repoDir: string;
  const repoApi = "/api/v3/repos/acme/shop";

  beforeAll(async () => {
    repoDir = makeRepo({ ".github/workflows/deploy.yml": DEPLOY, ".slipway/flags/production.json": JSON.stringify(flagsV1) }, { dir: `${root}/repo` });
    server = await startTestServer({ dataDir: `${root}/data`, embeddedRunner: true });
    expect((await api(server.url, "POST", "/api/v3/repos", { owner: "acme", name: "shop", git_url: `file://${repoDir}` })).status).toBe(201);
    const me = (await api(server.url, "GET", "/api/v3/user")).data;
    // Flag changes need review here; the deployment's file does not wait for it.
    const env = await api(server.url, "PUT", `${repoApi}/environments/production`, { flags_path: ".slipway/flags/production.json", flag_changes_require_approval: true, reviewers: [{ type: "User", id: me.id }] });
    expect(env.status).toBe(200);
    expect(env.data).toMatchObject({ flags_path: ".slipway/flags/production.json", flag_changes_require_approval: true });
  }, 60_000);
  afterAll(async () => {
    await server?.close();
  });

  const deploy = async (): Promise<number> => {
    const res = await api(server.url, "POST", `${repoApi}/actions/workflows/deploy.yml/dispatches`, { ref: "main" });
    expect(res.status).toBe(200);
    const runId = res.data.workflow_run_id as number;
    // The environment's reviewer approves the deployment itself: that review covers the flags file.
    await waitFor(`run ${runId} to wait for review`, async () => ((await api(server.url, "GET", `${repoApi}/actions/runs/${runId}`)).data.status === "waiting" ? true : undefined), 30_000);
    const pending = (await api(server.url, "GET", `${repoApi}/actions/runs/${runId}/pending_deployments`)).data;
    expect((await api(server.url, "POST", `${repoApi}/actions/runs/${runId}/pending_deployments`, { environment_ids: [pending[0].environment.id], state: "approved", comment: "ship" })).status).toBe(200);
    const run = await waitFor(`run ${runId} to complete`, async () => {
      const r = (await api(server.url, "GET", `${repoApi}/actions/runs/${runId}`)).data;
      return r.status === "completed" ? r : undefined;
    }, 60_000);
    expect(run.conclusion).toBe("success");
    return runId;
  };
  const flags = async () => (await api(server.url, "GET", `${repoApi}/environments/production/flags`)).data;

  it("applies the file at the deployed commit as a new version, audited with the deployment", { timeout: 120_000 }, async () => {
    await deploy();
    await waitFor("the flags file to be applied", async () => ((await flags()).flags?.banner ? true : undefined), 20_000);
    expect(await flags()).toEqual(flagsV1);
    const versions = (await api(server.url, "GET", `${repoApi}/environments/production/flags/versions`)).data.versions;
    expect(versions).toHaveLength(1);
    expect(versions[0]).toMatchObject({ actor: expect.stringMatching(/^deployment:\d+$/), reason: expect.stringContaining(".slipway/flags/production.json at ") });
    const audit = (await api(server.url, "GET", "/api/v3/audit-log?action=flags.gitops.apply")).data.entries;
    expect(audit[0].details).toMatchObject({ environment: "production", path: ".slipway/flags/production.json", flags: { banner: { before: null, after: flagsV1.flags.banner } } });
  });

  it("leaves the set alone when the file at the deployed commit is invalid, and records why", { timeout: 120_000 }, async () => {
    fs.writeFileSync(path.join(repoDir, ".slipway/flags/production.json"), JSON.stringify({ flags: { banner: { state: "SOMETIMES", variants: { on: true } } } }));
    git(repoDir, "commit", "-qam", "break the flags");
    const sha = git(repoDir, "rev-parse", "HEAD");
    await deploy();
    const refused = await waitFor("the refusal in the audit log", async () => {
      const entries = (await api(server.url, "GET", "/api/v3/audit-log?action=flags.gitops.refused")).data.entries;
      return entries.length > 0 ? entries[0] : undefined;
    }, 20_000);
    expect(refused.details).toMatchObject({ environment: "production", sha, path: ".slipway/flags/production.json", reason: expect.stringContaining("$.flags.banner.state") });
    expect(await flags()).toEqual(flagsV1);
    expect((await api(server.url, "GET", `${repoApi}/environments/production/flags/versions`)).data.versions).toHaveLength(1);
  });
});

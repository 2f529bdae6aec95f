/** `slipway deploy list|status|rollback` against a real server over HTTP. */
import { describe, expect, it } from "vitest";
import { api as callApi } from "../../e2e/support.js";
import { suiteServer } from "../../support/api-cli.js";

const { cli, url } = suiteServer("deploy-cli");
const api = (method: string, route: string, body?: unknown) => callApi(url(), method, route, body);

describe("slipway deploy", () => {
  it("lists deployments, shows one with its statuses, and says why a rollback cannot happen", async () => {
    expect(await cli(["deploy", "list", "acme/widgets"])).toMatchObject({ code: 0, stdout: "acme/widgets has no deployments.\n" });
    const created = await api("POST", "/api/v3/repos/acme/widgets/deployments", { ref: "b".repeat(40), environment: "staging", description: "by a tool" });
    expect(created.status).toBe(201);
    await api("POST", `/api/v3/repos/acme/widgets/deployments/${created.data.id}/statuses`, { state: "success", environment_url: "https://staging.example", description: "live" });

    const list = await cli(["deploy", "list", "acme/widgets", "--env", "staging"]);
    expect(list.code).toBe(0);
    expect(list.stdout.split("\n")[0]).toMatch(/^ID\s+ENVIRONMENT\s+STATE\s+COMMIT\s+REF\s+BY\s+CREATED\s+URL$/);
    expect(list.stdout.split("\n")[1]).toMatch(new RegExp(`^${created.data.id}\\s+staging\\s+success\\s+bbbbbbb\\s+`));
    expect(JSON.parse((await cli(["deploy", "list", "acme/widgets", "--json"])).stdout)).toMatchObject([{ id: created.data.id, environment_url: "https://staging.example" }]);
    expect((await cli(["deploy", "list", "acme/widgets", "--env", "production"])).stdout).toBe("acme/widgets has no deployments to production.\n");

    const status = await cli(["deploy", "status", "acme/widgets", String(created.data.id)]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`Deployment ${created.data.id} to staging: success`);
    expect(status.stdout).toMatch(/^success\s+\d{4}-\S+\s+live$/m);
    expect(status.stdout).toMatch(/^pending\s+\d{4}-/m);
    expect((await cli(["deploy", "status", "acme/widgets", "nope"])).code).toBe(2);

    // A deployment reported by a tool has no job to re-run.
    const refused = await cli(["deploy", "rollback", "acme/widgets", "staging", "--to", String(created.data.id)]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("was not made by a workflow job");
    expect((await cli(["deploy", "rollback", "acme/widgets", "staging"])).stderr).toContain("no earlier successful deployment");
  });
});

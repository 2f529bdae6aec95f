/** `slipway runner-token [--repo OWNER/NAME]`: the token registers an instance runner, or one of that repository only. */
import { describe, expect, it } from "vitest";
import { api } from "../e2e/support.js";
import { suiteServer } from "../support/api-cli.js";

const { cli, url } = suiteServer("runner-token-cli");

async function registerWith(token: string, name: string): Promise<number> {
  const res = await fetch(`${url()}/api/v3/runner/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ token, name, labels: ["linux"] }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: number }).id;
}

describe("slipway runner-token", () => {
  it("makes an instance runner's token, or with --repo a token for that repository's runners", async () => {
    const instance = await cli(["runner-token", "--json"]);
    expect(instance.code).toBe(0);
    const forRepo = await cli(["runner-token", "--repo", "acme/widgets", "--json"]);
    expect(forRepo.code).toBe(0);
    const shared = await registerWith(JSON.parse(instance.stdout).token, "shared");
    const own = await registerWith(JSON.parse(forRepo.stdout).token, "own");
    const { data } = await api<{ runners: Array<{ id: number; scope: string; repository?: string }> }>(url(), "GET", "/api/v3/runners");
    expect(data.runners.find((r) => r.id === shared)).toMatchObject({ scope: "instance" });
    expect(data.runners.find((r) => r.id === own)).toMatchObject({ scope: "repository", repository: "acme/widgets" });
    expect((await cli(["runner-token", "--repo", "not a name"])).code).toBe(2);
  });
});

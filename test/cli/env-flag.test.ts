/** `--env` on `slipway secret|var` and `slipway env list|create|delete`, against a real server over HTTP. */
import { describe, expect, it } from "vitest";
import { suiteServer } from "../support/api-cli.js";

const { cli } = suiteServer("env-cli");

describe("slipway secret/var --env and env list", () => {
  it("sets, lists and deletes environment secrets and variables apart from the repository's, creating the environment", async () => {
    expect(await cli(["env", "list", "acme/widgets"])).toMatchObject({ code: 0, stdout: "acme/widgets has no environments.\n" });

    const set = await cli(["secret", "set", "acme/widgets", "deploy_key", "--env", "production"], "env-secret-value");
    expect(set).toMatchObject({ code: 0, stdout: "Secret DEPLOY_KEY of acme/widgets (environment production) is set.\n" });
    expect(set.stdout + set.stderr).not.toContain("env-secret-value");
    expect((await cli(["var", "set", "acme/widgets", "region", "--value", "us", "--env", "production"])).stdout).toBe("Variable REGION of acme/widgets (environment production) is created.\n");
    expect((await cli(["var", "set", "acme/widgets", "REGION", "--env", "production"], "ap\n")).stdout).toBe("Variable REGION of acme/widgets (environment production) is updated.\n");

    const envs = await cli(["env", "list", "acme/widgets"]);
    expect(envs.stdout.split("\n")[0]).toMatch(/^NAME\s+CREATED\s+UPDATED$/);
    expect(envs.stdout.split("\n")[1]).toMatch(/^production\s+\d{4}-/);
    expect(JSON.parse((await cli(["env", "list", "acme/widgets", "--json"])).stdout).environments.map((e: { name: string }) => e.name)).toEqual(["production"]);

    expect((await cli(["secret", "list", "acme/widgets"])).stdout).toBe("acme/widgets has no secrets.\n");
    expect((await cli(["secret", "list", "acme/widgets", "--env", "production"])).stdout).toMatch(/^NAME\s+UPDATED\nDEPLOY_KEY\s+\d{4}-/);
    expect((await cli(["var", "list", "acme/widgets"])).stdout).toBe("acme/widgets has no variables.\n");
    const vars = JSON.parse((await cli(["var", "list", "acme/widgets", "--env", "production", "--json"])).stdout);
    expect(vars).toMatchObject({ repo: "acme/widgets", environment: "production", variables: [{ name: "REGION", value: "ap" }] });

    expect((await cli(["var", "delete", "acme/widgets", "region", "--env", "production"])).stdout).toBe("Variable REGION of acme/widgets (environment production) is deleted.\n");
    expect((await cli(["secret", "delete", "acme/widgets", "DEPLOY_KEY", "--env", "production"])).stdout).toBe("Secret DEPLOY_KEY of acme/widgets (environment production) is deleted.\n");
    expect((await cli(["secret", "list", "acme/widgets", "--env", "production"])).stdout).toBe("acme/widgets (environment production) has no secrets.\n");

    const missing = await cli(["secret", "list", "acme/widgets", "--env", "staging"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("Environment staging not found");
    const bad = await cli(["var", "set", "acme/widgets", "X", "--value", "1", "--env", " padded"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("starts or ends with spaces");
  });

  it("creates an environment and deletes it with its secrets", async () => {
    expect(await cli(["env", "create", "acme/widgets", "qa"])).toMatchObject({ code: 0, stdout: "Environment qa of acme/widgets is ready.\n" });
    expect((await cli(["env", "create", "acme/widgets", "qa"])).code).toBe(0);
    expect((await cli(["secret", "set", "acme/widgets", "QA_KEY", "--env", "qa"], "qa-secret")).code).toBe(0);
    expect((await cli(["env", "list", "acme/widgets"])).stdout).toMatch(/^qa\s/m);
    const deleted = await cli(["env", "delete", "acme/widgets", "qa"]);
    expect(deleted).toMatchObject({ code: 0, stdout: "Environment qa of acme/widgets is deleted, with its secrets and variables.\n" });
    expect((await cli(["env", "list", "acme/widgets"])).stdout).not.toMatch(/^qa\s/m);
    const gone = await cli(["secret", "list", "acme/widgets", "--env", "qa"]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain("Environment qa not found");
    expect((await cli(["env", "delete", "acme/widgets", "qa"])).code).toBe(1);
  });
});

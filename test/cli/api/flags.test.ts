/** `slipway flags ...` against a real server over HTTP, through the commander wiring. */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { api, tempDir } from "../../e2e/support.js";
import { suiteServer } from "../../support/api-cli.js";

const { cli, url } = suiteServer("flags-cli");

const doc = {
  flags: {
    banner: { state: "ENABLED", variants: { on: true, off: false }, defaultVariant: "off", targeting: { if: [{ "==": [{ var: "plan" }, "pro"] }, "on", null] } },
    color: { state: "ENABLED", variants: { red: "red", blue: "blue" }, defaultVariant: "red" },
  },
};

describe("slipway flags", () => {
  it("sets, shows, diffs, edits, kills, lists history and restores an environment's flags", async () => {
    expect((await api(url(), "PUT", "/api/v3/repos/acme/widgets/environments/production", {})).status).toBe(200);
    const dir = tempDir("flags-cli-files");
    const file = path.join(dir, "production.json");
    writeFileSync(file, JSON.stringify(doc));
    const set = await cli(["flags", "set", "acme/widgets", file, "--env", "production", "--reason", "first"]);
    expect(set).toMatchObject({ code: 0, stdout: "Flags of acme/widgets (environment production) are set: 2 flags.\n" });

    const shown = await cli(["flags", "get", "acme/widgets", "--env", "production"]);
    const lines = shown.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^KEY\s+STATE\s+DEFAULT\s+VARIANTS\s+TARGETING$/);
    expect(lines[1]).toMatch(/^banner\s+ENABLED\s+off\s+on, off\s+yes$/);
    expect(JSON.parse((await cli(["flags", "get", "acme/widgets", "--env", "production", "--json"])).stdout)).toEqual(doc);
    expect(JSON.parse((await cli(["flags", "get", "acme/widgets", "color", "--env", "production"])).stdout)).toEqual(doc.flags.color);

    const next = { flags: { banner: { ...doc.flags.banner, defaultVariant: "on" }, size: { state: "ENABLED", variants: { s: 1 } } } };
    writeFileSync(file, JSON.stringify(next));
    const diff = await cli(["flags", "diff", "acme/widgets", file, "--env", "production"]);
    expect(diff).toMatchObject({ code: 0, stdout: "+ size\n- color\n~ banner (defaultVariant)\n" });

    const edited = await cli(["flags", "edit", "acme/widgets", "color", "--env", "production", "--default-variant", "blue"]);
    expect(edited).toMatchObject({ code: 0, stdout: "Flag color of acme/widgets (environment production): state ENABLED, default variant blue.\n" });
    const invalid = await cli(["flags", "edit", "acme/widgets", "color", "--env", "production", "--state", "sleeping"]);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain("$.flags.color.state");
    expect(await cli(["flags", "edit", "acme/widgets", "color", "--env", "production"])).toMatchObject({ code: 2 });
    expect(await cli(["flags", "kill", "acme/widgets", "banner", "--env", "production"])).toMatchObject({ code: 0, stdout: "Flag banner of acme/widgets (environment production) is DISABLED (version 3).\n" });

    const history = await cli(["flags", "history", "acme/widgets", "--env", "production"]);
    expect(history.stdout.trimEnd().split("\n").slice(1).map((l) => l.split(/\s+/)[0])).toEqual(["3", "2", "1"]);
    expect(history.stdout).toContain("first");
    expect(await cli(["flags", "restore", "acme/widgets", "1", "--env", "production"])).toMatchObject({ code: 0 });
    expect(JSON.parse((await cli(["flags", "get", "acme/widgets", "--env", "production", "--json"])).stdout)).toEqual(doc);
    expect((await cli(["flags", "restore", "acme/widgets", "x", "--env", "production"])).code).toBe(2);
  });

  it("holds changes for review where the environment requires it: lists them with diffs, approves and rejects", async () => {
    const me = (await api(url(), "GET", "/api/v3/user")).data as { id: number; login: string };
    const env = await api(url(), "PUT", "/api/v3/repos/acme/widgets/environments/staging", { reviewers: [{ type: "User", id: me.id }], flag_changes_require_approval: true });
    expect(env.status).toBe(200);
    const file = path.join(tempDir("flags-cli-review"), "staging.json");
    writeFileSync(file, JSON.stringify(doc));
    const held = await cli(["flags", "set", "acme/widgets", file, "--env", "staging", "--reason", "first flags"]);
    expect(held.code).toBe(0);
    expect(held.stdout).toMatch(/requires review: the change is held as pending change (\d+) \(against version 0\)/);
    const id = /pending change (\d+)/.exec(held.stdout)![1]!;
    const listed = await cli(["flags", "changes", "acme/widgets", "--env", "staging"]);
    expect(listed.stdout).toContain(`#${id} by ${me.login}, pending, 0/1 approvals — first flags`);
    expect(listed.stdout).toContain("  + banner\n  + color\n");
    expect(await cli(["flags", "approve", "acme/widgets", id, "--env", "staging", "--comment", "ok"])).toMatchObject({ code: 0, stdout: `Change ${id} of the flags of acme/widgets (environment staging) is applied as version 1.\n` });
    expect(JSON.parse((await cli(["flags", "get", "acme/widgets", "--env", "staging", "--json"])).stdout)).toEqual(doc);
    const edit = await cli(["flags", "edit", "acme/widgets", "color", "--env", "staging", "--default-variant", "blue"]);
    const second = /pending change (\d+)/.exec(edit.stdout)![1]!;
    expect((await cli(["flags", "changes", "acme/widgets", "--env", "staging"])).stdout).toContain('  ~ color: {"state":"ENABLED","variants":{"red":"red","blue":"blue"},"defaultVariant":"red"} -> {"state":"ENABLED","variants":{"red":"red","blue":"blue"},"defaultVariant":"blue"}');
    expect((await cli(["flags", "reject", "acme/widgets", second, "--env", "staging"])).stdout).toBe(`Change ${second} of the flags of acme/widgets (environment staging) is rejected.\n`);
    expect((await cli(["flags", "changes", "acme/widgets", "--env", "staging"])).stdout).toBe("No changes.\n");
    expect((await cli(["flags", "approve", "acme/widgets", second, "--env", "staging"])).code).not.toBe(0);
  });

  it("creates a client key shown once, lists keys without it, and revokes it", async () => {
    const created = await cli(["flags", "keys", "create", "acme/widgets", "web app", "--env", "production", "--public"]);
    expect(created.code).toBe(0);
    const key = /slpf_\S+/.exec(created.stdout)![0];
    const listed = await cli(["flags", "keys", "list", "acme/widgets", "--env", "production"]);
    expect(listed.stdout).toMatch(/web app\s+public/);
    expect(listed.stdout).not.toContain(key);
    const id = listed.stdout.trimEnd().split("\n")[1]!.split(/\s+/)[0]!;
    const evaluated = await fetch(`${url()}/api/v3/repos/acme/widgets/environments/production/ofrep/v1/evaluate/flags/color`, { method: "POST", headers: { "x-flag-key": key, "content-type": "application/json" }, body: "{}" });
    expect(evaluated.status).toBe(200);
    expect(await cli(["flags", "keys", "delete", "acme/widgets", id, "--env", "production"])).toMatchObject({ code: 0 });
    const refused = await fetch(`${url()}/api/v3/repos/acme/widgets/environments/production/ofrep/v1/evaluate/flags/color`, { method: "POST", headers: { "x-flag-key": key, "content-type": "application/json" }, body: "{}" });
    expect(refused.status).toBe(401);
  });
});

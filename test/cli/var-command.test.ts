/** `slipway var set|list|delete` against a real server over HTTP, through the commander wiring. */
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { readPlainValue } from "../../src/cli/index.js";
import { api } from "../e2e/support.js";
import { suiteServer } from "../support/api-cli.js";

const { cli, url } = suiteServer("var-cli");

describe("slipway var", () => {
  it("creates with --value, updates from stdin, lists with values and deletes", async () => {
    const created = await cli(["var", "set", "acme/widgets", "greeting", "--value", "hello"]);
    expect(created).toMatchObject({ code: 0, stdout: "Variable GREETING of acme/widgets is created.\n" });
    const updated = await cli(["var", "set", "acme/widgets", "GREETING"], "bonjour\n");
    expect(updated).toMatchObject({ code: 0, stdout: "Variable GREETING of acme/widgets is updated.\n" });
    await cli(["var", "set", "acme/widgets", "MULTI", "--value", "line one\nline two"]);

    const listed = await cli(["var", "list", "acme/widgets"]);
    expect(listed.code).toBe(0);
    const lines = listed.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^NAME\s+VALUE\s+UPDATED$/);
    expect(lines[1]).toMatch(/^GREETING\s+bonjour\s+\d{4}-/);
    expect(lines[2]).toMatch(/^MULTI\s+line one\\nline two\s+\d{4}-/);

    const json = await cli(["var", "list", "acme/widgets", "--json"]);
    const doc = JSON.parse(json.stdout);
    expect(doc.repo).toBe("acme/widgets");
    expect(doc.variables.map((v: { name: string; value: string }) => [v.name, v.value])).toEqual([
      ["GREETING", "bonjour"],
      ["MULTI", "line one\nline two"],
    ]);

    expect(await cli(["var", "delete", "acme/widgets", "multi"])).toMatchObject({ code: 0, stdout: "Variable MULTI of acme/widgets is deleted.\n" });
    expect((await api(url(), "GET", "/api/v3/repos/acme/widgets/actions/variables")).data.variables.map((v: { name: string }) => v.name)).toEqual(["GREETING"]);
  });

  it("reports the server's reasons and usage errors with their exit codes", async () => {
    const reserved = await cli(["var", "set", "acme/widgets", "GITHUB_REF", "--value", "x"]);
    expect(reserved.code).toBe(1);
    expect(reserved.stderr).toMatch(/starts with GITHUB_/);
    expect(reserved.stderr).toMatch(/letters, digits and underscores/);
    const missing = await cli(["var", "delete", "acme/widgets", "NOPE"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("Variable NOPE not found");
    const noRepo = await cli(["var", "set", "acme/nothing", "A", "--value", "x"]);
    expect(noRepo.code).toBe(1);
    expect(noRepo.stderr).toContain("acme/nothing not found");
    const empty = await cli(["var", "set", "acme/widgets", "EMPTY"], "");
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain("--value ''");
    expect(await cli(["var", "set", "acme/widgets", "EMPTY", "--value", ""])).toMatchObject({ code: 0 });
    expect(await cli(["var", "list", "acme/widgets"])).toMatchObject({ code: 0 });
  });

  it("reads a piped value to its end, dropping one trailing newline", async () => {
    const piped = Readable.from([Buffer.from("a=b\n"), Buffer.from("second line\n")]) as unknown as NodeJS.ReadStream;
    expect(await readPlainValue(piped, () => undefined)).toBe("a=b\nsecond line");
  });
});

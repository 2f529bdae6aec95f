import { mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { isSlipwayError, type SlipwayError } from "../../src/lib/index.js";
import { checkOpenApiCompatibility, CHANGE_RULES, formatOpenApiChangelog, loadOpenApiFile, parseOpenApi, type OpenApiGateOptions } from "../../src/gates/index.js";

const dir = mkdtempSync(path.join(os.tmpdir(), "slipway-openapi-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function refusal(fn: () => unknown): SlipwayError {
  try {
    fn();
  } catch (error) {
    if (isSlipwayError(error)) return error;
    throw error;
  }
  throw new Error("expected a refusal");
}

type Json = Record<string, unknown>;
type Doc = Json & { paths: Record<string, Record<string, Json>>; components: { schemas: Record<string, Json> } };

/** A small document with one operation; `patch` edits a deep copy. */
function spec(patch: (doc: Doc) => void = () => {}): string {
  const doc = {
    openapi: "3.0.3",
    info: { title: "pets", version: "1" },
    paths: {
      "/pets/{id}": {
        get: {
          operationId: "getPet",
          parameters: [
            { name: "id", in: "path", required: true, schema: { type: "string" } },
            { name: "fields", in: "query", schema: { type: "string" } },
          ],
          responses: {
            "200": {
              description: "ok",
              headers: { "X-Rate": { required: true, schema: { type: "integer" } } },
              content: { "application/json": { schema: { $ref: "#/components/schemas/Pet" } } },
            },
          },
        },
        put: {
          requestBody: { content: { "application/json": { schema: { $ref: "#/components/schemas/Pet" } } } },
          responses: { "204": { description: "done" } },
        },
      },
    },
    components: {
      schemas: {
        Pet: {
          type: "object",
          required: ["name"],
          properties: { name: { type: "string" }, tag: { type: "string" }, parent: { $ref: "#/components/schemas/Pet" } },
        },
      },
    },
  };
  patch(doc);
  return JSON.stringify(doc, null, 2);
}

function ids(base: string, revision: string, options: OpenApiGateOptions = {}): string[] {
  const result = checkOpenApiCompatibility(parseOpenApi(base, "base.json"), parseOpenApi(revision, "revision.json"), options);
  return result.findings.map((f) => f.id).sort();
}

describe("loading OpenAPI documents", () => {
  test("YAML and JSON load with the position of every key", () => {
    const yaml = "openapi: 3.1.0\ninfo:\n  title: t\n  version: '1'\npaths:\n  /a:\n    get:\n      responses:\n        '200':\n          description: ok\n";
    const doc = parseOpenApi(yaml, "api.yaml");
    expect(doc.version).toBe("3.1.0");
    expect(doc.positions.get("/paths/~1a/get")).toEqual({ file: "api.yaml", line: 7, col: 5 });
    const json = parseOpenApi('{\n  "openapi": "3.0.0",\n  "paths": {\n    "/b": {}\n  }\n}', "api.json");
    expect(json.positions.get("/paths/~1b")).toEqual({ file: "api.json", line: 4, col: 5 });
    const file = path.join(dir, "api.yaml");
    writeFileSync(file, yaml);
    expect(loadOpenApiFile(file).root.openapi).toBe("3.1.0");
  });

  test("JSON documents get the same positions as the YAML reader gives them", () => {
    const text = spec((d) => (d["x-odd key/\u00e9~"] = { "a\"b": [1, { c: [true, null, "x,]}"] }, -2.5e3] }));
    const json = parseOpenApi(text, "f.json");
    const viaYaml = parseOpenApi(`#\n${text}`, "f.json");
    expect(json.positions.size).toBeGreaterThan(40);
    expect(json.positions.size).toBe(viaYaml.positions.size);
    for (const [pointer, p] of json.positions) expect([pointer, viaYaml.positions.get(pointer)]).toEqual([pointer, { ...p, line: p.line + 1 }]);
  });

  test("a document that is not OpenAPI 3.x is refused with its position", () => {
    const swagger = refusal(() => parseOpenApi("swagger: '2.0'\ninfo: {}\n", "old.yaml"));
    expect(swagger.code).toBe("OPENAPI_INVALID");
    expect(swagger.message).toContain("swagger 2.0");
    expect(swagger.position).toEqual({ file: "old.yaml", line: 1, col: 1 });
    const none = refusal(() => parseOpenApi("title: x\n", "x.yaml"));
    expect(none.message).toContain("no openapi field");
    const list = refusal(() => parseOpenApi("- 1\n- 2\n", "list.yaml"));
    expect(list.message).toContain("mapping");
    expect(parseOpenApi("openapi: 3.1\n", "n.yaml").version).toBe("3.1");
    const four = refusal(() => parseOpenApi("info: {}\nopenapi: 4.0.0\n", "four.yaml"));
    expect(four.position).toEqual({ file: "four.yaml", line: 2, col: 1 });
  });

  test("invalid YAML is refused with the line and column of the error", () => {
    const error = refusal(() => parseOpenApi("openapi: 3.0.0\npaths:\n  /a: [1, 2\n", "bad.yaml"));
    expect(error.code).toBe("OPENAPI_INVALID");
    expect(error.message).toMatch(/^bad\.yaml:\d+:\d+: not valid YAML or JSON/);
    expect(error.position?.file).toBe("bad.yaml");
  });

  test("external and dangling references are refused where they are written", () => {
    const external = refusal(() => parseOpenApi("openapi: 3.0.0\ncomponents:\n  schemas:\n    A:\n      $ref: 'https://example.com/a.yaml#/A'\n", "ext.yaml"));
    expect(external.code).toBe("OPENAPI_INVALID");
    expect(external.position).toEqual({ file: "ext.yaml", line: 5, col: 7 });
    expect(external.message).toContain("external reference");
    expect(external.hint).toContain("Bundle");
    const relative = refusal(() => parseOpenApi('{"openapi":"3.0.0","x":{"$ref":"other.yaml#/B"}}', "rel.json"));
    expect(relative.message).toContain("other.yaml#/B");
    const dangling = refusal(() => parseOpenApi("openapi: 3.0.0\nx:\n  $ref: '#/components/schemas/Missing'\n", "d.yaml"));
    expect(dangling.message).toContain("points to nothing");
  });

  test("a 100 MB file is refused by the size limit before it is read", () => {
    const file = path.join(dir, "huge.yaml");
    writeFileSync(file, "openapi: 3.0.0\n");
    truncateSync(file, 100 * 1024 * 1024);
    const before = process.memoryUsage().arrayBuffers;
    const error = refusal(() => loadOpenApiFile(file));
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(10 * 1024 * 1024);
    expect(error.code).toBe("OPENAPI_INVALID");
    expect(error.message).toContain("104857600 bytes");
    expect(refusal(() => loadOpenApiFile(path.join(dir, "absent.yaml"))).code).toBe("CLI_FILE_UNREADABLE");
  });

  test("recursive schemas are compared without looping", () => {
    const base = spec();
    const revision = spec((d) => {
      d.components.schemas.Pet!.properties = { ...(d.components.schemas.Pet!.properties as Json), name: { type: "integer" } };
    });
    expect(ids(base, revision)).toEqual(["request-property-type-changed", "response-property-type-changed"]);
  });
});

describe("classifying changes", () => {
  test("removing an operation or a path depends on deprecation and the sunset date", () => {
    const base = spec();
    expect(ids(base, spec((d) => delete d.paths["/pets/{id}"]!.put))).toEqual(["api-removed-without-deprecation"]);
    expect(ids(base, spec((d) => delete d.paths["/pets/{id}"]))).toEqual(["api-path-removed-without-deprecation", "api-path-removed-without-deprecation"]);
    const deprecated = spec((d) => Object.assign(d.paths["/pets/{id}"]!.put!, { deprecated: true, "x-sunset": "2030-01-01" }));
    const removed = spec((d) => delete d.paths["/pets/{id}"]!.put);
    expect(ids(deprecated, removed, { now: new Date("2029-06-01") })).toEqual(["api-removed-before-sunset"]);
    const after = checkOpenApiCompatibility(parseOpenApi(deprecated, "b"), parseOpenApi(removed, "r"), { now: new Date("2030-02-01") });
    expect(after.findings.map((f) => [f.id, f.level])).toEqual([["api-removed-with-deprecation", "INFO"]]);
    expect(after.breaking).toBe(false);
    expect(ids(base, deprecated)).toEqual(["endpoint-deprecated-with-sunset"]);
    const draft = spec((d) => Object.assign(d.paths["/pets/{id}"]!.put!, { "x-stability-level": "alpha" }));
    expect(ids(draft, removed)).toEqual([]);
  });

  test("parameters: new required, became required, removed, renamed path parameter", () => {
    const base = spec();
    const get = (d: Doc): Json[] => d.paths["/pets/{id}"]!.get!.parameters as Json[];
    expect(ids(base, spec((d) => get(d).push({ name: "owner", in: "query", required: true, schema: { type: "string" } })))).toEqual(["new-required-request-parameter"]);
    expect(ids(base, spec((d) => (get(d)[1]!.required = true)))).toEqual(["request-parameter-became-required"]);
    expect(ids(base, spec((d) => get(d).pop()))).toEqual(["request-parameter-removed"]);
    const renamed = spec((d) => {
      get(d)[0]!.name = "petId";
      d.paths["/pets/{petId}"] = d.paths["/pets/{id}"]!;
      delete d.paths["/pets/{id}"];
    });
    expect(ids(base, renamed)).toEqual([]);
    expect(ids(base, spec((d) => (get(d)[1]!.schema = { type: "string", enum: ["a", "b"] })))).toEqual(["request-parameter-became-enum"]);
    const sunset = spec((d) => Object.assign(get(d)[1]!, { deprecated: true, "x-sunset": "2030-01-01" }));
    expect(ids(base, sunset)).toEqual(["request-parameter-deprecated"]);
    expect(ids(sunset, spec((d) => Object.assign(get(d)[1]!, { deprecated: true })))).toEqual(["request-parameter-sunset-deleted"]);
    expect(ids(sunset, spec((d) => get(d).pop()), { now: new Date("2029-01-01") })).toEqual(["request-parameter-removed-before-sunset"]);
    expect(ids(sunset, spec((d) => get(d).pop()), { now: new Date("2031-01-01") })).toEqual(["request-parameter-removed-with-deprecation"]);
  });

  test("request bodies and responses are contravariant", () => {
    const base = spec();
    const required = ids(base, spec((d) => (d.components.schemas.Pet!.required = ["name", "tag"])));
    expect(required).toEqual(["request-property-became-required", "response-property-became-required"]);
    const optional = ids(base, spec((d) => (d.components.schemas.Pet!.required = [])));
    expect(optional).toEqual(["request-property-became-optional", "response-property-became-optional"]);
    expect(ids(base, spec((d) => delete (d.paths["/pets/{id}"]!.get!.responses as Json)["200"]))).toEqual(["response-success-status-removed"]);
    const headerless = spec((d) => delete ((d.paths["/pets/{id}"]!.get!.responses as Record<string, Json>)["200"] as Json).headers);
    expect(ids(base, headerless)).toEqual(["required-response-header-removed"]);
    const bodyRequired = spec((d) => ((d.paths["/pets/{id}"]!.put!.requestBody as Json).required = true));
    expect(ids(base, bodyRequired)).toEqual(["request-body-became-required"]);
  });

  test("findings carry the operation, a message and the revision's position, or the base's for a removal", () => {
    const base = "openapi: 3.0.0\npaths:\n  /a:\n    get:\n      parameters:\n        - name: q\n          in: query\n          schema:\n            type: string\n      responses:\n        '200':\n          description: ok\n";
    const revision = base.replace("type: string", "type: string\n            maxLength: 5");
    const result = checkOpenApiCompatibility(parseOpenApi(base, "a.yaml"), parseOpenApi(revision, "b.yaml"));
    expect(result.findings).toHaveLength(1);
    const [finding] = result.findings;
    expect(finding).toMatchObject({ id: "request-parameter-max-length-set", level: "WARN", check: "RequestParameterMaxLengthSetCheck", operation: { method: "get", path: "/a" }, side: "revision" });
    expect(finding?.message).toContain("query parameter q");
    expect(finding?.position).toEqual({ file: "b.yaml", line: 8, col: 11 });
    const removal = checkOpenApiCompatibility(parseOpenApi(base, "a.yaml"), parseOpenApi(base.replace(/ {6}parameters:[^]*string\n/, ""), "b.yaml"));
    expect(removal.findings[0]).toMatchObject({ id: "request-parameter-removed", side: "base", position: { file: "a.yaml", line: 6, col: 11 } });
  });

  test("every emitted id is a catalogued rule at its level; narrowing a response is not reported", () => {
    const base = spec();
    const revision = spec((d) => {
      d.components.schemas.Pet = { type: "object", properties: { name: { type: "string", maxLength: 3 }, extra: { type: "integer" } }, required: ["name", "extra"] };
    });
    const result = checkOpenApiCompatibility(parseOpenApi(base, "b"), parseOpenApi(revision, "r"));
    for (const f of result.findings) expect(CHANGE_RULES.get(f.id)?.level).toBe(f.level);
    expect(result.findings.map((f) => f.id).sort()).toEqual([
      "new-required-request-property",
      "request-property-max-length-set",
      "request-property-removed",
      "request-property-removed",
      "response-optional-property-removed",
      "response-optional-property-removed",
      "response-required-property-added",
    ]);
  });
});

describe("options and outputs", () => {
  const base = spec();
  const revision = spec((d) => {
    (d.paths["/pets/{id}"]!.get!.parameters as Json[]).push({ name: "owner", in: "query", required: true, schema: { type: "string" } });
    d.paths["/cats"] = { get: { responses: { "200": { description: "ok" } } } };
  });

  test("checks, minimum level, level overrides, ignore list and failOn", () => {
    expect(ids(base, revision)).toEqual(["endpoint-added", "new-required-request-parameter"]);
    expect(ids(base, revision, { checks: ["APIAddedCheck"] })).toEqual(["endpoint-added"]);
    expect(ids(base, revision, { minLevel: "WARN" })).toEqual(["new-required-request-parameter"]);
    const lowered = checkOpenApiCompatibility(parseOpenApi(base, "b"), parseOpenApi(revision, "r"), { levels: { "new-required-request-parameter": "WARN", "endpoint-added": "NONE" } });
    expect(lowered.findings.map((f) => [f.id, f.level])).toEqual([["new-required-request-parameter", "WARN"]]);
    expect(lowered.breaking).toBe(false);
    expect(checkOpenApiCompatibility(parseOpenApi(base, "b"), parseOpenApi(revision, "r"), { levels: { "new-required-request-parameter": "WARN" }, failOn: "WARN" }).breaking).toBe(true);
    expect(ids(base, revision, { ignore: [{ id: "new-required-request-parameter", path: "/pets/*" }] })).toEqual(["endpoint-added"]);
    expect(ids(base, revision, { ignore: [{ id: "new-required-request-parameter", path: "/dogs/*" }] })).toEqual(["endpoint-added", "new-required-request-parameter"]);
    expect(ids(base, revision, { ignore: [{ path: "/cats", method: "GET" }] })).toEqual(["new-required-request-parameter"]);
    expect(refusal(() => ids(base, revision, { checks: ["APIAddedChek"] })).message).toContain('unknown OpenAPI check "APIAddedChek"');
    expect(refusal(() => ids(base, revision, { levels: { "endpoint-addded": "ERR" } })).code).toBe("CONFIG_INVALID");
  });

  test("the changelog groups findings by level and operation", () => {
    const result = checkOpenApiCompatibility(parseOpenApi(base, "base.json"), parseOpenApi(revision, "revision.json"));
    expect(result.breaking).toBe(true);
    expect(result.counts).toEqual({ ERR: 1, WARN: 0, INFO: 1 });
    const markdown = formatOpenApiChangelog(result);
    expect(markdown).toContain("## API changes: breaking");
    expect(markdown.indexOf("### Breaking changes")).toBeLessThan(markdown.indexOf("### Other changes"));
    expect(markdown).not.toContain("### Possibly breaking changes");
    expect(markdown).toMatch(/- \*\*GET \/pets\/\{id\}\*\*\n {2}- new required query parameter owner \(`new-required-request-parameter`, revision\.json:\d+:\d+\)/);
    expect(formatOpenApiChangelog(checkOpenApiCompatibility(parseOpenApi(base, "b"), parseOpenApi(base, "r")))).toContain("## API changes: compatible");
  });
});

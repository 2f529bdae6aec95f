// OpenAPI gate benchmark, loaded by bench/run.mjs: diffs two generated ~1 MB
// specs (a revision with a handful of breaking and compatible changes spread
// over many operations) through the built OpenAPI gate, dist/gates-openapi.js.
//
//   openapi-diff   checkOpenApiCompatibility on two loaded documents
//                  (baseline: JSON.parse of the same two texts); target <= 500 ms
//   openapi-load   parsing both documents with the position of every node
//                  (baseline: JSON.parse of the same two texts)
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";

/** A document with `resources` resources, each with a collection and an item path and a schema of 20 properties. */
export function generateSpec(resources, revision) {
  const paths = {};
  const schemas = {};
  for (let i = 0; i < resources; i++) {
    const name = `Resource${i}`;
    const ref = { $ref: `#/components/schemas/${name}` };
    const properties = {};
    for (let p = 0; p < 20; p++) {
      properties[`field${p}`] =
        p % 4 === 0
          ? { type: "string", maxLength: 64, description: `Field ${p} of ${name}` }
          : p % 4 === 1
            ? { type: "integer", minimum: 0, maximum: 1000 }
            : p % 4 === 2
              ? { type: "string", enum: ["alpha", "beta", "gamma"] }
              : { type: "array", items: { $ref: `#/components/schemas/Resource${(i + 1) % resources}Ref` } };
    }
    schemas[name] = { type: "object", required: ["field0", "field1"], properties };
    schemas[`${name}Ref`] = { type: "object", properties: { id: { type: "string" }, href: { type: "string", format: "uri" } } };
    const list = { type: "array", items: ref };
    const errors = { "404": { description: "not found" }, "500": { description: "error" } };
    paths[`/resources${i}`] = {
      get: {
        operationId: `list${name}`,
        parameters: [
          { name: "limit", in: "query", schema: { type: "integer", maximum: 100 } },
          { name: "cursor", in: "query", schema: { type: "string" } },
        ],
        responses: { "200": { description: "ok", content: { "application/json": { schema: list } } }, ...errors },
      },
      post: {
        operationId: `create${name}`,
        requestBody: { required: true, content: { "application/json": { schema: ref } } },
        responses: { "201": { description: "created", content: { "application/json": { schema: ref } } }, ...errors },
      },
    };
    paths[`/resources${i}/{id}`] = {
      parameters: [{ name: "id", in: "path", required: true, schema: { type: "string" } }],
      get: { operationId: `get${name}`, responses: { "200": { description: "ok", content: { "application/json": { schema: ref } } }, ...errors } },
      put: {
        operationId: `update${name}`,
        requestBody: { content: { "application/json": { schema: ref } } },
        responses: { "200": { description: "ok", content: { "application/json": { schema: ref } } }, ...errors },
      },
      delete: { operationId: `delete${name}`, responses: { "204": { description: "deleted" }, ...errors } },
    };
    if (revision && i % 10 === 0) {
      schemas[name].properties.field1 = { type: "number", minimum: 1 };
      schemas[name].required.push("field5");
      paths[`/resources${i}`].get.parameters.push({ name: "owner", in: "query", required: true, schema: { type: "string" } });
      schemas[name].properties.field2.enum = ["alpha", "beta"];
    }
    if (revision && i % 25 === 7) delete paths[`/resources${i}/{id}`].delete;
  }
  return { openapi: "3.0.3", info: { title: "bench", version: revision ? "2" : "1" }, paths, components: { schemas } };
}

export function benches(ctx) {
  const { report, time, quick, root } = ctx;
  return {
    openapi: async () => {
      const gates = await import(pathToFileURL(path.join(root, "dist", "gates-openapi.js")).href);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-bench-openapi-"));
      // About 1 MB each as indented JSON.
      const resources = 130;
      const texts = [generateSpec(resources, false), generateSpec(resources, true)].map((d) => JSON.stringify(d, null, 2));
      const files = texts.map((text, i) => {
        const f = path.join(dir, `spec${i}.json`);
        fs.writeFileSync(f, text);
        return f;
      });
      const reps = quick ? 3 : 7;
      const parses = [];
      const loads = [];
      const diffs = [];
      let docs;
      let findings = 0;
      for (let r = 0; r < reps; r++) {
        parses.push(time(() => texts.map((t) => JSON.parse(t))));
        loads.push(time(() => (docs = files.map((f) => gates.loadOpenApiFile(f)))));
        diffs.push(time(() => (findings = gates.checkOpenApiCompatibility(docs[0], docs[1]).findings.length)));
      }
      const parse = Math.min(...parses);
      const kb = (fs.statSync(files[0]).size / 1024).toFixed(0);
      report(`OpenAPI diff (2 x ${kb} KB, ${findings} findings)`, Math.min(...diffs), "ms", { name: "JSON.parse of both", value: parse }, "<= 500 ms");
      report("OpenAPI load with positions (both specs)", Math.min(...loads), "ms", { name: "JSON.parse of both", value: parse });
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

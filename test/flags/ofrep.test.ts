/**
 * OFREP bodies from evaluations; and interoperability: OpenFeature's own
 * OFREP provider, pointed at a tiny server built from these functions.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { OFREPProvider } from "@openfeature/ofrep-provider";
import { OpenFeature } from "@openfeature/server-sdk";
import { afterAll, describe, expect, it } from "vitest";
import {
  compileFlagSet,
  ofrepEtag,
  readOfrepRequest,
  toOfrepBulkReply,
  toOfrepErrorReply,
  toOfrepServerErrorReply,
  toOfrepSingleReply,
} from "../../src/flags/index.js";

const set = compileFlagSet({
  flags: {
    banner: { state: "ENABLED", variants: { on: true, off: false }, defaultVariant: "off", targeting: { if: [{ ends_with: [{ var: "email" }, "@example.com"] }, "on", null] }, metadata: { owner: "web" } },
    retired: { state: "DISABLED", variants: { on: true }, defaultVariant: "on" },
    code: { state: "ENABLED", variants: { a: "a" } },
    broken: { state: "ENABLED", variants: { a: "a" }, defaultVariant: "a", targeting: { nope: [] } },
  },
  metadata: { flagSetId: "site" },
});

describe("OFREP bodies", () => {
  it("sends value and variant for a served variant, and no value for a code default", () => {
    expect(toOfrepSingleReply(set.evaluate("banner", undefined, undefined, { targetingKey: "u", email: "a@example.com" }))).toEqual({
      status: 200,
      body: { key: "banner", value: true, variant: "on", reason: "TARGETING_MATCH", metadata: { flagSetId: "site", owner: "web" } },
    });
    expect(toOfrepSingleReply(set.evaluate("retired", undefined, undefined, {})).body).toEqual({ key: "retired", reason: "DISABLED", metadata: { flagSetId: "site" } });
    expect(toOfrepSingleReply(set.evaluate("code", undefined, undefined, {})).body).toEqual({ key: "code", reason: "DEFAULT", metadata: { flagSetId: "site" } });
  });

  it("answers 404 for an unknown flag and 400 for other failures", () => {
    expect(toOfrepSingleReply(set.evaluate("nope", undefined, undefined, {}))).toEqual({
      status: 404,
      body: { key: "nope", errorCode: "FLAG_NOT_FOUND", errorDetails: 'flag "nope" is not in the flag set', metadata: { flagSetId: "site" } },
    });
    const broken = toOfrepSingleReply(set.evaluate("broken", undefined, undefined, {}));
    expect(broken.status).toBe(400);
    expect(broken.body).toMatchObject({ key: "broken", errorCode: "PARSE_ERROR" });
    expect(toOfrepErrorReply("INVALID_CONTEXT", "bad", "banner")).toEqual({ status: 400, body: { key: "banner", errorCode: "INVALID_CONTEXT", errorDetails: "bad" } });
    expect(toOfrepErrorReply("INVALID_CONTEXT", "bad")).toEqual({ status: 400, body: { errorCode: "INVALID_CONTEXT", errorDetails: "bad" } });
    expect(toOfrepServerErrorReply()).toEqual({ status: 500, body: {} });
  });

  it("lists every flag in bulk, failures included, with the set's metadata and a stable ETag", () => {
    const reply = toOfrepBulkReply(set.evaluateAll({ targetingKey: "u" }), set.metadata);
    expect(reply.status).toBe(200);
    expect(reply.body.flags.map((f) => [f.key, "reason" in f ? f.reason : f.errorCode])).toEqual([
      ["banner", "DEFAULT"],
      ["retired", "DISABLED"],
      ["code", "DEFAULT"],
      ["broken", "PARSE_ERROR"],
    ]);
    expect(reply.body.metadata).toEqual({ flagSetId: "site" });
    expect(ofrepEtag(reply.body)).toBe(ofrepEtag(toOfrepBulkReply(set.evaluateAll({ targetingKey: "u" }), set.metadata).body));
    expect(ofrepEtag(reply.body)).toMatch(/^"[\w-]{27}"$/);
  });

  it("reads request bodies, refusing contexts that are not objects", () => {
    expect(readOfrepRequest({ context: { targetingKey: "u", plan: "pro" } })).toEqual({ context: { targetingKey: "u", plan: "pro" } });
    expect(readOfrepRequest(undefined)).toEqual({ context: {} });
    expect(readOfrepRequest({ context: [1] })).toEqual({ error: { errorCode: "INVALID_CONTEXT", errorDetails: "`context` must be a JSON object" } });
    // A targeting key of another type is the evaluator's to judge (flagd's v3 bucketing serves the default for it).
    expect(readOfrepRequest({ context: { targetingKey: 5 } })).toEqual({ context: { targetingKey: 5 } });
    expect(readOfrepRequest("x")).toMatchObject({ error: { errorCode: "INVALID_CONTEXT" } });
  });
});

describe("OpenFeature's OFREP provider against these bodies", () => {
  let server: http.Server | undefined;
  afterAll(async () => {
    await OpenFeature.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  it("resolves values, code defaults and errors", async () => {
    server = http.createServer((req, res) => {
      let raw = "";
      req.on("data", (c) => (raw += c));
      req.on("end", () => {
        const key = decodeURIComponent((req.url ?? "").replace(/^\/ofrep\/v1\/evaluate\/flags\/?/, ""));
        const request = readOfrepRequest(raw ? JSON.parse(raw) : undefined);
        const reply = "error" in request ? toOfrepErrorReply(request.error.errorCode, request.error.errorDetails ?? "", key) : toOfrepSingleReply(set.evaluate(key, undefined, undefined, request.context));
        res.writeHead(reply.status, { "Content-Type": "application/json" }).end(JSON.stringify(reply.body));
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await OpenFeature.setProviderAndWait("ofrep-interop", new OFREPProvider({ baseUrl }));
    const client = OpenFeature.getClient("ofrep-interop");
    expect(await client.getBooleanDetails("banner", false, { targetingKey: "u", email: "a@example.com" })).toMatchObject({ value: true, variant: "on", reason: "TARGETING_MATCH" });
    // ofrep-provider 0.1.3 predates OFREP's code-default rule (a body without `value`): it reports
    // ERROR/GENERAL for those, still serving the caller's default value.
    expect(await client.getBooleanDetails("retired", false, { targetingKey: "u" })).toMatchObject({ value: false, reason: "ERROR", errorCode: "GENERAL" });
    expect(await client.getStringDetails("code", "mine", { targetingKey: "u" })).toMatchObject({ value: "mine", reason: "ERROR", errorCode: "GENERAL" });
    expect(await client.getBooleanDetails("nope", true, { targetingKey: "u" })).toMatchObject({ value: true, reason: "ERROR", errorCode: "FLAG_NOT_FOUND" });
    expect(await client.getStringDetails("broken", "d", { targetingKey: "u" })).toMatchObject({ value: "d", reason: "ERROR", errorCode: "PARSE_ERROR" });
  });
});

/**
 * The error body both sides of the HTTP API share: what the server writes is
 * read back by the clients with the same code, message and hint, and a body
 * without a known code still becomes a SlipwayError a person can act on.
 */
import { describe, expect, it } from "vitest";
import { fromErrorBody, httpStatusOf, httpStatusOfError, ServerAnswerError, SlipwayError, toErrorBody } from "../../src/lib/index.js";

describe("error body", () => {
  it("round-trips a SlipwayError through GitHub's body shape plus code and hint", () => {
    const original = new SlipwayError("RUN_ALREADY_COMPLETED", "Cannot cancel a workflow run that is completed.");
    const body = toErrorBody(original);
    expect(body).toEqual({
      message: "Cannot cancel a workflow run that is completed.",
      documentation_url: expect.stringMatching(/^https:\/\//),
      code: "RUN_ALREADY_COMPLETED",
      hint: "The run has finished; re-run it instead.",
    });
    const read = fromErrorBody(httpStatusOf(original.code), JSON.parse(JSON.stringify(body)), "POST /cancel");
    expect(read).toBeInstanceOf(ServerAnswerError);
    expect(read).toMatchObject({ status: 409, code: "RUN_ALREADY_COMPLETED", message: original.message, hint: original.hint });
    expect(httpStatusOfError(read)).toBe(409);
  });

  it("lists every finding of an error with details under `errors`", () => {
    const body = toErrorBody(new SlipwayError("WORKFLOW_INVALID", "invalid workflow", { details: [{ message: "a" }, { message: "b" }] }));
    expect(body.errors).toEqual([{ message: "a" }, { message: "b" }]);
  });

  it("turns a body without a known code into SERVER_ANSWER_INVALID, or INTERNAL_ERROR for a 5xx", () => {
    const proxy = fromErrorBody(404, null, "GET /api/v3/x");
    expect(proxy).toMatchObject({ status: 404, code: "SERVER_ANSWER_INVALID", message: "GET /api/v3/x answered HTTP 404" });
    expect(proxy.hint).toContain("HTTP 404");
    const newer = fromErrorBody(409, { message: "Deployment is locked", code: "DEPLOYMENT_LOCKED_SOMEDAY" }, "POST /deploy");
    expect(newer).toMatchObject({ code: "SERVER_ANSWER_INVALID", message: "Deployment is locked", status: 409 });
    expect(httpStatusOfError(newer)).toBe(409);
    expect(fromErrorBody(502, "<html>bad gateway</html>", "GET /")).toMatchObject({ code: "INTERNAL_ERROR", status: 502 });
  });
});

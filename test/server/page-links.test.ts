/** GitHub's Link header: on paged lists only, with the pages that exist, and never on whole lists. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, auth, registerRepo, startTestServer, type TestServer } from "./helpers.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
  await registerRepo(server.app);
  for (const name of ["A", "B", "C", "D", "E"]) {
    const res = await server.app.inject({ method: "POST", url: "/api/v3/repos/acme/widgets/actions/variables", headers: auth(ADMIN_TOKEN), payload: { name, value: "v" } });
    expect(res.statusCode).toBe(201);
  }
});
afterAll(async () => {
  await server.close();
});

const get = (url: string) => server.app.inject({ method: "GET", url, headers: { ...auth(ADMIN_TOKEN), host: "ci.example:8080" } });
const rels = (link: string | undefined) => Object.fromEntries((link ?? "").split(", ").filter(Boolean).map((part) => {
  const [, url, rel] = /^<([^>]+)>; rel="(\w+)"$/.exec(part)!;
  const q = new URL(url!).searchParams;
  return [rel, `${q.get("page")}/${q.get("per_page")}`];
}));

describe("Link header", () => {
  it("names next and last on the first page, all four in the middle, prev and first on the last", async () => {
    const base = "/api/v3/repos/acme/widgets/actions/variables?per_page=2";
    const first = await get(base);
    expect(rels(first.headers.link as string)).toEqual({ next: "2/2", last: "3/2" });
    expect(String(first.headers.link)).toContain("http://ci.example:8080/api/v3/repos/acme/widgets/actions/variables?");
    expect(rels((await get(`${base}&page=2`)).headers.link as string)).toEqual({ prev: "1/2", next: "3/2", last: "3/2", first: "1/2" });
    expect(rels((await get(`${base}&page=3`)).headers.link as string)).toEqual({ prev: "2/2", first: "1/2" });
  });

  it("leaves whole lists and single pages without links", async () => {
    expect((await get("/api/v3/repos/acme/widgets/actions/variables")).headers.link).toBeUndefined();
    expect((await get("/api/v3/repos/acme/widgets/collaborators?per_page=1")).headers.link).toBeUndefined();
    expect((await get("/api/v3/repos/acme/widgets")).headers.link).toBeUndefined();
  });
});

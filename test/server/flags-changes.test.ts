import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Repository } from "../../src/store/index.js";
import { ADMIN_TOKEN, auth, createUserWithToken, registerRepo, startTestServer, type TestServer } from "./helpers.js";

const ENV = "/api/v3/repos/acme/widgets/environments/production";
const admin = auth(ADMIN_TOKEN);

const banner = { state: "ENABLED", variants: { on: true, off: false }, defaultVariant: "off" };
const color = { state: "ENABLED", variants: { red: "red", blue: "blue" }, defaultVariant: "red" };

let server: TestServer;
let repo: Repository;
const tokens: Record<string, string> = {};
const ids: Record<string, number> = {};

beforeAll(async () => {
  server = await startTestServer({ env: { SLIPWAY_AUTH_RATE_LIMIT: "10000" } });
  await registerRepo(server.app);
  repo = (await server.store.getRepositoryByName("acme", "widgets"))!;
  for (const [login, role] of [["alice", "write"], ["bob", "write"], ["carol", "write"], ["dana", "admin"], ["eve", "read"]] as const) {
    tokens[login] = await createUserWithToken(server.store, login, { role: { repo, role } });
    ids[login] = (await server.store.getUserByLogin(login))!.id;
  }
  expect((await put(ENV, {})).statusCode).toBe(200);
  expect((await put(`${ENV}/flags`, { flags: { banner } })).statusCode).toBe(200);
});
afterAll(async () => {
  await server.close();
});

const as = (login: string) => auth(tokens[login]!);
const put = (url: string, payload: unknown, headers: Record<string, string> = admin) => server.app.inject({ method: "PUT", url, headers, payload: payload as object });
const post = (url: string, payload: unknown = {}, headers: Record<string, string> = admin) => server.app.inject({ method: "POST", url, headers, payload: payload as object });
const get = (url: string, headers: Record<string, string> = admin) => server.app.inject({ method: "GET", url, headers });
const review = (id: number, login: string, state: "approved" | "rejected", comment = "") => post(`${ENV}/flags/changes/${id}/reviews`, { state, comment }, as(login));
const current = async () => (await get(`${ENV}/flags`)).json();

describe("flag changes with review", () => {
  it("refuses the option without reviewers and shows it on the environment", async () => {
    const refused = await put(ENV, { flag_changes_require_approval: true });
    expect(refused.statusCode).toBe(422);
    expect(refused.json().message).toMatch(/flag_changes_require_approval/);
    expect((await put(ENV, { flags_path: "../x.json" })).statusCode).toBe(422);
    const ok = await put(ENV, { flag_changes_require_approval: true, reviewers: [{ type: "User", id: ids.bob }, { type: "User", id: ids.carol }], required_approvals: 2, prevent_self_review: true });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ flag_changes_require_approval: true, flags_path: null, required_approvals: 2 });
  });

  it("holds every change path as a pending change with a diff; N of M listed reviewers apply it in one version", async () => {
    const before = await current();
    const proposed = await put(`${ENV}/flags?reason=blue%20launch`, { flags: { banner, color } }, as("alice"));
    expect(proposed.statusCode).toBe(202);
    const id = proposed.json().pending_change.id as number;
    expect(await current()).toEqual(before);
    const patched = await server.app.inject({ method: "PATCH", url: `${ENV}/flags/banner`, headers: as("alice"), payload: { defaultVariant: "on" } });
    expect(patched.statusCode).toBe(202);
    expect((await put(`${ENV}/flags/other`, color, as("alice"))).statusCode).toBe(202);
    expect((await post(`${ENV}/flags/versions/1/restore`, {}, as("alice"))).statusCode).toBe(202);
    expect((await server.app.inject({ method: "DELETE", url: `${ENV}/flags/banner`, headers: as("alice") })).statusCode).toBe(202);
    expect(await current()).toEqual(before);

    const list = (await get(`${ENV}/flags/changes`, as("eve"))).json();
    expect(list.total_count).toBe(5);
    expect(list.changes[0]).toMatchObject({ id, state: "pending", author: "alice", reason: "blue launch", base_version: 1, outdated: false, diff: { flags: { color: { before: null, after: color } } } });
    expect(list.changes[1].diff.flags.banner).toEqual({ before: banner, after: { ...banner, defaultVariant: "on" } });
    expect((await get(`${ENV}/flags/changes/${id}`)).json().document).toEqual({ flags: { banner, color } });

    // eve reads but is no reviewer; alice proposed it and self-review is prevented.
    expect((await review(id, "eve", "approved")).statusCode).toBe(403);
    const self = await review(id, "alice", "approved");
    expect(self.statusCode).toBe(403);
    expect(self.json().code).toBe("FLAG_CHANGE_REVIEW_NOT_ALLOWED");
    const first = await review(id, "bob", "approved", "looks right");
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ state: "pending", reviews: [{ user: "bob", state: "approved" }] });
    expect(await current()).toEqual(before);
    const second = await review(id, "carol", "approved");
    expect(second.json()).toMatchObject({ state: "applied", applied_version: 2 });
    expect(await current()).toEqual({ flags: { banner, color } });
    expect((await review(id, "bob", "approved")).json().code).toBe("FLAG_CHANGE_CLOSED");

    const audit = await server.store.listAudit({ action: "flags.update" });
    const entry = audit.items.find((a) => (a.details as { change?: number }).change === id)!;
    expect(entry.actor).toBe("alice");
    expect(entry.details).toMatchObject({ proposed_by: "alice", approved_by: ["bob", "carol"], version: 2, flags: { color: { before: null, after: color } } });
  });

  it("refuses to apply a change whose base version moved on, and closes it as outdated", async () => {
    const pending = (await get(`${ENV}/flags/changes`)).json().changes as Array<{ id: number; outdated: boolean }>;
    expect(pending.every((c) => c.outdated)).toBe(true);
    const id = pending[0]!.id;
    await review(id, "bob", "approved");
    const refused = await review(id, "carol", "approved");
    expect(refused.statusCode).toBe(409);
    expect(refused.json().code).toBe("FLAG_CHANGE_OUTDATED");
    expect((await get(`${ENV}/flags/changes/${id}`)).json().state).toBe("outdated");
    expect(await current()).toEqual({ flags: { banner, color } });
  });

  it("closes a change on one rejection; an admin bypasses; the kill switch is immediate", async () => {
    const rejected = (await put(`${ENV}/flags/banner`, { ...banner, defaultVariant: "on" }, as("alice"))).json().pending_change.id as number;
    expect((await review(rejected, "bob", "rejected", "not today")).json()).toMatchObject({ state: "rejected" });
    const bypassed = (await put(`${ENV}/flags/banner`, { ...banner, defaultVariant: "on" }, as("alice"))).json().pending_change.id as number;
    expect((await review(bypassed, "dana", "approved")).json()).toMatchObject({ state: "applied", reviews: [{ user: "dana", bypass: true }] });
    expect((await current()).flags.banner.defaultVariant).toBe("on");
    const killed = await post(`${ENV}/flags/color/kill`, {}, as("alice"));
    expect(killed.statusCode).toBe(200);
    expect((await current()).flags.color.state).toBe("DISABLED");
    expect((await put(ENV, { can_admins_bypass: false })).statusCode).toBe(200);
    const held = (await put(`${ENV}/flags/banner`, banner, as("alice"))).json().pending_change.id as number;
    expect((await review(held, "dana", "approved")).statusCode).toBe(403);
    expect((await get(`${ENV}/flags/changes?state=rejected`)).json().changes.map((c: { id: number }) => c.id)).toEqual([rejected]);
  });
});

import { expect, it } from "vitest";
import { createManualClock, describeBackends } from "./backends.js";

let n = 0;
const guid = () => `guid-${++n}`;

describeBackends("store repository hooks", (h) => {
  it("keeps hooks, queues one delivery per subscribed active hook, and lets one replica claim each due delivery", async () => {
    const clock = createManualClock();
    const store = await h.open({ clock });
    const other = await h.openAgain(store, { clock });
    const repo = await store.createRepository({ owner: "acme", name: "web", gitUrl: "x" });
    const deploys = await store.createHook({ repositoryId: repo.id, url: "http://127.0.0.1:1/a", contentType: "json", insecureSsl: "0", secret: Buffer.from("sealed"), events: ["deployment"], active: true });
    const all = await store.createHook({ repositoryId: repo.id, url: "http://127.0.0.1:1/b", contentType: "form", insecureSsl: "1", secret: null, events: ["*"], active: true });
    const idle = await store.createHook({ repositoryId: repo.id, url: "http://127.0.0.1:1/c", contentType: "json", insecureSsl: "0", secret: null, events: ["deployment"], active: false });
    expect((await store.listHooks(repo.id)).map((x) => x.id)).toEqual([deploys.id, all.id, idle.id]);
    expect(await store.getHook(repo.id, deploys.id)).toMatchObject({ secret: Buffer.from("sealed"), events: ["deployment"], contentType: "json", active: true });
    expect(await store.updateHook(repo.id, all.id, { events: ["deployment_status"], active: false })).toMatchObject({ events: ["deployment_status"], active: false, insecureSsl: "1" });
    await store.updateHook(repo.id, all.id, { events: ["*"], active: true });

    const queued = await store.enqueueHookEvent({ repositoryId: repo.id, event: "deployment", action: "created", subject: { deploymentId: 7 }, guid });
    expect(queued.map((d) => d.hookId).sort()).toEqual([deploys.id, all.id].sort());
    expect(await store.enqueueHookEvent({ repositoryId: repo.id, event: "deployment_status", subject: {}, guid })).toHaveLength(1);
    // A ping reaches the one hook named, active or not.
    expect((await store.enqueueHookEvent({ repositoryId: repo.id, event: "ping", subject: {}, hookId: idle.id, guid })).map((d) => d.hookId)).toEqual([idle.id]);

    // Two replicas claiming at once never hold the same delivery.
    const claims = await Promise.all([store.claimHookDelivery(3600), other.claimHookDelivery(3600), store.claimHookDelivery(3600), other.claimHookDelivery(3600), store.claimHookDelivery(3600)]);
    const ids = claims.filter((c) => c !== null).map((c) => c!.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(4);
    expect(claims.find((c) => c !== null)).toMatchObject({ attempts: 1, state: "pending", subject: expect.anything() });

    const first = queued[0]!;
    await store.setHookDeliveryPayload(first.id, '{"a":1}');
    await store.setHookDeliveryPayload(first.id, '{"a":2}');
    await store.recordHookAttempt(
      first.id,
      { number: 1, statusCode: 500, durationMs: 12, error: null, requestHeaders: { "X-GitHub-Event": "deployment" }, responseHeaders: { "content-type": "text/plain" }, responseBody: "boom" },
      { state: "pending", nextAttemptAt: new Date(clock().getTime() + 60_000) },
    );
    expect(await store.claimHookDelivery(3600)).toBeNull();
    clock.advance(61);
    const again = await other.claimHookDelivery(3600);
    expect(again).toMatchObject({ id: first.id, attempts: 2, payload: '{"a":1}', statusCode: 500 });
    await store.recordHookAttempt(first.id, { number: 2, statusCode: 200, durationMs: 5, error: null, requestHeaders: {}, responseHeaders: {}, responseBody: "ok" }, { state: "delivered" });
    expect(await store.getHookDelivery(first.hookId, first.id)).toMatchObject({ state: "delivered", statusCode: 200, attempts: 2 });
    expect((await store.listHookAttempts(first.id)).map((a) => [a.number, a.statusCode, a.responseBody])).toEqual([
      [1, 500, "boom"],
      [2, 200, "ok"],
    ]);

    const redelivery = await store.redeliverHookDelivery(first.id);
    expect(redelivery).toMatchObject({ guid: first.guid, redelivery: true, payload: '{"a":1}', state: "pending", attempts: 0 });
    const page = await store.listHookDeliveries(first.hookId, { perPage: 1 });
    expect(page.totalCount).toBe(2);
    expect(page.items[0]!.id).toBe(redelivery!.id);

    expect(await store.deleteHook(repo.id, deploys.id)).toBe(true);
    expect(await store.getHookDelivery(deploys.id, first.id)).toBeNull();
    expect(await store.deleteHook(repo.id, deploys.id)).toBe(false);
  });
});

describeBackends("store hook delivery pruning", (h) => {
  it("deletes deliveries delivered or failed before a time, with their attempts, and keeps pending and newer ones", async () => {
    const clock = createManualClock("2026-01-01T00:00:00.000Z");
    const store = await h.open({ clock });
    const repo = await store.createRepository({ owner: "acme", name: "web", gitUrl: "x" });
    const hook = await store.createHook({ repositoryId: repo.id, url: "http://127.0.0.1:1/a", contentType: "json", insecureSsl: "0", secret: null, events: ["*"], active: true });
    const queue = async () => (await store.enqueueHookEvent({ repositoryId: repo.id, event: "deployment", action: "created", subject: {}, guid }))[0]!;
    const attempt = { number: 1, statusCode: 200, durationMs: 1, error: null, requestHeaders: {}, responseHeaders: {}, responseBody: "ok" };
    const delivered = await queue();
    await store.recordHookAttempt(delivered.id, attempt, { state: "delivered" });
    const failed = await queue();
    await store.recordHookAttempt(failed.id, { ...attempt, statusCode: 500 }, { state: "failed" });
    const pending = await queue();
    clock.advance(31 * 86_400);
    const recent = await queue();
    await store.recordHookAttempt(recent.id, attempt, { state: "delivered" });
    expect(await store.pruneHookDeliveries(new Date(clock().getTime() - 30 * 86_400_000).toISOString())).toBe(2);
    expect((await store.listHookDeliveries(hook.id)).items.map((d) => d.id).sort((a, b) => a - b)).toEqual([pending.id, recent.id]);
    expect(await store.listHookAttempts(delivered.id)).toEqual([]);
    clock.advance(1);
    expect(await store.pruneHookDeliveries(clock().toISOString())).toBe(1);
  });
});

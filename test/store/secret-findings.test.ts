import { expect, it } from "vitest";
import { createManualClock, describeBackends } from "./backends.js";

const finding = (fingerprint: string, commitSha: string, path: string, startLine: number) => ({
  ruleId: "aws-access-key-id",
  description: "AWS access key id",
  fingerprint,
  commitSha,
  path,
  startLine,
  endLine: startLine,
  startColumn: 5,
  endColumn: 24,
});

describeBackends("store secret findings", (h) => {
  it("opens one alert per fingerprint, numbers them per repository, keeps every location once and keeps a resolved alert resolved", async () => {
    const clock = createManualClock();
    const store = await h.open({ clock });
    const repo = await store.createRepository({ owner: "acme", name: "web", gitUrl: "x" });
    const other = await store.createRepository({ owner: "acme", name: "api", gitUrl: "y" });
    const fpA = "a".repeat(64);
    const fpB = "b".repeat(64);

    const first = await store.recordSecretFindings(repo.id, [finding(fpA, "c1", "a.env", 3), finding(fpB, "c1", "b.env", 1), finding(fpA, "c1", "a.env", 3)]);
    expect(first.created).toEqual([1, 2]);
    expect(first.alerts.map((a) => a.number)).toEqual([1, 2, 1]);
    expect((await store.recordSecretFindings(other.id, [finding(fpA, "d1", "a.env", 3)])).created).toEqual([1]);

    clock.advance(60);
    const resolved = await store.updateSecretAlert(repo.id, 1, { state: "resolved", resolution: "revoked", comment: "rotated", resolvedBy: "ada" });
    expect(resolved).toMatchObject({ number: 1, state: "resolved", resolution: "revoked", resolutionComment: "rotated", resolvedBy: "ada", resolvedAt: "2026-01-01T00:01:00.000Z" });
    const again = await store.recordSecretFindings(repo.id, [finding(fpA, "c2", "a.env", 7)]);
    expect(again.created).toEqual([]);
    expect(again.alerts[0]).toMatchObject({ number: 1, state: "resolved" });
    expect((await store.listSecretAlertLocations(again.alerts[0]!.id)).map((l) => [l.commitSha, l.path, l.startLine])).toEqual([
      ["c1", "a.env", 3],
      ["c2", "a.env", 7],
    ]);

    expect((await store.listSecretAlerts(repo.id)).items.map((a) => a.number)).toEqual([2, 1]);
    const open = await store.listSecretAlerts(repo.id, { state: "open" });
    expect(open).toMatchObject({ totalCount: 1, items: [{ number: 2 }] });
    expect((await store.listSecretAlertsByNumber(repo.id, [1, 2, 9])).map((a) => a.state)).toEqual(["resolved", "open"]);
    expect(await store.updateSecretAlert(repo.id, 1, { state: "open" })).toMatchObject({ state: "open", resolution: null, resolvedBy: null });
    expect(await store.updateSecretAlert(repo.id, 99, { state: "open" })).toBeNull();
    expect(await store.getSecretAlert(repo.id, 99)).toBeNull();
  });

  it("keeps each pushed commit's scan result and history scans with their progress", async () => {
    const store = await h.open({ clock: createManualClock() });
    const repo = await store.createRepository({ owner: "acme", name: "web", gitUrl: "x" });
    expect(await store.getCommitSecretScan(repo.id, "c1")).toBeNull();
    await store.setCommitSecretScan(repo.id, "c1", { status: "pending", alertNumbers: [] });
    await store.setCommitSecretScan(repo.id, "c1", { status: "completed", alertNumbers: [3, 1, 3] });
    expect(await store.getCommitSecretScan(repo.id, "c1")).toMatchObject({ status: "completed", alertNumbers: [1, 3] });

    const scan = await store.createSecretScan({ repositoryId: repo.id, ref: "main", requestedBy: "ada" });
    expect(scan).toMatchObject({ ref: "main", status: "queued", commitsTotal: 0, commitsScanned: 0, alertsFound: 0, sha: null, completedAt: null });
    await store.updateSecretScan(scan.id, { status: "in_progress", sha: "c1", commitsTotal: 10 });
    await store.updateSecretScan(scan.id, { commitsScanned: 4 });
    expect(await store.getSecretScan(repo.id, scan.id)).toMatchObject({ status: "in_progress", sha: "c1", commitsTotal: 10, commitsScanned: 4 });
    const other = await store.createRepository({ owner: "acme", name: "api", gitUrl: "y" });
    expect(await store.getSecretScan(other.id, scan.id)).toBeNull();
  });
});

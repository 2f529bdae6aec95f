/**
 * DORA's inputs read from a period's start on give exactly the figures a
 * read of every deployment gives, over any period starting then or later:
 * a mixed history (rollbacks linked and not, failures marked after success,
 * cancellations, deployments ending out of order, one moved to another
 * environment, environment names differing only in case) with lead times
 * from a real mirror, on SQLite and PostgreSQL.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { computeDora } from "../../../src/release/index.js";
import { collectDoraDeployments } from "../../../src/server/index.js";
import type { DeploymentRecord } from "../../../src/store/index.js";
import { createManualClock, describeBackends } from "../../store/backends.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const START = Date.parse("2026-01-01T00:00:00.000Z");

let mirror: string;
const shas: string[] = [];

beforeAll(() => {
  mirror = mkdtempSync(path.join(os.tmpdir(), "slipway-dora-mirror-"));
  const git = (args: string[], at: number) =>
    execFileSync("git", args, { cwd: mirror, encoding: "utf8", env: { ...process.env, GIT_AUTHOR_DATE: new Date(at).toISOString(), GIT_COMMITTER_DATE: new Date(at).toISOString(), GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@t", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@t" } }).trim();
  git(["init", "-q", "-b", "main"], START);
  // A commit about every 10 hours over the 60 days the deployments span.
  for (let i = 0; i < 150; i++) {
    git(["commit", "-q", "--allow-empty", "-m", `c${i}`], START - DAY + i * 10 * HOUR);
    shas.push(git(["rev-parse", "HEAD"], START));
  }
});
afterAll(() => {
  rmSync(mirror, { recursive: true, force: true });
});

/** A small deterministic generator (a linear congruential one), so that a failure replays. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

describeBackends("DORA inputs from a period's start", (h) => {
  it("give the figures of every deployment read, over any period starting then or later", async () => {
    const clock = createManualClock(new Date(START).toISOString());
    const store = await h.open({ clock });
    const windowed = await h.openAgain(store, { clock });
    const repo = await store.createRepository({ owner: "acme", name: "web", gitUrl: "x" });
    const next = random(29);
    const environments = ["production", "staging", "Staging", "canary"];
    const open: DeploymentRecord[] = [];
    const succeeded: DeploymentRecord[] = [];
    let commit = 0;
    for (let i = 0; i < 160; i++) {
      clock.advance(Math.floor(next() * 9 * 3600));
      const environment = environments[Math.floor(next() * environments.length)]!;
      commit = Math.min(shas.length - 1, commit + Math.floor(next() * 3));
      const pick = next();
      const earlier = succeeded.filter((d) => d.environment.toLowerCase() === environment.toLowerCase());
      const linked = pick < 0.08 && earlier.length > 0 ? earlier[Math.floor(next() * earlier.length)]! : null;
      const d = await store.createDeployment({
        repositoryId: repo.id,
        environment,
        sha: shas[linked ? Math.max(0, commit - 5) : commit]!,
        ref: "main",
        rolledBackFrom: linked?.id ?? null,
        payload: linked || (pick > 0.95 && earlier.length > 0) ? { rollback: true } : {},
        rework: next() < 0.1,
      });
      open.push(d);
      // Finish a few open deployments, not always the newest first.
      while (open.length > 0 && next() < 0.7) {
        const at = next() < 0.8 ? open.length - 1 : Math.floor(next() * open.length);
        const [done] = open.splice(at, 1);
        clock.advance(Math.floor(next() * 3 * 3600));
        const roll = next();
        const state = roll < 0.7 ? "success" : roll < 0.9 ? "failure" : "error";
        const moved = next() < 0.03 ? environments[Math.floor(next() * environments.length)] : undefined;
        await store.addDeploymentStatus(done!.id, { state, environment: moved });
        if (state === "success") succeeded.push((await store.getDeployment(repo.id, done!.id))!);
      }
      // Now and then a success is marked failed afterwards, or fails after a failure.
      if (succeeded.length > 0 && next() < 0.06) {
        clock.advance(Math.floor(next() * 3600));
        await store.addDeploymentStatus(succeeded[Math.floor(next() * succeeded.length)]!.id, { state: next() < 0.8 ? "failure" : "error" });
      }
    }
    const end = clock().getTime() + DAY;
    let compared = 0;
    for (const environment of [undefined, "production", "staging", "canary"]) {
      const all = await collectDoraDeployments(store, repo.id, environment, mirror);
      // From the latest start to the earliest, so that each windowed read is a fresh one.
      for (let since = end - 5 * DAY; since >= START - DAY; since -= 4 * DAY + 7 * HOUR) {
        const some = await collectDoraDeployments(windowed, repo.id, environment, mirror, since);
        expect(some.length).toBeLessThanOrEqual(all.length);
        for (const until of [since + 3 * DAY, since + 7 * DAY, end]) {
          if (until <= since) continue;
          const expected = computeDora(all, since, until);
          expect(computeDora(some, since, until), `${environment ?? "all"} ${new Date(since).toISOString()}..${new Date(until).toISOString()}`).toEqual(expected);
          if (expected.changeFailRate.deployments > 0) compared++;
        }
      }
    }
    // The history exercised what it is meant to.
    const full = computeDora(await collectDoraDeployments(store, repo.id, undefined, mirror), START - DAY, end);
    expect(compared).toBeGreaterThan(40);
    expect(full.deploymentFrequency.rollbacks).toBeGreaterThan(3);
    expect(full.recoveryTime.recovered).toBeGreaterThan(5);
    expect(full.leadTime.changes).toBeGreaterThan(20);
    expect(full.reworkRate.rework).toBeGreaterThan(5);
  });
});

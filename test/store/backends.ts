/**
 * Runs one store suite against every backend: SQLite in a temporary
 * directory, and PostgreSQL in a throwaway cluster (see test/support/postgres.ts)
 * with a fresh database per `open()`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe } from "vitest";
import { openStore, type Backend, type Clock, type Store } from "../../src/store/index.js";
import { postgresAvailable, startPostgres, type PostgresCluster } from "../support/postgres.js";

export interface Harness {
  backend: Backend;
  /** Opens a store on a fresh, empty database. */
  open(options?: { clock?: Clock }): Promise<Store>;
  /** Opens `count` stores at once on one fresh database (replicas starting together). */
  openConcurrently(count: number): Promise<Store[]>;
  /** Opens another store on the database of an earlier `open()` (another replica). */
  openAgain(store: Store, options?: { clock?: Clock }): Promise<Store>;
}

/** A clock tests move by hand. */
export function createManualClock(start = "2026-01-01T00:00:00.000Z"): Clock & { advance(seconds: number): void; set(iso: string): void } {
  let now = Date.parse(start);
  const clock = (() => new Date(now)) as Clock & { advance(seconds: number): void; set(iso: string): void };
  clock.advance = (seconds) => {
    now += seconds * 1000;
  };
  clock.set = (iso) => {
    now = Date.parse(iso);
  };
  return clock;
}

const pgPresent = postgresAvailable();

export function describeBackends(title: string, define: (harness: Harness) => void): void {
  describe.each(["sqlite", "postgres"] as const)(`${title} [%s]`, (backend) => {
    const skip = backend === "postgres" && !pgPresent;
    describe.skipIf(skip)("", () => {
      let cluster: PostgresCluster | null = null;
      const opened: Store[] = [];
      const locations = new Map<Store, { url?: string; dataDir: string }>();
      const tempDirs: string[] = [];

      beforeAll(async () => {
        if (backend === "postgres") cluster = await startPostgres();
      });
      afterEach(async () => {
        await Promise.all(opened.splice(0).map((s) => s.close()));
      });
      afterAll(async () => {
        await cluster?.stop();
        for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
      });

      const openAt = async (location: { url?: string; dataDir: string }, clock?: Clock) => {
        const store = await openStore({ ...location, clock });
        opened.push(store);
        locations.set(store, location);
        return store;
      };

      const freshLocation = async () => {
        const dataDir = mkdtempSync(path.join(os.tmpdir(), "slipway-store-"));
        tempDirs.push(dataDir);
        const url = backend === "postgres" ? await cluster!.createDatabase() : undefined;
        return { url, dataDir };
      };

      define({
        backend,
        async open(options) {
          return openAt(await freshLocation(), options?.clock);
        },
        async openConcurrently(count) {
          const location = await freshLocation();
          return Promise.all(Array.from({ length: count }, () => openAt(location)));
        },
        async openAgain(store, options) {
          const location = locations.get(store);
          if (!location) throw new Error("openAgain needs a store from open()");
          return openAt(location, options?.clock);
        },
      });
    });
  });
}

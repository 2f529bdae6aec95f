/**
 * Traffic targets of a rollout: what `setWeight` moves. HAProxy shifts a
 * backend's weights between a stable and a canary server through its Runtime
 * API; hosts deploy the new version to a share of a fleet in batches,
 * CodeDeploy-style; a flag's fractional split goes through a FlagSplitClient,
 * which only a Slipway server provides.
 */
import { SlipwayError } from "../lib/index.js";
import { splitWithCanary, type FlagSplit } from "./flag-split.js";
import type { FlagRolloutWriteKind } from "./flag-rollout-halt.js";
import { setServerWeights } from "./haproxy-runtime.js";
import type { FlagTargetSpec, HaproxyTargetSpec, HostsTargetSpec } from "./rollout-spec.js";

export interface TrafficTarget {
  /** One line for the log, e.g. `haproxy backend app (stable/canary)`. */
  describe(): string;
  /**
   * Gives the canary (the new version) `weight` percent of the traffic;
   * rejects when the target refused or could not be reached. `last`: no
   * `setWeight` step follows in the rollout.
   */
  setWeight(weight: number, step?: { last: boolean }): Promise<void>;
  /** Puts all traffic back on stable (canary weight 0). Called on abort and cancellation: it must not depend on the step's signal. */
  restoreStable(): Promise<void>;
}

/** HAProxy: canary weight N, stable weight 100 − N, read back after each change. */
export function createHaproxyTarget(spec: HaproxyTargetSpec): TrafficTarget {
  const options = { address: spec.address, timeoutMs: spec.timeoutMs };
  const set = (weight: number) => setServerWeights(options, spec.backend, { [spec.stable]: 100 - weight, [spec.canary]: weight });
  return {
    describe: () => `haproxy backend ${spec.backend} (stable ${spec.stable}, canary ${spec.canary}) at ${spec.address}`,
    setWeight: set,
    restoreStable: () => set(0),
  };
}

/** Runs a host's deploy, validate or rollback command; resolves whether it succeeded. */
export type HostCommandRunner = (command: string, host: string, phase: "deploy" | "validate" | "rollback") => Promise<boolean>;

/** The healthy hosts a fleet of `total` must keep. */
function minimumHealthyCount(spec: Pick<HostsTargetSpec, "minimumHealthy">, total: number): number {
  return "count" in spec.minimumHealthy ? spec.minimumHealthy.count : Math.ceil((spec.minimumHealthy.percent / 100) * total);
}

/**
 * Hosts: `setWeight: N` deploys the new version to hosts (in list order)
 * until N% of them run it, `batchSize` at a time (never more than the fleet
 * can lose while keeping `minimumHealthy`), each deployed then validated. A
 * host whose deploy or validate fails is unhealthy; the rollout fails as soon
 * as fewer than `minimumHealthy` hosts are healthy. Back to stable runs the
 * rollback command on every host that was deployed, last first.
 */
export function createHostsTarget(spec: HostsTargetSpec, run: HostCommandRunner, log: (line: string) => void): TrafficTarget {
  const total = spec.hosts.length;
  const minimum = minimumHealthyCount(spec, total);
  const batch = Math.max(1, Math.min(spec.batchSize, total - minimum));
  const deployed: string[] = [];
  let unhealthy = 0;
  return {
    describe: () => `${total} hosts in batches of ${batch}, at least ${minimum} healthy`,
    async setWeight(weight) {
      const goal = Math.ceil((weight / 100) * total);
      while (deployed.length < goal) {
        const hosts = spec.hosts.slice(deployed.length, Math.min(goal, deployed.length + batch));
        log(`deploying to ${hosts.join(", ")}`);
        const results = await Promise.all(
          hosts.map(async (host) => {
            const ok = (await run(spec.deploy, host, "deploy")) && (spec.validate === undefined || (await run(spec.validate, host, "validate")));
            return { host, ok };
          }),
        );
        deployed.push(...hosts);
        for (const r of results) {
          if (r.ok) continue;
          unhealthy++;
          log(`host ${r.host} failed its ${spec.validate ? "deploy or validation" : "deploy"}`);
        }
        if (total - unhealthy < minimum) {
          throw new SlipwayError("TRAFFIC_TARGET_FAILED", `only ${total - unhealthy} of ${total} hosts are healthy, fewer than the minimum of ${minimum}`, {
            hint: "Look at the failed hosts' deploy and validate output in the step's log.",
          });
        }
      }
    },
    async restoreStable() {
      if (spec.rollback === undefined) {
        if (deployed.length > 0) log(`no rollback command: ${deployed.join(", ")} keep the new version`);
        return;
      }
      for (const host of [...deployed].reverse()) {
        if (!(await run(spec.rollback, host, "rollback"))) log(`rollback of ${host} failed`);
      }
      deployed.length = 0;
    },
  };
}

/** The seam to a Slipway flag's fractional split in the job's environment (served by a Slipway server). */
export interface FlagSplitClient {
  /** The flag's current split. */
  readSplit(flag: string): Promise<FlagSplit>;
  /** Replaces the flag's split; `reason` goes to the flag's audit log, `kind` tells the server how far the rollout got. */
  writeSplit(flag: string, split: FlagSplit, reason: string, kind: FlagRolloutWriteKind): Promise<void>;
}

/**
 * A flag's split: the split at the rollout's first step is its base; each
 * `setWeight: N` gives the variant N % and the other variants the rest in
 * the base's proportions; back to stable writes the base again.
 */
export function createFlagTarget(spec: FlagTargetSpec, client: FlagSplitClient | undefined): TrafficTarget {
  const needServer = () =>
    new SlipwayError("ROLLOUT_NEEDS_SERVER", `a rollout through flag ${spec.flag} needs a Slipway server: flag splits live there`, {
      hint: "Run the workflow on a Slipway server's runner, in a job whose `environment:` holds the flag; locally, use an haproxy or hosts target.",
    });
  let base: FlagSplit | undefined;
  return {
    describe: () => `flag ${spec.flag}, variant ${spec.variant}`,
    async setWeight(weight, step) {
      if (!client) throw needServer();
      base ??= await client.readSplit(spec.flag);
      await client.writeSplit(spec.flag, splitWithCanary(spec.flag, base, spec.variant, weight), `rollout: ${spec.variant} at ${weight}%`, step?.last ? "last-step" : "step");
    },
    async restoreStable() {
      if (client && base) await client.writeSplit(spec.flag, base, "rollout aborted: split back to its value before the rollout", "restore");
    },
  };
}

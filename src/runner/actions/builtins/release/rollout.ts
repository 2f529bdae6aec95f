/**
 * `uses: slipway/rollout@v1`: steps traffic to a canary (`setWeight`,
 * `pause`, `analysis`) through a traffic target (`haproxy`, `hosts`, `flag`).
 * A failed analysis, a failing target or cancellation puts traffic back on
 * stable and ends the step failed (or cancelled). A pause that waits for a
 * promotion asks through `prompt` (a terminal under `slipway run`); without
 * one it fails with ROLLOUT_NEEDS_SERVER.
 */
import {
  createFlagTarget,
  createHaproxyTarget,
  createHostsTarget,
  readRolloutInputs,
  ROLLOUT_ACTION,
  runRollout,
  type FlagSplitClient,
  type TrafficTarget,
  type TrafficTargetSpec,
} from "../../../../release/index.js";
import { SlipwayError } from "../../../../lib/index.js";
import type { UsesContext, UsesStepResult } from "../../../uses.js";
import type { BuiltinAction } from "../../builtin.js";
import { runShellCommand } from "./measure.js";
import { reportAnalyses } from "./report.js";
import { analyzeForStep } from "./verify.js";

export interface RolloutActionOptions {
  /** Asks a person a question and resolves the answer line; absent where nobody can answer (a remote runner). */
  prompt?: (question: string, signal: AbortSignal) => Promise<string>;
  /** A Slipway server's flag-rollout API (a runner of a server); absent under `slipway run`. */
  flags?: FlagSplitClient;
}

function createTarget(context: UsesContext, spec: TrafficTargetSpec, options: RolloutActionOptions): TrafficTarget {
  if (spec.kind === "haproxy") return createHaproxyTarget(spec);
  if (spec.kind === "flag") return createFlagTarget(spec, options.flags);
  return createHostsTarget(
    spec,
    async (command, host, phase) => {
      context.log(`${host}: ${phase}`);
      // Rollbacks run after cancellation too: they get a signal of their own.
      const signal = phase === "rollback" ? new AbortController().signal : context.signal;
      const r = await runShellCommand(command, {
        env: context.env,
        cwd: context.workspace,
        log: (line) => context.log(`  ${host} | ${line}`),
        extraEnv: { SLIPWAY_HOST: host },
        timeoutMs: 10 * 60_000,
        signal,
      });
      return r.exitCode === 0;
    },
    (line) => context.log(line),
  );
}

async function decide(options: RolloutActionOptions, reason: string, signal: AbortSignal): Promise<"promote" | "abort"> {
  if (!options.prompt) {
    throw new SlipwayError("ROLLOUT_NEEDS_SERVER", `the rollout is ${reason} and waits for a promotion, which needs the Slipway server on a runner`, {
      hint: "Give the pause a duration (pause: {duration: 5m}), or run the workflow with `slipway run` in a terminal to promote or abort by hand.",
    });
  }
  for (;;) {
    const answer = (await options.prompt(`Rollout ${reason}: type promote or abort: `, signal)).trim().toLowerCase();
    if (answer === "promote" || answer === "abort") return answer;
  }
}

export function createRolloutAction(options: RolloutActionOptions = {}): BuiltinAction {
  return {
    names: [ROLLOUT_ACTION],
    async run(context: UsesContext): Promise<UsesStepResult> {
      const spec = readRolloutInputs(context.uses, context.inputs);
      const target = createTarget(context, spec.target, options);
      const outcome = await runRollout(
        spec,
        {
          target,
          analyze: (analysis, signal) => analyzeForStep(context, analysis, signal),
          awaitDecision: (reason, signal) => decide(options, reason, signal),
          log: (line) => context.log(line),
        },
        context.signal,
      );
      const phase = outcome.phase;
      context.setOutput("weight", String(outcome.weight));
      reportAnalyses(context, "Rollout", outcome.analyses, phase);
      if (phase === "Cancelled") return { outcome: "cancelled" };
      if (phase === "Aborted") return { outcome: "failure", error: `rollout aborted, traffic back on stable: ${outcome.message ?? ""}` };
      return { outcome: "success" };
    },
  };
}

/**
 * `uses: slipway/rollout@v1`: steps traffic to a canary (`setWeight`,
 * `pause`, `analysis`) through a traffic target (`haproxy`, `hosts`, `flag`).
 * A failed analysis, a failing target or cancellation puts traffic back on
 * stable and ends the step failed (or cancelled). On a runner of a server
 * the step is recorded there (`reporter`) and obeys people's commands
 * (promote, abort, pause, resume) from the answers; a pause that waits for a
 * promotion waits for one. Under `slipway run` it asks through `prompt` (a
 * terminal); without one it fails with ROLLOUT_NEEDS_SERVER.
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
import { describeSteps, type RolloutReporter } from "./rollout-reporter.js";
import { reportAnalyses } from "./report.js";
import { analyzeForStep } from "./verify.js";

export interface RolloutActionOptions {
  /** Asks a person a question and resolves the answer line; absent where nobody can answer (a remote runner). */
  prompt?: (question: string, signal: AbortSignal) => Promise<string>;
  /** A Slipway server's flag-rollout API (a runner of a server); absent under `slipway run`. */
  flags?: FlagSplitClient;
  /** Records each step on a Slipway server and brings back people's commands; absent under `slipway run`. */
  reporter?: RolloutReporter;
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
    throw new SlipwayError("ROLLOUT_NEEDS_SERVER", `the rollout is ${reason} and waits for a promotion, but nobody can promote it: no terminal is attached and there is no Slipway server`, {
      hint: "Give the pause a duration (pause: {duration: 5m}), run `slipway run` in a terminal to promote or abort by hand, or run the workflow on a Slipway server's runner and promote it there (`slipway deploy promote`).",
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
      const record = options.reporter?.({ stepIndex: context.stepIndex, kind: "rollout", target: spec.target.kind, steps: describeSteps(spec), log: (line) => context.log(line) });
      const outcome = await runRollout(
        spec,
        {
          target,
          analyze: (analysis, signal, onMeasurement) => analyzeForStep(context, analysis, signal, onMeasurement),
          awaitDecision: (reason, signal) => decide(options, reason, signal),
          ...(record ? { controls: record.controls, progress: (p) => record.progress(p) } : {}),
          log: (line) => context.log(line),
        },
        context.signal,
      ).finally(() => record?.finish());
      const phase = outcome.phase;
      context.setOutput("weight", String(outcome.weight));
      reportAnalyses(context, "Rollout", outcome.analyses, phase);
      if (phase === "Cancelled") return { outcome: "cancelled" };
      if (phase === "Aborted") return { outcome: "failure", error: `rollout aborted, traffic back on stable: ${outcome.message ?? ""}` };
      return { outcome: "success" };
    },
  };
}

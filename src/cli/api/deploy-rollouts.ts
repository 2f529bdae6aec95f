/**
 * `slipway deploy rollouts|promote|abort|pause|resume OWNER/NAME DEPLOYMENT_ID`:
 * the `slipway/rollout` and `slipway/verify` steps recorded on a deployment,
 * and people's commands to its running rollout (Argo Rollouts' promote,
 * promote --full, abort, pause, resume). A command goes to the deployment's
 * running rollout, or the one `--rollout` names.
 */
import type { Command } from "commander";
import { SlipwayError } from "../../lib/index.js";
import type { ApiRollout } from "../../protocol/index.js";
import type { ApiClient } from "../api-client.js";
import type { ApiOutput } from "../render/index.js";
import { formatTable } from "../render/text.js";
import { act, withCommonFlags, type ApiCommandContext } from "./command.js";
import { repoPath } from "./locate.js";

type RolloutAction = "promote" | "abort" | "pause" | "resume";

function numberOf(raw: string, what: string): number {
  if (!/^[1-9]\d{0,15}$/.test(raw)) throw new SlipwayError("CLI_USAGE", `${what} '${raw}' is not an id`, { hint: "Pass the numeric id `slipway deploy list OWNER/NAME` (deployments) or `slipway deploy rollouts` (rollouts) shows." });
  return Number(raw);
}

function describeStep(r: ApiRollout): string {
  if (r.current_step === null) return "-";
  const step = r.steps[r.current_step];
  const what = !step ? "" : step.kind === "setWeight" ? `setWeight ${step.weight}` : step.kind === "pause" ? (step.duration_ms === null ? "pause until promoted" : `pause ${step.duration_ms / 1000}s`) : `analysis (${step.metrics.join(", ")})`;
  return `${r.current_step + 1}/${r.steps.length} ${what}`;
}

async function listRollouts(client: ApiClient, fullName: string, rawId: string): Promise<ApiOutput> {
  const id = numberOf(rawId, "deployment");
  const rollouts = await client.request<ApiRollout[]>("GET", `${repoPath(fullName)}/deployments/${id}/rollouts`);
  const text =
    rollouts.length === 0
      ? `Deployment ${id} has no rollouts or analyses.\n`
      : formatTable([
          ["ID", "KIND", "TARGET", "STATUS", "STEP", "WEIGHT", "MEASUREMENTS", "MESSAGE"],
          ...rollouts.map((r) => [String(r.id), r.kind, r.target ?? "", r.status, describeStep(r), `${r.weight}%`, String(r.measurements.length), r.message ?? ""]),
        ]);
  return { kind: "rendered", text, document: rollouts };
}

async function commandRollout(client: ApiClient, fullName: string, rawId: string, action: RolloutAction, flags: { full?: boolean; rollout?: string }): Promise<ApiOutput> {
  const id = numberOf(rawId, "deployment");
  let rolloutId: number;
  if (flags.rollout !== undefined) rolloutId = numberOf(flags.rollout, "--rollout");
  else {
    const rollouts = await client.request<ApiRollout[]>("GET", `${repoPath(fullName)}/deployments/${id}/rollouts`);
    const running = rollouts.filter((r) => r.kind === "rollout" && r.finished_at === null);
    if (running.length === 0) {
      throw new SlipwayError("ROLLOUT_FINISHED", `deployment ${id} has no running rollout${rollouts.length > 0 ? ` (its rollouts ended: ${rollouts.map((r) => `${r.id} ${r.status}`).join(", ")})` : ""}`);
    }
    rolloutId = running.at(-1)!.id;
  }
  const body = action === "promote" && flags.full ? { full: true } : {};
  const rollout = await client.request<ApiRollout>("POST", `${repoPath(fullName)}/deployments/${id}/rollouts/${rolloutId}/${action}`, body);
  const what = action === "promote" ? (flags.full ? "promoted to full (100%, remaining steps skipped)" : "promoted") : action === "abort" ? "aborted: traffic goes back to stable" : action === "pause" ? "paused before its next step" : "resumed";
  return { kind: "rendered", text: `Rollout ${rollout.id} of deployment ${id} ${what}; the runner carries it out within a second or so (now ${rollout.status}, step ${describeStep(rollout)}, weight ${rollout.weight}%).\n`, document: rollout };
}

export function registerRolloutCommands(deploy: Command, ctx: ApiCommandContext): void {
  withCommonFlags(deploy.command("rollouts").description("List a deployment's rollouts and analyses with their status, step and weight"))
    .argument("<owner/name>", "repository")
    .argument("<deployment-id>", "deployment id")
    .action(act(ctx, (client, fullName: string, id: string) => listRollouts(client, fullName, id)));
  const described: Record<RolloutAction, string> = {
    promote: "Promote a deployment's running rollout: end its current pause or analysis (--full: go to 100% at once)",
    abort: "Abort a deployment's running rollout: traffic back to stable, the step fails",
    pause: "Pause a deployment's running rollout before its next step",
    resume: "Resume a paused rollout",
  };
  for (const action of ["promote", "abort", "pause", "resume"] as const) {
    const command = withCommonFlags(deploy.command(action).description(described[action]))
      .argument("<owner/name>", "repository")
      .argument("<deployment-id>", "deployment id")
      .option("--rollout <id>", "the rollout to command (default: the deployment's running one)");
    if (action === "promote") command.option("--full", "skip every remaining step and analysis: canary at 100%");
    command.action(act(ctx, (client, fullName: string, id: string, flags: { full?: boolean; rollout?: string }) => commandRollout(client, fullName, id, action, flags)));
  }
}

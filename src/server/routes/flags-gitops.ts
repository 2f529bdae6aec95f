/**
 * GitOps for flags: an environment with `flags_path` takes its flag set from
 * that file of the repository whenever a deployment to it succeeds. The file
 * is read at the deployment's commit from the server's mirror, validated, and
 * written as one change (no review: the deployment's own review was the
 * review). A missing or invalid file leaves the set as it was and is recorded
 * in the audit log (`flags.gitops.refused`) with the reason; an unchanged file
 * writes no version.
 */
import { isSlipwayError } from "../../lib/index.js";
import type { DeploymentRecord } from "../../store/index.js";
import type { RouteContext } from "../context.js";
import { onDeploymentSuccess } from "../deployments/success-hooks.js";
import { mirrorPath, readFileAt } from "../pipeline/git-mirror.js";
import { applyFlagChange, diffFlagSets } from "./flags-changes.js";

export function registerFlagGitOps(ctx: RouteContext): void {
  const { store } = ctx;
  onDeploymentSuccess(store, async (deployment: DeploymentRecord) => {
    const environment = await store.getEnvironment(deployment.repositoryId, deployment.environment);
    if (!environment) return;
    const { flagsPath } = await store.getFlagSettings(environment.id);
    if (flagsPath === null) return;
    const repository = await store.getRepository(deployment.repositoryId);
    if (!repository) return;
    const actor = `deployment:${deployment.id}`;
    const target = `repo:${repository.fullName}`;
    const where = { environment: environment.name, deployment: deployment.id, sha: deployment.sha, path: flagsPath };
    const refuse = (reason: string) => store.appendAudit({ actor, action: "flags.gitops.refused", target, details: { ...where, reason } });
    let text: string | null;
    try {
      text = await readFileAt(mirrorPath(ctx.config.dataDir, repository.id), deployment.sha, flagsPath);
    } catch (error) {
      await refuse(`the commit could not be read: ${(error as Error).message}`);
      return;
    }
    if (text === null) {
      await refuse(`${flagsPath} does not exist at ${deployment.sha.slice(0, 7)}`);
      return;
    }
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch (error) {
      await refuse(`${flagsPath} is not JSON: ${(error as Error).message}`);
      return;
    }
    if (document === null || typeof document !== "object" || Array.isArray(document)) {
      await refuse(`${flagsPath} is not a JSON object with a \`flags\` map`);
      return;
    }
    const proposed = document as Record<string, unknown>;
    const current = await store.getFlagSet(environment.id);
    if (current && JSON.stringify(current.document) === JSON.stringify(proposed)) return;
    try {
      await applyFlagChange(store, {
        repository,
        environment,
        actor,
        review: "immediate",
        edit: (before) => ({
          document: proposed,
          reason: `${flagsPath} at ${deployment.sha.slice(0, 7)} (deployment ${deployment.id})`,
          action: "flags.gitops.apply",
          details: { ...where, ...diffFlagSets(before?.document ?? null, proposed) },
        }),
      });
    } catch (error) {
      const details = isSlipwayError(error) && error.details.length > 0 ? `: ${error.details.map((d) => d.message).join("; ")}` : "";
      await refuse(`${(error as Error).message}${details}`);
    }
  });
}

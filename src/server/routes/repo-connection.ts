/**
 * The connection test of a repository: the server asks the remote for its
 * refs exactly as a fetch would (URL checks, pinned addresses, stored
 * credentials) and says whether it answered. The answer is 200 either way —
 * an unreachable remote is the test's finding, not a failed request — with
 * git's own text for instance admins only, as for failed fetches.
 */
import type { FastifyInstance } from "fastify";
import { isSlipwayError } from "../../lib/index.js";
import type { RouteContext } from "../context.js";
import { probeRemote } from "../pipeline/git-mirror.js";
import { mirrorSourceOf } from "../pipeline/stored-secrets.js";
import { RepositoryFetchError, repositoryUrlSettingsOf } from "../repository-url.js";

export function registerRepoConnectionRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const urlSettings = repositoryUrlSettingsOf(ctx.config);

  app.post("/api/v3/repos/:owner/:repo/connection-test", { config: { permission: "repo:admin" } }, async (request) => {
    const repo = request.repository!;
    let undecryptable = false;
    const source = mirrorSourceOf(repo, ctx.secretBox, () => (undecryptable = true));
    const startedAt = Date.now();
    try {
      const probe = await probeRemote(source, urlSettings);
      const branchFound = probe.defaultBranch === repo.defaultBranch || probe.branches > 0;
      return {
        reachable: true,
        duration_ms: Date.now() - startedAt,
        remote_default_branch: probe.defaultBranch,
        head_sha: probe.headSha,
        branches: probe.branches,
        ...(undecryptable ? { warning: "The stored credentials cannot be decrypted with this server's key; the test ran without them. Set them again." } : {}),
        ...(branchFound ? {} : { warning: `The remote has no branches yet; runs start once ${repo.defaultBranch} is pushed.` }),
      };
    } catch (error) {
      if (!isSlipwayError(error)) throw error;
      const admin = request.principal?.kind === "user" && request.principal.user.isAdmin;
      return {
        reachable: false,
        duration_ms: Date.now() - startedAt,
        code: error.code,
        message: error.message,
        hint: error.hint ?? null,
        ...(admin && error instanceof RepositoryFetchError ? { detail: error.adminDetail } : {}),
      };
    }
  });
}

/**
 * Where a runner fetches a claimed job's repository from. A runner never
 * receives a source the server has not checked: when the server mirrors the
 * repository the runner fetches through the server (`clone_path`, with the
 * job's token) and gets no `git_url`; otherwise it gets the repository's
 * network URL only, without user-info, and only when the URL passes the
 * server's own checks (form, resolved addresses). A local path names the
 * server's file system, not the runner's, and is never handed out.
 */
import { checkRepositoryUrl, repositoryUrlSettingsOf, withoutCredentials } from "./repository-url.js";

type UrlSettingsInput = Parameters<typeof repositoryUrlSettingsOf>[0];

export async function runnerGitUrlOf(gitUrl: string | undefined, mirrored: boolean, config: UrlSettingsInput): Promise<string | null> {
  if (gitUrl === undefined || mirrored) return null;
  try {
    const { source } = await checkRepositoryUrl(gitUrl, repositoryUrlSettingsOf(config));
    return source.kind === "network" ? withoutCredentials(gitUrl) : null;
  } catch {
    // Refused or unresolvable: the runner gets no source, and the job's checkout fails there visibly.
    return null;
  }
}

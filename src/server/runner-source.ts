/**
 * Where a runner fetches a claimed job's repository from. When the server
 * mirrors the repository the runner fetches through the server (`clone_path`,
 * with the job's token) and gets no `git_url` at all. Otherwise it gets the
 * repository's URL as registered (checked then), with any user-info of an
 * http(s) URL removed: the repository's credentials stay on the server. A
 * local path inside the server's data dir (another repository's mirror) is
 * never handed out.
 */
import path from "node:path";
import { checkRepositoryUrl, repositoryUrlSettingsOf } from "./repository-url.js";

type UrlSettingsInput = Parameters<typeof repositoryUrlSettingsOf>[0];

const isLocal = (url: string) => url.startsWith("file://") || path.isAbsolute(url) || url.startsWith(".");

export async function runnerGitUrlOf(gitUrl: string | undefined, mirrored: boolean, config: UrlSettingsInput): Promise<string | null> {
  if (gitUrl === undefined || mirrored) return null;
  if (isLocal(gitUrl)) {
    try {
      // Local sources need no address check; this refuses the server's data dir.
      await checkRepositoryUrl(gitUrl, repositoryUrlSettingsOf(config), { admin: true });
    } catch {
      return null;
    }
    return gitUrl;
  }
  return gitUrl.replace(/^(https?:\/\/)[^@/\s]*@/i, "$1");
}

/** Where Slipway keeps per-user data for actions: `$XDG_CACHE_HOME/slipway` or `~/.cache/slipway`. */
import os from "node:os";
import path from "node:path";

export function resolveUserCacheDir(env: Record<string, string | undefined> = process.env): string {
  const xdg = env.XDG_CACHE_HOME;
  if (xdg && path.isAbsolute(xdg)) return path.join(xdg, "slipway");
  return path.join(env.HOME || os.homedir(), ".cache", "slipway");
}

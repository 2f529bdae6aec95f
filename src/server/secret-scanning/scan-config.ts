/**
 * The scanner for a commit: the repository's `.slipway/secret-scan.toml` (or
 * gitleaks' `.gitleaks.toml`) and `.gitleaksignore` as they are at that
 * commit. A configuration that does not load is reported and the default
 * rules apply, so a broken file never turns scanning off.
 */
import { createSecretScanner, loadSecretScanConfig, parseSecretIgnoreFile, type SecretScanConfig } from "../../gates/index.js";
import type { MessageLogger } from "../../lib/index.js";
import { readFileAt } from "../pipeline/git-mirror.js";

const CONFIG_FILES = [
  { file: ".slipway/secret-scan.toml", format: "slipway" },
  { file: ".gitleaks.toml", format: "gitleaks" },
] as const;

export async function createScannerAt(mirror: string, sha: string, where: string, logger: MessageLogger): Promise<ReturnType<typeof createSecretScanner>> {
  let config: SecretScanConfig | undefined;
  for (const { file, format } of CONFIG_FILES) {
    const text = await readFileAt(mirror, sha, file);
    if (text === null) continue;
    try {
      config = loadSecretScanConfig(text, { file, format });
    } catch (error) {
      logger.warn(`secret scan of ${where}: ${file} at ${sha.slice(0, 12)} does not load (${(error as Error).message}); the default rules apply`);
    }
    break;
  }
  const ignoreText = await readFileAt(mirror, sha, ".gitleaksignore");
  return createSecretScanner({ config, ignore: ignoreText === null ? undefined : parseSecretIgnoreFile(ignoreText) });
}

/**
 * Reading Actions secrets out of the store: each value is sealed with
 * AES-256-GCM and bound to its repository, environment and name.
 */
import type { Store } from "../../store/index.js";
import { sealContext } from "../context.js";
import type { SecretBox } from "../security.js";

/** The AES-GCM associated data of a secret at its level. */
export function secretSealContext(repositoryId: number, environment: string | null, name: string): string {
  return environment === null ? sealContext.secret(repositoryId, name) : sealContext.environmentSecret(repositoryId, environment, name);
}

/**
 * The plain values of the secrets stored at one level, by name. A value that
 * cannot be decrypted (sealed under another key) throws, or is left out and
 * reported to `skip` when given.
 */
export async function openSecrets(
  deps: { store: Store; secretBox: SecretBox },
  repositoryId: number,
  environment: string | null,
  skip?: (name: string) => void,
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const record of await deps.store.listSecrets(repositoryId, environment)) {
    try {
      out[record.name] = deps.secretBox.decrypt(record.value.toString("utf8"), secretSealContext(repositoryId, environment, record.name));
    } catch (error) {
      if (!skip) throw error;
      skip(record.name);
    }
  }
  return out;
}

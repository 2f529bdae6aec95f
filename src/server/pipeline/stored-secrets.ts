/**
 * Reading sealed values out of the store: Actions secrets (AES-256-GCM, each
 * bound to its repository, environment and name) and a repository's fetch
 * credentials.
 */
import type { Repository, Store } from "../../store/index.js";
import type { MirrorSource } from "./git-mirror.js";
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

/**
 * Where and how to fetch a repository: its URL with its credentials opened.
 * Credentials that cannot be decrypted (sealed under another key) are left
 * out and reported to `undecryptable`; the fetch then goes without them.
 */
export function mirrorSourceOf(repo: Repository, secretBox: SecretBox, undecryptable?: () => void): MirrorSource {
  let credentials: string | null = null;
  if (repo.credentials) {
    try {
      credentials = secretBox.decrypt(repo.credentials.toString("utf8"), sealContext.credentials(repo.id));
    } catch {
      undecryptable?.();
    }
  }
  return { id: repo.id, gitUrl: repo.gitUrl, credentials };
}

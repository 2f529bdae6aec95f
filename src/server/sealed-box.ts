/**
 * GitHub's way of sending secret values: each repository has an X25519 key
 * pair; a client seals a value to the public key with libsodium's
 * `crypto_box_seal` and sends it base64-encoded with the key's `key_id`.
 * The private key is kept sealed by the server's SecretBox and opened only
 * to open a value.
 */
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import type Sodium from "libsodium-wrappers";
import type { RepositoryKeyPair, Store } from "../store/index.js";
import type { SecretBox } from "./security.js";

// The package's ESM build does not load on Node (it imports a file it does not ship); its CommonJS build does.
const sodium = createRequire(import.meta.url)("libsodium-wrappers") as typeof Sodium;

const keyContext = (repositoryId: number) => `repository-key:${repositoryId}`;

/** The repository's key pair, made on first use. */
export async function repositoryKeyPair(store: Store, secretBox: SecretBox, repositoryId: number): Promise<RepositoryKeyPair> {
  const existing = await store.getRepositoryKeyPair(repositoryId);
  if (existing) return existing;
  await sodium.ready;
  const pair = sodium.crypto_box_keypair();
  const publicKey = Buffer.from(pair.publicKey);
  const privateKey = Buffer.from(secretBox.encrypt(Buffer.from(pair.privateKey).toString("base64"), keyContext(repositoryId)), "utf8");
  // GitHub's key ids are opaque digit strings; this one is derived from the public key.
  const keyId = BigInt(`0x${createHash("sha256").update(publicKey).digest("hex").slice(0, 15)}`).toString();
  return store.ensureRepositoryKeyPair({ repositoryId, keyId, publicKey, privateKey });
}

/** Opens a base64 sealed box with the pair; null when it is not one sealed to this key. */
export async function openSealedValue(pair: RepositoryKeyPair, secretBox: SecretBox, encryptedValue: string): Promise<string | null> {
  await sodium.ready;
  let box: Buffer;
  try {
    box = Buffer.from(encryptedValue, "base64");
  } catch {
    return null;
  }
  if (box.length < sodium.crypto_box_SEALBYTES) return null;
  const privateKey = Buffer.from(secretBox.decrypt(pair.privateKey.toString("utf8"), keyContext(pair.repositoryId)), "base64");
  try {
    return Buffer.from(sodium.crypto_box_seal_open(box, pair.publicKey, privateKey)).toString("utf8");
  } catch {
    return null;
  } finally {
    privateKey.fill(0);
  }
}

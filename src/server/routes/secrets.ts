/**
 * Actions secrets of a repository or of one of its deployment environments,
 * with GitHub's endpoints and shapes.
 *
 * `PUT .../secrets/{name}` takes GitHub's `encrypted_value` (a libsodium
 * sealed box to the repository's public key, `GET .../secrets/public-key`)
 * with its `key_id`, or Slipway's plain `value`. A plain value is accepted
 * only over TLS (an https public URL, i.e. behind a TLS terminating proxy, or
 * a direct https connection) or from a loopback client; a sealed one from
 * anywhere. Environments share their repository's key pair. Values are
 * sealed with AES-256-GCM, bound to their repository, environment and name,
 * before they reach the store, and are never returned by any endpoint.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { SlipwayError } from "../../lib/index.js";
import { pageOf, type RouteContext } from "../context.js";
import { notFound, validationFailed } from "../http-errors.js";
import { secretJson } from "../json.js";
import { openSecrets, secretSealContext } from "../pipeline/index.js";
import { openSealedValue, repositoryKeyPair } from "../sealed-box.js";
import { levelDetails, type LevelOf } from "./levels.js";

/** Runner protocol routes open a job's secrets at claim time with it. */
export { openSecrets };

const SECRET_NAME = /^[A-Z_][A-Z0-9_]*$/;
const MAX_SECRET_BYTES = 48 * 1024;

function isLoopback(ip: string): boolean {
  return ip === "127.0.0.1" || ip === "::1" || ip === "::ffff:127.0.0.1" || ip.startsWith("127.");
}

/** Secret names are case-insensitive on GitHub and stored upper-case. */
function secretName(raw: string): string {
  const name = raw.toUpperCase();
  if (!SECRET_NAME.test(name) || name.startsWith("GITHUB_") || name.length > 200) {
    throw validationFailed("secret_name", "letters, digits and underscores, not starting with a digit or GITHUB_");
  }
  return name;
}

/** Registers list/get/put/delete of secrets under `base` (ending in `/secrets`), at the level `levelOf` resolves. */
export function registerSecretRoutes(app: FastifyInstance, ctx: RouteContext, base: string, levelOf: LevelOf): void {
  const { store, config } = ctx;

  app.get(base, { config: { permission: "repo:admin" } }, async (request) => {
    const level = await levelOf(request);
    const secrets = await store.listSecrets(request.repository!.id, level.environment);
    const { page, perPage } = pageOf(request.query);
    return { total_count: secrets.length, secrets: secrets.slice((page - 1) * perPage, page * perPage).map(secretJson) };
  });

  // A static segment: it is matched before `:name`, whatever the registration order.
  app.get(`${base}/public-key`, { config: { permission: "repo:read" } }, async (request) => {
    await levelOf(request);
    const pair = await repositoryKeyPair(store, ctx.secretBox, request.repository!.id);
    return { key_id: pair.keyId, key: pair.publicKey.toString("base64") };
  });

  app.get(`${base}/:name`, { config: { permission: "repo:admin" } }, async (request) => {
    const level = await levelOf(request);
    const name = secretName((request.params as { name: string }).name);
    const secret = await store.getSecret(request.repository!.id, name, level.environment);
    if (!secret) throw notFound("SECRET_NOT_FOUND", `Secret ${name}`);
    return secretJson(secret);
  });

  app.put(`${base}/:name`, { config: { permission: "repo:admin" } }, async (request, reply) => {
    const level = await levelOf(request);
    const name = secretName((request.params as { name: string }).name);
    const repo = request.repository!;
    const value = await valueOf(request, repo.id);
    if (Buffer.byteLength(value, "utf8") > MAX_SECRET_BYTES) throw validationFailed("value", "at most 48 KB");
    const existed = (await store.getSecret(repo.id, name, level.environment)) !== null;
    const sealed = ctx.secretBox.encrypt(value, secretSealContext(repo.id, level.environment, name));
    await store.putSecret({ repositoryId: repo.id, environment: level.environment, name, value: Buffer.from(sealed, "utf8") });
    await ctx.audit(request, existed ? "secret.update" : "secret.create", `repo:${repo.fullName}`, levelDetails(level, { name }));
    return reply.status(existed ? 204 : 201).send();
  });

  app.delete(`${base}/:name`, { config: { permission: "repo:admin" } }, async (request, reply) => {
    const level = await levelOf(request);
    const name = secretName((request.params as { name: string }).name);
    const repo = request.repository!;
    if (!(await store.deleteSecret(repo.id, name, level.environment))) throw notFound("SECRET_NOT_FOUND", `Secret ${name}`);
    await ctx.audit(request, "secret.delete", `repo:${repo.fullName}`, levelDetails(level, { name }));
    return reply.status(204).send();
  });

  /** The value of a PUT: opened from GitHub's sealed box, or Slipway's plain `value` over a confidential transport. */
  const valueOf = async (request: FastifyRequest, repositoryId: number): Promise<string> => {
    const b = (request.body ?? {}) as { value?: unknown; encrypted_value?: unknown; key_id?: unknown };
    if (b.encrypted_value !== undefined) {
      if (typeof b.encrypted_value !== "string" || b.encrypted_value === "") throw validationFailed("encrypted_value", "a base64 libsodium sealed box");
      if (typeof b.key_id !== "string" || b.key_id === "") throw validationFailed("key_id", "the key_id of the public key the value was sealed to");
      const pair = await repositoryKeyPair(store, ctx.secretBox, repositoryId);
      if (b.key_id !== pair.keyId) throw new SlipwayError("SECRET_SEAL_INVALID", "key_id does not name the repository's current public key");
      const opened = await openSealedValue(pair, ctx.secretBox, b.encrypted_value);
      if (opened === null) throw new SlipwayError("SECRET_SEAL_INVALID", "encrypted_value is not a sealed box to the repository's public key");
      return opened;
    }
    requireConfidentialTransport(request, config.publicUrl);
    if (typeof b.value !== "string") throw validationFailed("encrypted_value", "a sealed box with its key_id, or Slipway's plain `value` as a string");
    return b.value;
  };
}

/** Plain secret values travel only over TLS or from this machine. */
function requireConfidentialTransport(request: FastifyRequest, publicUrl: string): void {
  // request.ip honours SLIPWAY_TRUST_PROXY: behind a proxy it is the real client, not the proxy.
  if (request.protocol === "https" || publicUrl.startsWith("https:") || isLoopback(request.ip)) return;
  throw new SlipwayError("SECRET_TRANSPORT_INSECURE", "Secret values are accepted only over TLS or from a loopback address", {
    hint: "Serve Slipway behind TLS and set SLIPWAY_PUBLIC_URL to its https URL, or set secrets from the server machine.",
  });
}

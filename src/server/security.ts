/**
 * Credentials and secrets: password hashing (scrypt), opaque API tokens stored
 * only as SHA-256 hashes, AES-256-GCM encryption of secrets at rest, and a
 * token-bucket limiter for authentication endpoints.
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { SlipwayError } from "../lib/index.js";

// ---------------------------------------------------------------- passwords

const SCRYPT = { N: 16384, r: 8, p: 1, keyLength: 32, saltLength: 16 } as const;

function scryptAsync(password: string, salt: Buffer, N: number, r: number, p: number, keyLength: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize("NFKC"), salt, keyLength, { N, r, p, maxmem: 128 * N * r * 2 }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

/** Hashes a password as `scrypt$N$r$p$salt$hash` (base64url parts), parameters kept so they can be raised later. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SCRYPT.saltLength);
  const key = await scryptAsync(password, salt, SCRYPT.N, SCRYPT.r, SCRYPT.p, SCRYPT.keyLength);
  return ["scrypt", SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString("base64url"), key.toString("base64url")].join("$");
}

/** Checks a password against hashPassword's output in constant time; false for malformed hashes. */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const parts = encoded.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return false;
  const [N, r, p] = parts.slice(1, 4).map(Number);
  if (N === undefined || !Number.isInteger(N) || !Number.isInteger(r) || !Number.isInteger(p) || N > 1 << 20) return false;
  const salt = Buffer.from(parts[4]!, "base64url");
  const expected = Buffer.from(parts[5]!, "base64url");
  if (expected.length < 16) return false;
  const actual = await scryptAsync(password, salt, N!, r!, p!, expected.length);
  return timingSafeEqual(actual, expected);
}

// ---------------------------------------------------------------- tokens

export type TokenKind = "api" | "session" | "runner" | "registration";

const TOKEN_PREFIX: Record<TokenKind, string> = {
  api: "slp_",
  session: "slps_",
  runner: "slpr_",
  registration: "slpreg_",
};

/** A fresh random token: a kind prefix (so leaked tokens are recognisable) and 32 random bytes. */
export function generateToken(kind: TokenKind = "api"): string {
  return TOKEN_PREFIX[kind] + randomBytes(32).toString("base64url");
}

/** The only form in which a token is stored. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** Constant-time string comparison (lengths may differ). */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash("sha256").update(a).digest();
  const hb = createHash("sha256").update(b).digest();
  return timingSafeEqual(ha, hb) && a.length === b.length;
}

// ---------------------------------------------------------------- secrets at rest

const KEY_FILE = "secret.key";

function decodeKey(text: string): Buffer | undefined {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return Buffer.from(t, "hex");
  const b = Buffer.from(t, /[-_]/.test(t) ? "base64url" : "base64");
  return b.length === 32 ? b : undefined;
}

/**
 * The 32-byte key for secrets at rest: SLIPWAY_SECRET_KEY when configured,
 * otherwise `<dataDir>/secret.key`, created with mode 0600 when missing.
 */
export function loadSecretKey(options: { secretKey?: string; dataDir: string }): { key: Buffer; source: "config" | "file" | "generated" } {
  if (options.secretKey !== undefined) {
    const key = decodeKey(options.secretKey);
    if (!key) {
      throw new SlipwayError("CONFIG_INVALID", "SLIPWAY_SECRET_KEY must encode exactly 32 bytes (64 hex digits or base64)", {
        hint: "Generate one with `openssl rand -base64 32`.",
      });
    }
    return { key, source: "config" };
  }
  const file = path.join(options.dataDir, KEY_FILE);
  if (existsSync(file)) {
    const key = decodeKey(readFileSync(file, "utf8"));
    if (!key) {
      throw new SlipwayError("CONFIG_INVALID", `${file} does not hold a 32-byte key`, {
        hint: "Restore the key file from a backup; secrets encrypted under another key cannot be read.",
      });
    }
    return { key, source: "file" };
  }
  mkdirSync(options.dataDir, { recursive: true });
  const key = randomBytes(32);
  writeFileSync(file, key.toString("base64") + "\n", { mode: 0o600, flag: "wx" });
  chmodSync(file, 0o600);
  return { key, source: "generated" };
}

export interface SecretBox {
  /** `v1.<iv>.<tag>.<ciphertext>` (base64url); `context` (e.g. repo id + name) is bound as associated data. */
  encrypt(plaintext: string, context: string): string;
  decrypt(sealed: string, context: string): string;
  /** A 32-byte key for `purpose` derived from the sealing key (HKDF-SHA256), the same on every replica. */
  deriveKey?(purpose: string): Buffer;
}

export function createSecretBox(key: Buffer): SecretBox {
  if (key.length !== 32) throw new Error("secret box key must be 32 bytes");
  const derivedKeys = new Map<string, Buffer>();
  return {
    encrypt(plaintext, context) {
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", key, iv);
      cipher.setAAD(Buffer.from(context, "utf8"));
      const data = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
      return ["v1", iv.toString("base64url"), cipher.getAuthTag().toString("base64url"), data.toString("base64url")].join(".");
    },
    decrypt(sealed, context) {
      const parts = sealed.split(".");
      if (parts.length !== 4 || parts[0] !== "v1") throw new Error("sealed secret has an unknown format");
      const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(parts[1]!, "base64url"));
      decipher.setAAD(Buffer.from(context, "utf8"));
      decipher.setAuthTag(Buffer.from(parts[2]!, "base64url"));
      return Buffer.concat([decipher.update(Buffer.from(parts[3]!, "base64url")), decipher.final()]).toString("utf8");
    },
    deriveKey(purpose) {
      // Asked for at every claim (the job token's key): derived once per purpose, handed out as a copy.
      let derived = derivedKeys.get(purpose);
      if (!derived) {
        derived = Buffer.from(hkdfSync("sha256", key, Buffer.alloc(0), `slipway:${purpose}`, 32));
        derivedKeys.set(purpose, derived);
      }
      return Buffer.from(derived);
    },
  };
}

// ---------------------------------------------------------------- rate limit

/** What the server limits authentication with; may ask the database, so it answers asynchronously. */
export interface RateLimiter {
  /** Takes one token for `key`; resolves to 0 when allowed, otherwise the seconds to wait. */
  take(key: string): Promise<number>;
}

/** A limiter within one process's memory (tests and single-process tools; the server uses createSharedRateLimiter). */
export interface LocalRateLimiter {
  /** Takes one token for `key`; returns 0 when allowed, otherwise the seconds to wait. */
  take(key: string): number;
}

/** In-memory token bucket per key: `capacity` tokens, refilled evenly over `perMs`. */
export function createRateLimiter(options: { capacity: number; perMs: number; now: () => number; maxKeys?: number }): LocalRateLimiter {
  const buckets = new Map<string, { tokens: number; at: number }>();
  const rate = options.capacity / options.perMs;
  const maxKeys = options.maxKeys ?? 10_000;
  return {
    take(key) {
      const now = options.now();
      let b = buckets.get(key);
      if (!b) {
        if (buckets.size >= maxKeys) {
          // Drop the oldest entry so a flood of addresses cannot grow memory without bound.
          const first = buckets.keys().next().value;
          if (first !== undefined) buckets.delete(first);
        }
        b = { tokens: options.capacity, at: now };
        buckets.set(key, b);
      }
      b.tokens = Math.min(options.capacity, b.tokens + (now - b.at) * rate);
      b.at = now;
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return 0;
      }
      return Math.max(1, Math.ceil((1 - b.tokens) / rate / 1000));
    },
  };
}

/** The part of the store a shared limiter needs. */
export interface RateLimitStore {
  takeRateLimit(key: string, limit: number, windowSeconds: number, now?: Date): Promise<number>;
}

/**
 * A limiter whose budget lives in the store, so every replica on one database
 * shares it and a restart does not reset it. Denials are remembered in memory
 * until they lapse: the store's budget only refills with time, so a key it
 * refused stays refused at least that long on every replica, and a flood of
 * attempts from one address is answered without a query each. That cache can
 * only refuse, never allow, so it cannot let more through than the limit.
 *
 * When the store cannot answer, `take` fails closed with DATABASE_ERROR (503):
 * every authentication needs the database anyway, and unlimited guessing
 * while it is away would be worse than a refusal.
 */
export function createSharedRateLimiter(options: {
  store: RateLimitStore;
  limit: number;
  windowSeconds: number;
  now: () => Date;
  /** Denials remembered in memory; default 10,000 (the oldest is forgotten first). */
  maxCachedDenials?: number;
}): RateLimiter {
  const deniedUntil = new Map<string, number>();
  const maxCached = options.maxCachedDenials ?? 10_000;
  return {
    async take(key) {
      const now = options.now();
      const cached = deniedUntil.get(key);
      if (cached !== undefined) {
        // The true wait is at most one second more than what is remembered (see below): never advise retrying early.
        if (cached > now.getTime()) return Math.ceil((cached - now.getTime()) / 1000) + 1;
        deniedUntil.delete(key);
      }
      let wait: number;
      try {
        wait = await options.store.takeRateLimit(key, options.limit, options.windowSeconds, now);
      } catch (error) {
        throw new SlipwayError("DATABASE_ERROR", "Cannot check the authentication rate limit: the database did not answer", {
          hint: "Authentication is refused while the database is unreachable. Check SLIPWAY_DATABASE_URL and that the database is up, then retry.",
          cause: error,
        });
      }
      if (wait > 0) {
        // The store rounds its wait up to whole seconds, so the true wait is more than wait - 1 s: remember only that much.
        const until = now.getTime() + (wait - 1) * 1000;
        if (until > now.getTime()) {
          if (deniedUntil.size >= maxCached && !deniedUntil.has(key)) {
            const oldest = deniedUntil.keys().next().value;
            if (oldest !== undefined) deniedUntil.delete(oldest);
          }
          deniedUntil.set(key, until);
        }
      }
      return wait;
    },
  };
}

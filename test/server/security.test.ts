import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { SlipwayError } from "../../src/lib/index.js";
import {
  createRateLimiter,
  createSecretBox,
  generateToken,
  hashPassword,
  hashToken,
  loadSecretKey,
  verifyPassword,
} from "../../src/server/index.js";

describe("passwords", () => {
  it("hashes with scrypt and a random salt, and verifies only the right password", async () => {
    const a = await hashPassword("correct horse");
    const b = await hashPassword("correct horse");
    expect(a).toMatch(/^scrypt\$16384\$8\$1\$[\w-]+\$[\w-]+$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain("correct horse");
    expect(await verifyPassword("correct horse", a)).toBe(true);
    expect(await verifyPassword("correct horse!", a)).toBe(false);
    expect(await verifyPassword("", a)).toBe(false);
  });

  it("treats malformed hashes as a mismatch", async () => {
    expect(await verifyPassword("x", "")).toBe(false);
    expect(await verifyPassword("x", "bcrypt$abc")).toBe(false);
    expect(await verifyPassword("x", "scrypt$99999999$8$1$AAAA$AAAA")).toBe(false);
  });
});

describe("tokens", () => {
  it("generates prefixed random tokens and stores only their SHA-256", () => {
    const t = generateToken("api");
    expect(t).toMatch(/^slp_[\w-]{43}$/);
    expect(generateToken("runner")).toMatch(/^slpr_/);
    expect(generateToken("session")).toMatch(/^slps_/);
    expect(generateToken()).not.toBe(generateToken());
    expect(hashToken(t)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashToken(t)).toBe(hashToken(t));
  });
});

describe("secrets at rest", () => {
  const key = Buffer.alloc(32, 7);

  it("round-trips with AES-256-GCM and a fresh IV each time", () => {
    const box = createSecretBox(key);
    const a = box.encrypt("s3cret value", "secret:1:TOKEN");
    const b = box.encrypt("s3cret value", "secret:1:TOKEN");
    expect(a).not.toBe(b);
    expect(a).not.toContain("s3cret");
    expect(box.decrypt(a, "secret:1:TOKEN")).toBe("s3cret value");
  });

  it("derives one key per purpose, the same each time, that a caller cannot change for the next", () => {
    const box = createSecretBox(key);
    const first = box.deriveKey!("job-token");
    expect(first).toHaveLength(32);
    expect(box.deriveKey!("job-token").equals(first)).toBe(true);
    expect(box.deriveKey!("other").equals(first)).toBe(false);
    expect(createSecretBox(Buffer.alloc(32, 8)).deriveKey!("job-token").equals(first)).toBe(false);
    const copy = Buffer.from(first);
    first.fill(0);
    expect(box.deriveKey!("job-token").equals(copy)).toBe(true);
  });

  it("refuses tampered data, another context or another key", () => {
    const box = createSecretBox(key);
    const sealed = box.encrypt("value", "secret:1:A");
    expect(() => box.decrypt(sealed, "secret:2:A")).toThrow();
    const parts = sealed.split(".");
    const flipped = Buffer.from(parts[3]!, "base64url");
    flipped[0] = flipped[0]! ^ 1;
    expect(() => box.decrypt([...parts.slice(0, 3), flipped.toString("base64url")].join("."), "secret:1:A")).toThrow();
    expect(() => createSecretBox(Buffer.alloc(32, 8)).decrypt(sealed, "secret:1:A")).toThrow();
  });

  it("uses SLIPWAY_SECRET_KEY in hex or base64 and rejects other lengths", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "slipway-key-"));
    expect(loadSecretKey({ secretKey: "ab".repeat(32), dataDir: dir }).key).toEqual(Buffer.alloc(32, 0xab));
    expect(loadSecretKey({ secretKey: Buffer.alloc(32, 3).toString("base64"), dataDir: dir }).key).toEqual(Buffer.alloc(32, 3));
    try {
      loadSecretKey({ secretKey: "short", dataDir: dir });
      throw new Error("expected failure");
    } catch (error) {
      expect(error).toBeInstanceOf(SlipwayError);
      expect((error as SlipwayError).code).toBe("CONFIG_INVALID");
      expect((error as SlipwayError).message).not.toContain("short");
    }
  });

  it("generates a key file with mode 0600 once and reuses it", () => {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), "slipway-key-")), "data");
    const first = loadSecretKey({ dataDir: dir });
    expect(first.source).toBe("generated");
    const file = path.join(dir, "secret.key");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const second = loadSecretKey({ dataDir: dir });
    expect(second.source).toBe("file");
    expect(second.key).toEqual(first.key);
    expect(Buffer.from(readFileSync(file, "utf8").trim(), "base64")).toEqual(first.key);
  });
});

describe("rate limiter", () => {
  it("allows a burst of capacity, then refills evenly", () => {
    let now = 0;
    const limiter = createRateLimiter({ capacity: 3, perMs: 60_000, now: () => now });
    expect([limiter.take("a"), limiter.take("a"), limiter.take("a")]).toEqual([0, 0, 0]);
    const wait = limiter.take("a");
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(20);
    expect(limiter.take("b")).toBe(0);
    now += 20_000;
    expect(limiter.take("a")).toBe(0);
    expect(limiter.take("a")).toBeGreaterThan(0);
  });

  it("bounds the number of tracked clients", () => {
    const limiter = createRateLimiter({ capacity: 1, perMs: 60_000, now: () => 0, maxKeys: 2 });
    expect(limiter.take("a")).toBe(0);
    expect(limiter.take("b")).toBe(0);
    expect(limiter.take("c")).toBe(0); // evicts "a"
    expect(limiter.take("a")).toBe(0);
  });
});

/** Entropy, redaction and fingerprints: what a finding may say about a secret without holding it. */
import { createHash } from "node:crypto";

/** Shannon entropy of a string in bits per character (0 for an empty string). */
export function measureEntropy(value: string): number {
  if (value.length === 0) return 0;
  const ascii = ASCII_COUNTS;
  let other: Map<number, number> | undefined;
  let n = 0;
  for (let i = 0; i < value.length; i++) {
    const code = value.codePointAt(i)!;
    if (code > 0xffff) i++;
    n++;
    if (code < 128) ascii[code]!++;
    else (other ??= new Map()).set(code, (other.get(code) ?? 0) + 1);
  }
  let bits = 0;
  for (let i = 0; i < 128; i++) {
    const c = ascii[i]!;
    if (c === 0) continue;
    ascii[i] = 0;
    bits -= (c / n) * Math.log2(c / n);
  }
  if (other) for (const c of other.values()) bits -= (c / n) * Math.log2(c / n);
  return bits;
}

/** Counts reused by measureEntropy (left zeroed after each call). */
const ASCII_COUNTS = new Uint32Array(128);

/**
 * The secret with everything but a short head replaced by `…`: at most 4
 * characters, and never more than a fifth of the secret (a short password
 * shows one character or none).
 */
export function redactSecret(secret: string): string {
  const keep = Math.min(4, Math.floor(secret.length / 5));
  return secret.slice(0, keep) + "…";
}

/** The match with every occurrence of the secret redacted, cut to 200 characters. */
export function redactMatch(match: string, secret: string): string {
  const redacted = secret.length > 0 ? match.split(secret).join(redactSecret(secret)) : match;
  return redacted.length > 200 ? redacted.slice(0, 199) + "…" : redacted;
}

/** SHA-256 (hex) of rule, file and secret: identifies a leak without storing it. */
export function fingerprintSecret(ruleId: string, file: string, secret: string): string {
  return createHash("sha256").update(`${ruleId}\0${file}\0${secret}`).digest("hex");
}

/** A set of findings to leave out: `.gitleaksignore`-style ids and SHA-256 fingerprints. */
export interface SecretIgnoreList {
  /** `commit:file:rule:line` or `file:rule:line` (the latter matches any commit). */
  ids: Set<string>;
  /** Finding fingerprints (64 hex characters). */
  fingerprints: Set<string>;
}

/**
 * Reads an ignore file (`.gitleaksignore` or `.slipway/secret-scan-ignore`):
 * one entry per line, `#` starts a comment, blank lines are skipped. An entry
 * is a finding's fingerprint or its ignore id.
 */
export function parseSecretIgnoreFile(text: string): SecretIgnoreList {
  const list: SecretIgnoreList = { ids: new Set(), fingerprints: new Set() };
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    if (/^[0-9a-f]{64}$/i.test(line)) list.fingerprints.add(line.toLowerCase());
    else list.ids.add(line);
  }
  return list;
}

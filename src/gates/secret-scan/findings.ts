/** Entropy, redaction and fingerprints: what a finding may say about a secret without holding it. */
import { createHash } from "node:crypto";

/** Shannon entropy of a string in bits per character (0 for an empty string). */
export function measureEntropy(value: string): number {
  if (value.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const ch of value) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  const n = [...value].length;
  let bits = 0;
  for (const c of counts.values()) {
    const p = c / n;
    bits -= p * Math.log2(p);
  }
  return bits;
}

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

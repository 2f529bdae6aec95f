/** The shapes of secret scanning: rules, allow-lists, findings and results. */

/** What an allow-list regex is tested against. */
export type AllowlistTarget = "secret" | "match" | "line";

/**
 * Reasons a finding is not reported. With condition "OR" any one criterion
 * that is given and holds allows the finding; with "AND" every criterion
 * that is given must hold.
 */
export interface SecretAllowlist {
  description?: string;
  condition: "OR" | "AND";
  /** Commit SHAs (a finding without a commit never matches one). */
  commits: string[];
  /** Tested against the file path. */
  paths: RegExp[];
  regexes: RegExp[];
  regexTarget: AllowlistTarget;
  /** Case-insensitive substrings of the secret. */
  stopwords: string[];
  /** For global allow-lists: only these rules (all rules when absent). */
  targetRules?: string[];
}

export interface SecretRule {
  id: string;
  description: string;
  /** Absent for a path-only rule (a finding for the file itself). */
  regex?: RegExp;
  /** The capture group holding the secret; 0 is the whole match. Defaults to the first group that took part, else 0. */
  secretGroup?: number;
  /** Minimum Shannon entropy (bits per character) of the secret. */
  entropy?: number;
  /** Lower-case words of which one must occur on the match's first line for the regex to run. */
  keywords: string[];
  /** Only files whose path matches. */
  path?: RegExp;
  allowlists: SecretAllowlist[];
  tags: string[];
  /**
   * A match may span lines (e.g. a PEM block). The rule is tried on a window
   * that starts at the keyword's line; other rules see one line at a time.
   */
  multiline?: boolean;
}

export interface SecretScanConfig {
  rules: SecretRule[];
  /** Apply to every rule (or to their targetRules). */
  allowlists: SecretAllowlist[];
  /** Files larger than this (bytes) are skipped with a note. */
  maxFileBytes: number;
  /** Comment markers that allow every finding on their line. */
  inlineAllowMarkers: string[];
}

/** One secret found. Never holds the secret's value: `match` and `redacted` are redacted. */
export interface SecretFinding {
  ruleId: string;
  description: string;
  file: string;
  /** 1-based line and column of the secret's first character. */
  line: number;
  column: number;
  /** 1-based line and column of the secret's last character. */
  endLine: number;
  endColumn: number;
  commit?: string;
  /** The rule's match with the secret redacted, at most 200 characters. */
  match: string;
  /** The secret, redacted: a few leading characters and `…`. */
  redacted: string;
  /** Shannon entropy of the secret, bits per character (rounded to 0.01). */
  entropy: number;
  /** SHA-256 (hex) of rule, file and secret: the same secret in the same file has the same fingerprint on any line or commit. */
  fingerprint: string;
  /** `commit:file:rule:line` (or `file:rule:line`), as a `.gitleaksignore` line names it. */
  ignoreId: string;
  tags: string[];
}

type SkipReason = "binary" | "too-large" | "allowlisted-path";

export interface SkippedFile {
  file: string;
  commit?: string;
  reason: SkipReason;
  /** Human note, e.g. "12.5 MB is over the 10 MB limit". */
  note: string;
}

export interface SecretScanResult {
  findings: SecretFinding[];
  skipped: SkippedFile[];
  /** Bytes (UTF-16 code units for text input) scanned. */
  scannedBytes: number;
}

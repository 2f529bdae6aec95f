/**
 * Ignore directives in SQL comments, in squawk's syntax (a `slipway-` prefix
 * works the same way):
 *   -- squawk-ignore rule-a, rule-b    the findings of these rules on the next line
 *   -- squawk-ignore                   every finding on the next line
 *   -- squawk-ignore-file [rules]      these rules (or all) in the whole file
 *   -- squawk-disable-assume-in-transaction   this file runs outside a transaction
 * Block comments work too. Rule lists are separated by commas or blanks, and
 * end at a nested `--` (a note for readers). A directive also covers findings
 * that start after it on its own line.
 */
import type { SqlToken } from "./types.js";

interface IgnoreDirective {
  /** Byte offsets of the comment. */
  start: number;
  end: number;
  scope: "line" | "file";
  /** Rule names as written; empty means every rule. */
  rules: string[];
}

export interface FileDirectives {
  ignores: IgnoreDirective[];
  disableAssumeInTransaction: boolean;
}

const DIRECTIVE = /^(?:squawk|slipway)-(ignore-file|ignore|disable-assume-in-transaction)(?![\w-])(.*)$/is;

export function readDirectives(tokens: readonly SqlToken[]): FileDirectives {
  const out: FileDirectives = { ignores: [], disableAssumeInTransaction: false };
  for (const t of tokens) {
    if (t.kind !== "SQL_COMMENT" && t.kind !== "C_COMMENT") continue;
    const body = (t.kind === "SQL_COMMENT" ? t.text.slice(2) : t.text.slice(2, -2)).trim();
    const m = DIRECTIVE.exec(body);
    if (!m) continue;
    const kind = m[1]!.toLowerCase();
    if (kind === "disable-assume-in-transaction") {
      out.disableAssumeInTransaction = true;
      continue;
    }
    const list = m[2]!.split("--")[0]!;
    const rules = list.split(/[\s,]+/).filter(Boolean);
    out.ignores.push({ start: t.start, end: t.end, scope: kind === "ignore-file" ? "file" : "line", rules });
  }
  return out;
}

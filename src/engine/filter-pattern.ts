/**
 * GitHub's filter pattern syntax for `branches`, `tags` and `paths`:
 * `*` any characters except `/`; `**` any characters; `?` zero or one of the
 * preceding character; `+` one or more of the preceding character; `[...]`
 * one character of a set or range; `\` escapes the next character. A list is
 * read in order: a pattern starting with `!` excludes what earlier patterns
 * included, and a later positive pattern can include it again.
 */

const cache = new Map<string, RegExp>();

/** The regular expression for one pattern (without a leading `!`). */
function compileFilterPattern(pattern: string): RegExp {
  const cached = cache.get(pattern);
  if (cached) return cached;
  let out = "";
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i]!;
    if (c === "*") {
      if (pattern[i + 1] === "*") {
        // `**/` also matches no directory at all, so `**/x` matches `x`.
        if (pattern[i + 2] === "/") {
          out += "(?:.*/)?";
          i += 3;
        } else {
          out += ".*";
          i += 2;
        }
      } else {
        out += "[^/]*";
        i += 1;
      }
    } else if (c === "?" || c === "+") {
      // Quantifier of the preceding character; at the start it is a literal.
      out += out === "" ? `\\${c}` : c;
      i += 1;
    } else if (c === "[") {
      const end = pattern.indexOf("]", i + 1);
      if (end < 0) {
        out += "\\[";
        i += 1;
      } else {
        const body = pattern.slice(i + 1, end).replace(/[\\\]^]/g, (m) => `\\${m}`);
        out += `[${body}]`;
        i = end + 1;
      }
    } else if (c === "\\" && i + 1 < pattern.length) {
      out += escapeRegExp(pattern[i + 1]!);
      i += 2;
    } else {
      out += escapeRegExp(c);
      i += 1;
    }
  }
  const re = new RegExp(`^${out}$`);
  cache.set(pattern, re);
  return re;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

/** Whether `value` is included by an ordered pattern list (with `!` negations). */
export function matchFilterPatterns(value: string, patterns: string[]): boolean {
  let included = false;
  for (const raw of patterns) {
    const negated = raw.startsWith("!");
    const pattern = negated ? raw.slice(1) : raw;
    if (negated) {
      if (included && compileFilterPattern(pattern).test(value)) included = false;
    } else if (!included && compileFilterPattern(pattern).test(value)) {
      included = true;
    }
  }
  return included;
}

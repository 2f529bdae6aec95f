/**
 * dotenv files for --secret-file, --var-file and --env-file:
 * `NAME=value`, optional `export ` prefix, `#` comments and blank lines,
 * single quotes (literal), double quotes (with \n, \r, \t, \" and \\ escapes,
 * and values that span lines), unquoted values trimmed with ` #` comments cut.
 */
import { SlipwayError } from "../lib/index.js";

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

export function parseDotenv(text: string, file: string): Record<string, string> {
  const result: Record<string, string> = {};
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    let line = lines[i]!;
    if (/^\s*(#|$)/.test(line)) continue;
    line = line.replace(/^\s*export\s+/, "");
    const eq = line.indexOf("=");
    if (eq < 0) throw invalid(file, lineNo, 1, "expected NAME=value (the line has no '=')");
    const name = line.slice(0, eq).trim();
    if (!NAME.test(name)) throw invalid(file, lineNo, 1, "invalid name: names start with a letter or _ and hold letters, digits, _, . or -");
    let rest = line.slice(eq + 1).replace(/^\s+/, "");
    const col = eq + 2;
    if (rest.startsWith('"')) {
      let body = rest.slice(1);
      let close = findClosingQuote(body);
      const startLine = lineNo;
      while (close < 0 && i + 1 < lines.length) {
        i++;
        body += "\n" + lines[i]!;
        close = findClosingQuote(body);
      }
      if (close < 0) throw invalid(file, startLine, col, `unterminated double-quoted value for ${name}`);
      checkTrailing(body.slice(close + 1), file, i + 1, name);
      result[name] = unescapeDouble(body.slice(0, close));
    } else if (rest.startsWith("'")) {
      const close = rest.indexOf("'", 1);
      if (close < 0) throw invalid(file, lineNo, col, `unterminated single-quoted value for ${name}`);
      checkTrailing(rest.slice(close + 1), file, lineNo, name);
      result[name] = rest.slice(1, close);
    } else {
      const hash = rest.search(/\s#/);
      if (hash >= 0) rest = rest.slice(0, hash);
      result[name] = rest.trim();
    }
  }
  return result;
}

function findClosingQuote(body: string): number {
  for (let j = 0; j < body.length; j++) {
    if (body[j] === "\\") j++;
    else if (body[j] === '"') return j;
  }
  return -1;
}

function unescapeDouble(s: string): string {
  return s.replace(/\\(.)/gs, (_m, c: string) => ({ n: "\n", r: "\r", t: "\t" })[c as "n"] ?? c);
}

function checkTrailing(rest: string, file: string, line: number, name: string): void {
  if (!/^\s*(#.*)?$/.test(rest)) throw invalid(file, line, 1, `unexpected text after the quoted value of ${name}`);
}

function invalid(file: string, line: number, col: number, message: string): SlipwayError {
  return new SlipwayError("SECRET_FILE_INVALID", message, { position: { file, line, col } });
}

/**
 * A reader for the subset of TOML that secret-scan configurations use:
 * comments, bare/quoted/dotted keys, `[table]` and `[[array.of.tables]]`
 * headers, basic and literal strings (single- and multi-line), integers,
 * floats, booleans, arrays (over several lines, trailing comma allowed) and
 * inline tables. Dates and times are refused. Every table remembers the line
 * of each of its keys, so a configuration error can name its line.
 */

interface TomlPositions {
  /** Line (1-based) of the table's header, or 1 for the root. */
  line: number;
  /** Line of each key's assignment or table header. */
  keys: Map<string, number>;
}

export type TomlTable = { [key: string]: unknown };

const positions = new WeakMap<object, TomlPositions>();

/** The line of a key in a table read by parseToml (its header line when the key is unknown). */
export function lineOfKey(table: TomlTable, key?: string): number {
  const p = positions.get(table);
  if (!p) return 1;
  return (key !== undefined ? p.keys.get(key) : undefined) ?? p.line;
}

/** A syntax error: a message and the 1-based line it was found on. */
export class TomlSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
    this.name = "TomlSyntaxError";
  }
}

function newTable(line: number): TomlTable {
  const t: TomlTable = {};
  positions.set(t, { line, keys: new Map() });
  return t;
}

function isTable(v: unknown): v is TomlTable {
  return typeof v === "object" && v !== null && !Array.isArray(v) && positions.has(v);
}

const BARE_KEY = /[A-Za-z0-9_-]/;

class Reader {
  pos = 0;
  line = 1;
  /** Tables defined by a header or by a dotted key: redefining them is an error. */
  readonly defined = new WeakSet<object>();
  /** Arrays created by `[[...]]`: only those may be appended to by a header. */
  readonly tableArrays = new WeakSet<unknown[]>();

  constructor(readonly text: string) {}

  fail(message: string, line = this.line): never {
    throw new TomlSyntaxError(message, line);
  }

  peek(offset = 0): string {
    return this.text[this.pos + offset] ?? "";
  }

  advance(n = 1): void {
    for (let i = 0; i < n; i++) {
      if (this.text[this.pos] === "\n") this.line++;
      this.pos++;
    }
  }

  skipSpaces(): void {
    while (this.peek() === " " || this.peek() === "\t") this.pos++;
  }

  /** Skips spaces, comments and line breaks (inside arrays and between statements). */
  skipBlank(): void {
    for (;;) {
      const c = this.peek();
      if (c === " " || c === "\t" || c === "\r" || c === "\n") this.advance();
      else if (c === "#") this.skipComment();
      else return;
    }
  }

  skipComment(): void {
    while (this.pos < this.text.length && this.peek() !== "\n") this.pos++;
  }

  /** After a statement: only spaces and a comment may remain on the line. */
  endOfLine(): void {
    this.skipSpaces();
    if (this.peek() === "#") this.skipComment();
    if (this.peek() === "\r") this.pos++;
    if (this.pos < this.text.length && this.peek() !== "\n") this.fail(`unexpected '${this.peek()}' after a value`);
  }

  readKey(): string[] {
    const parts: string[] = [];
    for (;;) {
      this.skipSpaces();
      const c = this.peek();
      if (c === '"') parts.push(this.readBasicString());
      else if (c === "'") parts.push(this.readLiteralString());
      else {
        const start = this.pos;
        while (BARE_KEY.test(this.peek())) this.pos++;
        if (this.pos === start) this.fail(c === "" ? "a key is missing" : `unexpected '${c}' where a key was expected`);
        parts.push(this.text.slice(start, this.pos));
      }
      this.skipSpaces();
      if (this.peek() !== ".") return parts;
      this.pos++;
    }
  }

  readBasicString(): string {
    if (this.text.startsWith('"""', this.pos)) return this.readMultilineBasic();
    this.pos++;
    let out = "";
    for (;;) {
      const c = this.peek();
      if (c === "" || c === "\n") this.fail("a string is not closed on its line");
      this.pos++;
      if (c === '"') return out;
      out += c === "\\" ? this.readEscape() : c;
    }
  }

  readEscape(): string {
    const c = this.peek();
    this.pos++;
    switch (c) {
      case "b":
        return "\b";
      case "t":
        return "\t";
      case "n":
        return "\n";
      case "f":
        return "\f";
      case "r":
        return "\r";
      case '"':
        return '"';
      case "\\":
        return "\\";
      case "e":
        return "\x1b";
      case "u":
      case "U": {
        const n = c === "u" ? 4 : 8;
        const hex = this.text.slice(this.pos, this.pos + n);
        if (!/^[0-9A-Fa-f]+$/.test(hex) || hex.length !== n) this.fail(`invalid \\${c} escape`);
        this.pos += n;
        return String.fromCodePoint(parseInt(hex, 16));
      }
      default:
        return this.fail(`invalid escape '\\${c}' (write '\\\\' for a backslash, or use a '...' literal string)`);
    }
  }

  readMultilineBasic(): string {
    const startLine = this.line;
    this.pos += 3;
    if (this.peek() === "\r" && this.peek(1) === "\n") this.pos++;
    if (this.peek() === "\n") this.advance();
    let out = "";
    for (;;) {
      if (this.pos >= this.text.length) this.fail('a """ string is not closed', startLine);
      if (this.text.startsWith('"""', this.pos)) {
        // Up to two quotes right before the closing delimiter belong to the string.
        let run = 3;
        while (run < 5 && this.text[this.pos + run] === '"') run++;
        out += '"'.repeat(run - 3);
        this.pos += run;
        return out;
      }
      const c = this.peek();
      if (c === "\\") {
        this.pos++;
        const next = this.peek();
        if (next === " " || next === "\t" || next === "\n" || next === "\r") {
          // A line-ending backslash trims the line break and the blanks after it.
          while (/[ \t\r\n]/.test(this.peek())) this.advance();
          continue;
        }
        out += this.readEscape();
        continue;
      }
      out += c;
      this.advance();
    }
  }

  readLiteralString(): string {
    if (this.text.startsWith("'''", this.pos)) {
      const startLine = this.line;
      this.pos += 3;
      if (this.peek() === "\r" && this.peek(1) === "\n") this.pos++;
      if (this.peek() === "\n") this.advance();
      const end = this.text.indexOf("'''", this.pos);
      if (end < 0) this.fail("a ''' string is not closed", startLine);
      let close = end;
      while (this.text[close + 3] === "'") close++;
      const out = this.text.slice(this.pos, close);
      this.advance(close + 3 - this.pos);
      return out;
    }
    this.pos++;
    const end = this.text.indexOf("'", this.pos);
    const nl = this.text.indexOf("\n", this.pos);
    if (end < 0 || (nl >= 0 && nl < end)) this.fail("a string is not closed on its line");
    const out = this.text.slice(this.pos, end);
    this.pos = end + 1;
    return out;
  }

  readValue(): unknown {
    this.skipSpaces();
    const c = this.peek();
    if (c === '"') return this.readBasicString();
    if (c === "'") return this.readLiteralString();
    if (c === "[") return this.readArray();
    if (c === "{") return this.readInlineTable();
    const m = /^[^\s,\]}#]+/.exec(this.text.slice(this.pos, this.pos + 128));
    if (!m) return this.fail(c === "" || c === "\n" || c === "\r" ? "a value is missing" : `unexpected '${c}' where a value was expected`);
    const word = m[0];
    this.pos += word.length;
    if (word === "true") return true;
    if (word === "false") return false;
    if (/^[+-]?(?:0|[1-9](?:_?[0-9])*)$/.test(word)) return Number(word.replace(/_/g, ""));
    if (/^0x[0-9A-Fa-f](?:_?[0-9A-Fa-f])*$/.test(word)) return parseInt(word.slice(2).replace(/_/g, ""), 16);
    if (/^[+-]?(?:0|[1-9](?:_?[0-9])*)(?:\.[0-9](?:_?[0-9])*)?(?:[eE][+-]?[0-9](?:_?[0-9])*)?$/.test(word)) return Number(word.replace(/_/g, ""));
    if (/^[+-]?(?:inf|nan)$/.test(word)) return word.endsWith("nan") ? NaN : word.startsWith("-") ? -Infinity : Infinity;
    if (/^\d{4}-\d{2}-\d{2}/.test(word)) return this.fail("dates and times are not supported here");
    return this.fail(`'${word}' is not a TOML value (strings need quotes)`);
  }

  readArray(): unknown[] {
    this.pos++;
    const out: unknown[] = [];
    for (;;) {
      this.skipBlank();
      if (this.peek() === "]") {
        this.pos++;
        return out;
      }
      if (this.pos >= this.text.length) this.fail("an array is not closed");
      out.push(this.readValue());
      this.skipBlank();
      if (this.peek() === ",") this.pos++;
      else if (this.peek() !== "]") this.fail(`expected ',' or ']' in an array, found '${this.peek()}'`);
    }
  }

  readInlineTable(): TomlTable {
    const table = newTable(this.line);
    this.pos++;
    this.skipSpaces();
    if (this.peek() === "}") {
      this.pos++;
      return table;
    }
    for (;;) {
      const key = this.readKey();
      if (this.peek() !== "=") this.fail("expected '=' after a key");
      this.pos++;
      this.assign(table, key, this.readValue());
      this.skipSpaces();
      if (this.peek() === "}") {
        this.pos++;
        return table;
      }
      if (this.peek() !== ",") this.fail("expected ',' or '}' in an inline table");
      this.pos++;
    }
  }

  /** Sets a (dotted) key in a table, creating the intermediate tables. */
  assign(table: TomlTable, key: string[], value: unknown): void {
    let t = table;
    for (const part of key.slice(0, -1)) {
      const existing = t[part];
      if (existing === undefined) {
        const child = newTable(this.line);
        t[part] = child;
        positions.get(t)!.keys.set(part, this.line);
        t = child;
      } else if (isTable(existing)) t = existing;
      else this.fail(`'${part}' is already a value, not a table`);
    }
    const last = key[key.length - 1]!;
    if (Object.hasOwn(t, last)) this.fail(`'${key.join(".")}' is defined twice`);
    t[last] = value;
    positions.get(t)!.keys.set(last, this.line);
  }

  /** Finds (creating it) the table a header names; `[[...]]` appends a new table to an array. */
  openHeader(root: TomlTable, key: string[], isArray: boolean): TomlTable {
    let t = root;
    const line = this.line;
    for (let i = 0; i < key.length; i++) {
      const part = key[i]!;
      const last = i === key.length - 1;
      const existing = t[part];
      if (last && isArray) {
        if (existing === undefined) {
          const arr: unknown[] = [];
          this.tableArrays.add(arr);
          t[part] = arr;
        } else if (!Array.isArray(existing) || !this.tableArrays.has(existing)) this.fail(`'${key.join(".")}' is already defined and is not an array of tables`);
        const child = newTable(line);
        (t[part] as unknown[]).push(child);
        positions.get(t)!.keys.set(part, positions.get(t)!.keys.get(part) ?? line);
        return child;
      }
      if (existing === undefined) {
        const child = newTable(line);
        t[part] = child;
        positions.get(t)!.keys.set(part, line);
        t = child;
      } else if (Array.isArray(existing) && this.tableArrays.has(existing)) {
        t = existing[existing.length - 1] as TomlTable;
      } else if (isTable(existing)) {
        if (last && this.defined.has(existing)) this.fail(`table '${key.join(".")}' is defined twice`);
        t = existing;
      } else this.fail(`'${part}' is already a value, not a table`);
    }
    this.defined.add(t);
    positions.get(t)!.line = line;
    return t;
  }

  parse(): TomlTable {
    const root = newTable(1);
    let current = root;
    for (;;) {
      this.skipBlank();
      if (this.pos >= this.text.length) return root;
      if (this.peek() === "[") {
        const isArray = this.peek(1) === "[";
        this.pos += isArray ? 2 : 1;
        const key = this.readKey();
        if (this.peek() !== "]" || (isArray && this.peek(1) !== "]")) this.fail(`a table header is not closed with '${isArray ? "]]" : "]"}'`);
        this.pos += isArray ? 2 : 1;
        current = this.openHeader(root, key, isArray);
        this.endOfLine();
        continue;
      }
      const key = this.readKey();
      if (this.peek() !== "=") this.fail(`expected '=' after the key '${key.join(".")}'`);
      this.pos++;
      const line = this.line;
      const value = this.readValue();
      const saved = this.line;
      this.line = line;
      this.assign(current, key, value);
      this.line = saved;
      this.endOfLine();
    }
  }
}

/** Parses TOML text; throws TomlSyntaxError with the line of the first error. */
export function parseToml(text: string): TomlTable {
  return new Reader(text.startsWith("\ufeff") ? text.slice(1) : text).parse();
}

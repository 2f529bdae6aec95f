/**
 * Characters as XML 1.0 (fifth edition) classes them, for the reader in
 * xml-tokenizer.ts: white space, name characters, characters a reference
 * may stand for; and code point counts, for error columns.
 */

const NAME_START_OTHER = /[\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C-\u200D\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD]|[\uD800-\uDB7F][\uDC00-\uDFFF]/y;
const NAME_OTHER = /[\u0300-\u036F\u203F-\u2040\u00B7]/y;

export function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** Length (1 or 2 code units) of the name start character at `i`, or 0. */
export function measureNameStart(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if ((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || c === 0x3a) return 1;
  if (c < 0xc0) return 0;
  NAME_START_OTHER.lastIndex = i;
  return NAME_START_OTHER.test(text) ? NAME_START_OTHER.lastIndex - i : 0;
}

/** The index after the run of name characters starting at `i`. */
export function skipName(text: string, i: number): number {
  for (;;) {
    const c = text.charCodeAt(i);
    if ((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x3a) || c === 0x5f || c === 0x2d || c === 0x2e) {
      i++;
      continue;
    }
    if (c < 0xb7 || Number.isNaN(c)) return i;
    const start = measureNameStart(text, i);
    if (start > 0) i += start;
    else {
      NAME_OTHER.lastIndex = i;
      if (!NAME_OTHER.test(text)) return i;
      i++;
    }
  }
}

export function isName(text: string): boolean {
  return text !== "" && measureNameStart(text, 0) > 0 && skipName(text, 0) === text.length;
}

export function isXmlChar(n: number): boolean {
  return n === 0x9 || n === 0xa || n === 0xd || (n >= 0x20 && n <= 0xd7ff) || (n >= 0xe000 && n <= 0xfffd) || (n >= 0x10000 && n <= 0x10ffff);
}

/** The index after the character at `i` (a surrogate pair is one). */
export function skipCharacter(text: string, i: number): number {
  const c = text.charCodeAt(i);
  return c >= 0xd800 && c <= 0xdbff ? i + 2 : i + 1;
}

/** The index after the spaces starting at `i`. */
export function skipSpaces(text: string, i: number): number {
  while (isSpace(text.charCodeAt(i))) i++;
  return i;
}

/** Code points in text[from, to). */
export function countCodePoints(text: string, from: number, to: number): number {
  let n = to - from;
  for (let i = from; i < to - 1; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

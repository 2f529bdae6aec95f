/**
 * Positions in SQL text. libpg-query reports node and statement locations as
 * byte offsets into the UTF-8 encoding, and syntax errors as character
 * offsets; findings carry 1-based line and column (in characters).
 */

export interface SourceText {
  text: string;
  /** Line and column of a byte offset. */
  positionOfByte(offset: number): { line: number; col: number };
  /** Line and column of a 0-based code-point offset. */
  positionOfChar(offset: number): { line: number; col: number };
}

export function createSourceText(text: string): SourceText {
  const bytes = Buffer.from(text, "utf8");
  const ascii = bytes.length === text.length;
  const lineStarts: number[] = [0];
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === 0x0a) lineStarts.push(i + 1);

  function positionOfByte(offset: number) {
    const b = Math.max(0, Math.min(offset, bytes.length));
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= b) lo = mid;
      else hi = mid - 1;
    }
    const lineStart = lineStarts[lo]!;
    const col = ascii ? b - lineStart : countCodePoints(bytes.subarray(lineStart, b).toString("utf8"));
    return { line: lo + 1, col: col + 1 };
  }

  function positionOfChar(offset: number) {
    if (ascii) return positionOfByte(offset);
    let chars = 0;
    let byte = 0;
    for (const ch of text) {
      if (chars >= offset) break;
      byte += Buffer.byteLength(ch, "utf8");
      chars++;
    }
    return positionOfByte(byte);
  }

  return { text, positionOfByte, positionOfChar };
}

function countCodePoints(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) i++;
    n++;
  }
  return n;
}

/**
 * The byte offset of the first token at or after `offset`, skipping blanks,
 * `--` line comments and (nested) block comments. Statement locations may
 * point at the blank after the previous semicolon; findings point at the
 * statement's first word so ignore comments on the line above apply.
 */
export function skipBlanksAndComments(bytes: Buffer, offset: number): number {
  let i = offset;
  while (i < bytes.length) {
    const c = bytes[i]!;
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0c) {
      i++;
    } else if (c === 0x2d && bytes[i + 1] === 0x2d) {
      while (i < bytes.length && bytes[i] !== 0x0a) i++;
    } else if (c === 0x2f && bytes[i + 1] === 0x2a) {
      let depth = 1;
      i += 2;
      while (i < bytes.length && depth > 0) {
        if (bytes[i] === 0x2f && bytes[i + 1] === 0x2a) {
          depth++;
          i += 2;
        } else if (bytes[i] === 0x2a && bytes[i + 1] === 0x2f) {
          depth--;
          i += 2;
        } else i++;
      }
    } else break;
  }
  return i;
}

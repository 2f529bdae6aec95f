import type { SourcePosition } from "../../lib/index.js";

/**
 * Source offsets by JSON pointer, turned into file:line:col only when asked:
 * a large document has a position for every key, and few are ever shown.
 */
export class PositionIndex implements Iterable<[string, SourcePosition]> {
  private readonly lineStarts: number[] = [0];

  constructor(
    readonly file: string,
    text: string,
    private readonly offsets: Map<string, number>,
  ) {
    for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) this.lineStarts.push(i + 1);
  }

  get size(): number {
    return this.offsets.size;
  }

  get(pointer: string): SourcePosition | undefined {
    const offset = this.offsets.get(pointer);
    return offset === undefined ? undefined : this.at(offset);
  }

  /** The 1-based line and column of a character offset. */
  at(offset: number): SourcePosition {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { file: this.file, line: lo + 1, col: offset - this.lineStarts[lo]! + 1 };
  }

  *[Symbol.iterator](): Iterator<[string, SourcePosition]> {
    for (const [pointer, offset] of this.offsets) yield [pointer, this.at(offset)];
  }
}

interface Frame {
  pointer: string;
  array: boolean;
  /** Arrays: the index of the next item; objects: unused. */
  index: number;
  /** Arrays: the next value starts an item; objects: the next string is a key. */
  awaiting: boolean;
  /** Objects: the pointer of the value after the last key. */
  next: string;
}

function escapeSegment(key: string): string {
  return key.replace(/~/g, "~0").replace(/\//g, "~1");
}

/**
 * The offset of every key (and array item) of a JSON text that JSON.parse accepted,
 * by JSON pointer, in one pass without building a syntax tree.
 */
export function recordJsonOffsets(text: string): Map<string, number> {
  const out = new Map<string, number>();
  const stack: Frame[] = [];
  const at = (i: number): number => i;
  /** Records where a value starts and returns its pointer. */
  const startValue = (i: number): string => {
    const top = stack[stack.length - 1];
    if (!top) {
      if (!out.has("")) out.set("", at(i));
      return "";
    }
    if (top.array) {
      const pointer = `${top.pointer}/${top.index}`;
      if (top.awaiting) out.set(pointer, at(i));
      top.awaiting = false;
      return pointer;
    }
    return top.next;
  };
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || c === 32 || c === 9 || c === 13 || c === 58) {
      continue;
    } else if (c === 34) {
      let j = i + 1;
      let escaped = false;
      while (j < n) {
        const d = text.charCodeAt(j);
        if (d === 92) {
          escaped = true;
          j += 2;
          continue;
        }
        if (d === 34) break;
        j++;
      }
      const top = stack[stack.length - 1];
      if (top && !top.array && top.awaiting) {
        const raw = text.slice(i + 1, j);
        const key = escaped ? (JSON.parse(`"${raw}"`) as string) : raw;
        top.next = `${top.pointer}/${escapeSegment(key)}`;
        top.awaiting = false;
        out.set(top.next, at(i));
      } else startValue(i);
      i = j;
    } else if (c === 123 || c === 91) {
      const pointer = startValue(i);
      stack.push({ pointer, array: c === 91, index: 0, awaiting: true, next: pointer });
    } else if (c === 125 || c === 93) {
      stack.pop();
    } else if (c === 44) {
      const top = stack[stack.length - 1];
      if (top) {
        top.awaiting = true;
        if (top.array) top.index++;
      }
    } else {
      startValue(i);
      while (i + 1 < n && !isDelimiter(text.charCodeAt(i + 1))) i++;
    }
  }
  return out;
}

function isDelimiter(c: number): boolean {
  return c === 44 || c === 125 || c === 93 || c === 32 || c === 10 || c === 13 || c === 9;
}

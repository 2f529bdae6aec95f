/**
 * Secret masking: every occurrence of a registered value is replaced by `***`
 * before text is logged, stored or sent.
 *
 * Rules (GitHub's runner masks any non-empty value; we follow it with one
 * deliberate exception):
 * - empty and whitespace-only values are ignored: masking them would blank
 *   out every space or line break of the log while protecting nothing;
 * - every other value is masked, however short — leaking a short secret is
 *   worse than an over-masked log, and it is what GitHub does;
 * - a multi-line value is registered as a whole and line by line (each line
 *   without its trailing `\r`, skipping whitespace-only lines), because logs
 *   are emitted one line at a time;
 * - overlapping occurrences of different values are masked as one `***`.
 */
const MASK = "***";

export interface Masker {
  /** Replaces every registered value in `text` by `***`. */
  mask(text: string): string;
  /** Registers another value (e.g. from `::add-mask::`). */
  add(value: string): void;
  /** Whether any value is registered. */
  readonly size: number;
  /** Length of the longest registered value. */
  readonly longest: number;
  /**
   * A streaming masker for text arriving in chunks: `write` returns the part
   * of the text that can no longer be the start of a value split across
   * chunks (masked), `end` returns the rest (masked). Holds back only a
   * tail that could begin a value (at most `longest - 1` characters).
   */
  createStream(): MaskingStream;
}

interface MaskingStream {
  write(chunk: string): string;
  end(): string;
}

export function createMasker(secrets: Iterable<string> = []): Masker {
  const values = new Set<string>();
  let sorted: string[] = [];
  let longest = 0;

  function register(value: string): void {
    if (value.trim() === "" || values.has(value)) return;
    values.add(value);
    longest = Math.max(longest, value.length);
    sorted = [...values].sort((a, b) => b.length - a.length);
  }

  function add(value: string): void {
    if (typeof value !== "string") return;
    register(value);
    if (value.includes("\n") || value.includes("\r")) {
      for (const line of value.split(/\r?\n|\r/)) register(line);
    }
  }

  /** Merged [start, end) ranges of every occurrence of every value in `text`. */
  function findRanges(text: string): [number, number][] {
    const ranges: [number, number][] = [];
    for (const value of sorted) {
      let from = 0;
      for (;;) {
        const at = text.indexOf(value, from);
        if (at < 0) break;
        ranges.push([at, at + value.length]);
        from = at + 1;
      }
    }
    if (ranges.length <= 1) return ranges;
    ranges.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
    const merged: [number, number][] = [ranges[0]!];
    for (let i = 1; i < ranges.length; i++) {
      const last = merged[merged.length - 1]!;
      const r = ranges[i]!;
      if (r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
      else merged.push(r);
    }
    return merged;
  }

  function replaceRanges(text: string, ranges: [number, number][], until = text.length): string {
    let out = "";
    let pos = 0;
    for (const [start, end] of ranges) {
      if (start >= until) break;
      out += text.slice(pos, start) + MASK;
      pos = end;
    }
    return out + text.slice(pos, Math.max(pos, until));
  }

  function mask(text: string): string {
    if (sorted.length === 0 || text === "") return text;
    return replaceRanges(text, findRanges(text));
  }

  /** Length of the longest suffix of `text` that is a proper prefix of a registered value. */
  function pendingPrefixLength(text: string): number {
    for (let k = Math.min(longest - 1, text.length); k > 0; k--) {
      const suffix = text.slice(text.length - k);
      if (sorted.some((v) => v.length > k && v.startsWith(suffix))) return k;
    }
    return 0;
  }

  function createStream(): MaskingStream {
    let buffer = "";
    return {
      write(chunk: string): string {
        buffer += chunk;
        if (sorted.length === 0) {
          const out = buffer;
          buffer = "";
          return out;
        }
        // A value not yet complete in the buffer can only start in a suffix
        // of it that is a proper prefix of some value; everything before is final.
        const ranges = findRanges(buffer);
        let cut = buffer.length - pendingPrefixLength(buffer);
        for (const [start, end] of ranges) {
          if (start < cut && end > cut) cut = end;
        }
        const out = replaceRanges(buffer, ranges.filter(([start]) => start < cut), cut);
        buffer = buffer.slice(cut);
        return out;
      },
      end(): string {
        const out = mask(buffer);
        buffer = "";
        return out;
      },
    };
  }

  for (const s of secrets) add(s);

  return {
    mask,
    add,
    createStream,
    get size() {
      return values.size;
    },
    get longest() {
      return longest;
    },
  };
}

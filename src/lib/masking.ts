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
 * - overlapping occurrences of different values are masked as one `***`;
 * - each value (and each line of a multi-line value) is also masked in the
 *   forms a step commonly prints it in: URL-encoded (`encodeURIComponent`,
 *   and form-encoding with `+` for a space), JSON-escaped (the inside of
 *   `JSON.stringify`) and base64 (see `listBase64Forms`). An encoded form
 *   shorter than `MIN_ENCODED_LENGTH` is not registered: the value itself
 *   is still masked, but a two-character base64 fragment would eat ordinary
 *   output while protecting nothing (GitHub's runner keeps the same floor
 *   for its trimmed base64 forms).
 */
const MASK = "***";

/** The shortest encoded form of a value that is registered for masking. */
const MIN_ENCODED_LENGTH = 4;

const BASE64_DIGITS = /^[A-Za-z0-9+/]*$/;

/**
 * The base64 forms of a value, as they can appear inside a longer base64
 * text (GitHub's runner registers the same set): base64 groups 3 bytes into
 * 4 digits, so the value's bytes start on a digit boundary only if the text
 * before it is 3k bytes long; for 3k+1 and 3k+2 the first one or two bytes
 * share digits with what precedes them, and the rest is the encoding of the
 * value without them. Padding is dropped (it carries nothing, and some
 * encoders omit it); when there was padding, the last digit also holds bits
 * of whatever follows the value, so the form without that digit is
 * registered too. Each form is registered in the standard and the URL-safe
 * (`-`, `_`) alphabets.
 */
export function listBase64Forms(value: string): string[] {
  const bytes = Buffer.from(value, "utf8");
  const forms = new Set<string>();
  for (let offset = 0; offset <= 2 && offset < bytes.length; offset++) {
    const full = bytes.subarray(offset).toString("base64");
    const unpadded = full.replace(/=+$/, "");
    const candidates = [unpadded];
    if (unpadded.length < full.length) candidates.push(unpadded.slice(0, -1));
    for (const form of candidates) {
      if (!BASE64_DIGITS.test(form)) continue;
      forms.add(form);
      forms.add(form.replace(/\+/g, "-").replace(/\//g, "_"));
    }
  }
  return [...forms];
}

/** Every encoded form of `value` that is masked along with it (the value itself excluded). */
function listEncodedForms(value: string): string[] {
  const uri = encodeURIComponent(value);
  const forms = [
    uri,
    uri.replace(/%20/g, "+"),
    new URLSearchParams([["", value]]).toString().slice(1),
    JSON.stringify(value).slice(1, -1),
    ...listBase64Forms(value),
  ];
  return [...new Set(forms)].filter((f) => f !== value && f.length >= MIN_ENCODED_LENGTH);
}

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
  /** Values registered, and every form masked (values and their encodings). */
  const registered = new Set<string>();
  const values = new Set<string>();
  let sorted: string[] = [];
  let longest = 0;

  function register(value: string): void {
    if (value.trim() === "" || registered.has(value)) return;
    registered.add(value);
    for (const form of [value, ...listEncodedForms(value)]) {
      values.add(form);
      longest = Math.max(longest, form.length);
    }
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
      return registered.size;
    },
    get longest() {
      return longest;
    },
  };
}

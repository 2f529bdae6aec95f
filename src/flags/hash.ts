/**
 * Bucketing hashes for `fractional`: MurmurHash3 x86 32-bit with seed 0 over
 * UTF-8 bytes (flagd hashes bytes, not UTF-16 code units), and the RFC 8949
 * core-deterministic CBOR encoding that fractional v3 hashes.
 */

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/** MurmurHash3 x86_32 (seed 0) of `bytes[0..length)`, as an unsigned 32-bit integer. */
export function hashBytes(bytes: Uint8Array, length: number = bytes.length): number {
  let h = 0;
  const blocks = length & ~3;
  let i = 0;
  for (; i < blocks; i += 4) {
    let k = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = length & 3;
  if (tail > 0) {
    let k = 0;
    if (tail === 3) k ^= bytes[i + 2]! << 16;
    if (tail >= 2) k ^= bytes[i + 1]! << 8;
    k ^= bytes[i]!;
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
  }
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const encoder = new TextEncoder();
let scratch = new Uint8Array(256);

function ensureScratch(size: number): Uint8Array {
  if (scratch.length < size) scratch = new Uint8Array(Math.max(size, scratch.length * 2));
  return scratch;
}

/** MurmurHash3 of a string's UTF-8 bytes; ASCII strings are hashed without encoding. */
export function hashString(text: string): number {
  const n = text.length;
  const buf = ensureScratch(n * 3);
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7f) return hashBytes(buf, encoder.encodeInto(text, buf).written);
    buf[i] = c;
  }
  return hashBytes(buf, n);
}

/** MurmurHash3 of the UTF-8 bytes of `first + second`, without building the joined string for ASCII input. */
export function hashStringPair(first: string, second: string): number {
  const a = first.length;
  const n = a + second.length;
  const buf = ensureScratch(n * 3);
  for (let i = 0; i < a; i++) {
    const c = first.charCodeAt(i);
    if (c > 0x7f) return hashString(first + second);
    buf[i] = c;
  }
  for (let i = a; i < n; i++) {
    const c = second.charCodeAt(i - a);
    if (c > 0x7f) return hashString(first + second);
    buf[i] = c;
  }
  return hashBytes(buf, n);
}

/**
 * Picks the bucket for hash `h` over integer `weights` summing to `total`:
 * the first index whose cumulative weight exceeds `(h × total) >> 32`. The
 * product is split in 16-bit halves so it stays exact in doubles.
 */
export function pickBucket(h: number, weights: ArrayLike<number>, total: number): number {
  const point = Math.floor(((h >>> 16) * total + Math.floor(((h & 0xffff) * total) / 65536)) / 65536);
  let sum = 0;
  for (let i = 0; i < weights.length; i++) {
    sum += weights[i]!;
    if (point < sum) return i;
  }
  return -1;
}

// ---- deterministic CBOR (RFC 8949 §4.2.1) with flagd's number normalisation

class ByteWriter {
  bytes = new Uint8Array(64);
  length = 0;
  reserve(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    const next = new Uint8Array(Math.max(this.bytes.length * 2, this.length + n));
    next.set(this.bytes.subarray(0, this.length));
    this.bytes = next;
  }
  byte(b: number): void {
    this.reserve(1);
    this.bytes[this.length++] = b;
  }
  head(major: number, value: number): void {
    const m = major << 5;
    if (value < 24) this.byte(m | value);
    else if (value < 0x100) {
      this.byte(m | 24);
      this.byte(value);
    } else if (value < 0x10000) {
      this.byte(m | 25);
      this.byte(value >>> 8);
      this.byte(value & 0xff);
    } else if (value < 0x100000000) {
      this.byte(m | 26);
      for (let s = 24; s >= 0; s -= 8) this.byte((value >>> s) & 0xff);
    } else {
      this.byte(m | 27);
      let big = BigInt(value);
      const out: number[] = [];
      for (let i = 0; i < 8; i++) {
        out.unshift(Number(big & 0xffn));
        big >>= 8n;
      }
      for (const b of out) this.byte(b);
    }
  }
  text(value: string): void {
    const n = value.length;
    let ascii = true;
    for (let i = 0; i < n; i++) {
      if (value.charCodeAt(i) > 0x7f) {
        ascii = false;
        break;
      }
    }
    if (!ascii) {
      const body = encoder.encode(value);
      this.head(3, body.length);
      this.raw(body);
      return;
    }
    this.head(3, n);
    this.reserve(n);
    const b = this.bytes;
    let at = this.length;
    for (let i = 0; i < n; i++) b[at++] = value.charCodeAt(i);
    this.length = at;
  }
  raw(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.bytes.set(bytes, this.length);
    this.length += bytes.length;
  }
}

const f16 = new DataView(new ArrayBuffer(8));

function float16Bits(x: number): number | undefined {
  // Exact half-precision representation, or undefined.
  if (Number.isNaN(x)) return 0x7e00;
  if (x === Infinity) return 0x7c00;
  if (x === -Infinity) return 0xfc00;
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a === 0) return sign;
  let exp = Math.floor(Math.log2(a));
  if (a / 2 ** exp >= 2) exp++;
  else if (a / 2 ** exp < 1) exp--;
  if (exp >= -14 && exp <= 15) {
    const m = (a / 2 ** exp - 1) * 1024;
    if (!Number.isInteger(m)) return undefined;
    return sign | ((exp + 15) << 10) | m;
  }
  if (exp < -14 && exp >= -24) {
    const m = a / 2 ** -24;
    if (!Number.isInteger(m)) return undefined;
    return sign | m;
  }
  return undefined;
}

function writeFloat(w: ByteWriter, x: number): void {
  const half = float16Bits(x);
  if (half !== undefined) {
    w.byte(0xf9);
    w.byte(half >>> 8);
    w.byte(half & 0xff);
    return;
  }
  if (Math.fround(x) === x) {
    f16.setFloat32(0, x);
    w.byte(0xfa);
    for (let i = 0; i < 4; i++) w.byte(f16.getUint8(i));
    return;
  }
  f16.setFloat64(0, x);
  w.byte(0xfb);
  for (let i = 0; i < 8; i++) w.byte(f16.getUint8(i));
}

function writeValue(w: ByteWriter, value: unknown): void {
  if (value === null || value === undefined) return w.byte(0xf6);
  if (value === true) return w.byte(0xf5);
  if (value === false) return w.byte(0xf4);
  if (typeof value === "string") return w.text(value);
  if (typeof value === "number") {
    if (Number.isInteger(value) && value >= -(2 ** 63) && value <= 2 ** 64 - 1) {
      if (value >= 0) w.head(0, value);
      else w.head(1, -1 - value);
      return;
    }
    return writeFloat(w, value);
  }
  if (Array.isArray(value)) {
    w.head(4, value.length);
    for (const item of value) writeValue(w, item);
    return;
  }
  if (typeof value === "object") {
    const entries: Uint8Array[] = [];
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const kw = new ByteWriter();
      writeValue(kw, k);
      const keyLen = kw.length;
      writeValue(kw, v);
      const entry = kw.bytes.slice(0, kw.length);
      entries.push(entry);
      (entry as Uint8Array & { keyLen?: number }).keyLen = keyLen;
    }
    entries.sort((a, b) => compareKeys(a, (a as { keyLen?: number }).keyLen!, b, (b as { keyLen?: number }).keyLen!));
    w.head(5, entries.length);
    for (const e of entries) w.raw(e);
    return;
  }
  // Other JavaScript values (functions, symbols, bigints) are not JSON.
  w.byte(0xf6);
}

function compareKeys(a: Uint8Array, al: number, b: Uint8Array, bl: number): number {
  const n = Math.min(al, bl);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return al - bl;
}

/** The deterministic CBOR encoding of a JSON value (a fresh copy). */
export function encodeCbor(value: unknown): Uint8Array {
  const w = new ByteWriter();
  writeValue(w, value);
  return w.bytes.slice(0, w.length);
}

const pairWriter = new ByteWriter();

/** MurmurHash3 of the CBOR encoding of `value`. */
export function hashCbor(value: unknown): number {
  pairWriter.length = 0;
  writeValue(pairWriter, value);
  return hashBytes(pairWriter.bytes, pairWriter.length);
}

/** Writes an ASCII string as a CBOR text string at `at`; -1 when it is not ASCII or too long for this fast path. */
function writeAsciiText(buf: Uint8Array, at: number, text: string): number {
  const n = text.length;
  if (n < 24) buf[at++] = 0x60 | n;
  else if (n < 0x100) {
    buf[at++] = 0x78;
    buf[at++] = n;
  } else if (n < 0x10000) {
    buf[at++] = 0x79;
    buf[at++] = n >>> 8;
    buf[at++] = n & 0xff;
  } else return -1;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7f) return -1;
    buf[at++] = c;
  }
  return at;
}

/** MurmurHash3 of the CBOR array `[first, second]` of two strings (fractional v3's default key). */
export function hashCborPair(first: string, second: string): number {
  const buf = ensureScratch(first.length + second.length + 8);
  buf[0] = 0x82;
  let at = writeAsciiText(buf, 1, first);
  if (at > 0) at = writeAsciiText(buf, at, second);
  if (at > 0) return hashBytes(buf, at);
  pairWriter.length = 0;
  pairWriter.byte(0x82);
  pairWriter.text(first);
  pairWriter.text(second);
  return hashBytes(pairWriter.bytes, pairWriter.length);
}

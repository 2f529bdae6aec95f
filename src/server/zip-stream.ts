/**
 * A store-only (uncompressed) zip written on the fly: each file is read once,
 * its CRC-32 computed while it streams, and its CRC and sizes written in a
 * data descriptor after it, so nothing is buffered whole.
 *
 * Zip64 is used where the classic format runs out: a file of 4 GiB or more
 * (known from its size before it is read) gets a zip64 local header and an
 * 8-byte data descriptor; an entry whose offset passes 4 GiB gets a zip64
 * field in the central directory; more than 65,534 entries or a directory
 * past 4 GiB adds the zip64 end records. Small archives stay classic zips.
 * A file that grows past 4 GiB while it is read fails the stream.
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { Readable } from "node:stream";
import zlib from "node:zlib";

export interface ZipEntry {
  /** Name inside the archive, `/`-separated. */
  name: string;
  /** Absolute path of the file to read. */
  source: string;
}

export interface ZipOptions {
  /** Write zip64 records for every entry and the end of the archive, whatever their sizes. */
  forceZip64?: boolean;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 of `data` continuing from `crc`; zlib's native one where Node has it. */
export const updateCrc32: (crc: number, data: Buffer) => number =
  typeof (zlib as { crc32?: unknown }).crc32 === "function"
    ? (crc, data) => (zlib as unknown as { crc32(data: Buffer, value: number): number }).crc32(data, crc)
    : (crc, data) => {
        let c = ~crc >>> 0;
        for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
        return ~c >>> 0;
      };

function dosDateTime(date: Date): { time: number; date: number } {
  const year = Math.max(1980, date.getUTCFullYear());
  return {
    time: (date.getUTCHours() << 11) | (date.getUTCMinutes() << 5) | Math.floor(date.getUTCSeconds() / 2),
    date: ((year - 1980) << 9) | ((date.getUTCMonth() + 1) << 5) | date.getUTCDate(),
  };
}

const MAX32 = 0xffffffff;
const MAX16 = 0xffff;
/** Sizes follow in a data descriptor; names are UTF-8. */
const FLAGS = 0x0008 | 0x0800;
const VERSION = 20;
const VERSION_ZIP64 = 45;
const ZIP64_EXTRA = 0x0001;

/** The zip64 extended-information extra field holding `values` (8 bytes each). */
function zip64Extra(values: number[]): Buffer {
  const extra = Buffer.alloc(4 + 8 * values.length);
  extra.writeUInt16LE(ZIP64_EXTRA, 0);
  extra.writeUInt16LE(8 * values.length, 2);
  values.forEach((v, i) => extra.writeBigUInt64LE(BigInt(v), 4 + 8 * i));
  return extra;
}

/** A readable zip of `entries`, in order. */
export function createZipStream(entries: ZipEntry[], modified: Date = new Date(), options: ZipOptions = {}): Readable {
  const { time, date } = dosDateTime(modified);
  const force = options.forceZip64 === true;
  async function* generate(): AsyncGenerator<Buffer> {
    const central: Buffer[] = [];
    let offset = 0;
    for (const entry of entries) {
      const name = Buffer.from(entry.name, "utf8");
      const expected = (await stat(entry.source)).size;
      // Decided before the data is written: the local header and the descriptor must agree.
      const large = force || expected >= MAX32;
      const localExtra = large ? zip64Extra([0, 0]) : Buffer.alloc(0);
      const local = Buffer.alloc(30);
      local.writeUInt32LE(0x04034b50, 0);
      local.writeUInt16LE(large ? VERSION_ZIP64 : VERSION, 4);
      local.writeUInt16LE(FLAGS, 6);
      local.writeUInt16LE(0, 8);
      local.writeUInt16LE(time, 10);
      local.writeUInt16LE(date, 12);
      if (large) {
        local.writeUInt32LE(MAX32, 18);
        local.writeUInt32LE(MAX32, 22);
      }
      local.writeUInt16LE(name.length, 26);
      local.writeUInt16LE(localExtra.length, 28);
      const headerOffset = offset;
      yield local;
      yield name;
      if (localExtra.length > 0) yield localExtra;
      offset += local.length + name.length + localExtra.length;
      let crc = 0;
      let size = 0;
      for await (const chunk of createReadStream(entry.source)) {
        const b = chunk as Buffer;
        crc = updateCrc32(crc, b);
        size += b.length;
        yield b;
      }
      if (!large && size >= MAX32) {
        throw new Error(`${entry.name} grew past 4 GiB while it was being zipped`);
      }
      offset += size;
      const descriptor = Buffer.alloc(large ? 24 : 16);
      descriptor.writeUInt32LE(0x08074b50, 0);
      descriptor.writeUInt32LE(crc, 4);
      if (large) {
        descriptor.writeBigUInt64LE(BigInt(size), 8);
        descriptor.writeBigUInt64LE(BigInt(size), 16);
      } else {
        descriptor.writeUInt32LE(size, 8);
        descriptor.writeUInt32LE(size, 12);
      }
      yield descriptor;
      offset += descriptor.length;

      // Central directory: 0xFFFFFFFF marks each value moved into the zip64 field, in the spec's order.
      const wide: number[] = [];
      const sizeField = large || size >= MAX32 ? MAX32 : size;
      if (sizeField === MAX32) wide.push(size, size);
      const offsetField = force || headerOffset >= MAX32 ? MAX32 : headerOffset;
      if (offsetField === MAX32) wide.push(headerOffset);
      const extra = wide.length > 0 ? zip64Extra(wide) : Buffer.alloc(0);
      const header = Buffer.alloc(46);
      header.writeUInt32LE(0x02014b50, 0);
      header.writeUInt16LE((3 << 8) | (extra.length > 0 ? VERSION_ZIP64 : VERSION), 4);
      header.writeUInt16LE(extra.length > 0 || large ? VERSION_ZIP64 : VERSION, 6);
      header.writeUInt16LE(FLAGS, 8);
      header.writeUInt16LE(0, 10);
      header.writeUInt16LE(time, 12);
      header.writeUInt16LE(date, 14);
      header.writeUInt32LE(crc, 16);
      header.writeUInt32LE(sizeField, 20);
      header.writeUInt32LE(sizeField, 24);
      header.writeUInt16LE(name.length, 28);
      header.writeUInt16LE(extra.length, 30);
      // Unix mode rw-r--r-- for a regular file in the external attributes.
      header.writeUInt32LE((0o100644 << 16) >>> 0, 38);
      header.writeUInt32LE(offsetField, 42);
      central.push(header, name, extra);
    }
    const directory = Buffer.concat(central);
    const directoryOffset = offset;
    yield directory;
    const zip64End = force || entries.length >= MAX16 || directory.length >= MAX32 || directoryOffset >= MAX32;
    if (zip64End) {
      const record = Buffer.alloc(56);
      record.writeUInt32LE(0x06064b50, 0);
      record.writeBigUInt64LE(44n, 4);
      record.writeUInt16LE((3 << 8) | VERSION_ZIP64, 12);
      record.writeUInt16LE(VERSION_ZIP64, 14);
      record.writeBigUInt64LE(BigInt(entries.length), 24);
      record.writeBigUInt64LE(BigInt(entries.length), 32);
      record.writeBigUInt64LE(BigInt(directory.length), 40);
      record.writeBigUInt64LE(BigInt(directoryOffset), 48);
      const locator = Buffer.alloc(20);
      locator.writeUInt32LE(0x07064b50, 0);
      locator.writeBigUInt64LE(BigInt(directoryOffset + directory.length), 8);
      locator.writeUInt32LE(1, 16);
      yield record;
      yield locator;
    }
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(zip64End ? MAX16 : entries.length, 8);
    end.writeUInt16LE(zip64End ? MAX16 : entries.length, 10);
    end.writeUInt32LE(zip64End ? MAX32 : directory.length, 12);
    end.writeUInt32LE(zip64End ? MAX32 : directoryOffset, 16);
    yield end;
  }
  return Readable.from(generate(), { objectMode: false });
}

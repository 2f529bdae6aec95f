/**
 * A store-only (uncompressed) zip written on the fly: each file is read once,
 * its CRC-32 computed while it streams, and its sizes written in a data
 * descriptor after it, so nothing is buffered whole. Files and archives are
 * limited to 4 GiB each (no zip64).
 */
import { createReadStream } from "node:fs";
import { Readable } from "node:stream";

export interface ZipEntry {
  /** Name inside the archive, `/`-separated. */
  name: string;
  /** Absolute path of the file to read. */
  source: string;
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

export function updateCrc32(crc: number, data: Buffer): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

function dosDateTime(date: Date): { time: number; date: number } {
  const year = Math.max(1980, date.getUTCFullYear());
  return {
    time: (date.getUTCHours() << 11) | (date.getUTCMinutes() << 5) | Math.floor(date.getUTCSeconds() / 2),
    date: ((year - 1980) << 9) | ((date.getUTCMonth() + 1) << 5) | date.getUTCDate(),
  };
}

const LIMIT = 0xffffffff;
/** Sizes follow in a data descriptor; names are UTF-8. */
const FLAGS = 0x0008 | 0x0800;

/** A readable zip of `entries`, in order; fails if a file or the archive passes 4 GiB. */
export function createZipStream(entries: ZipEntry[], modified: Date = new Date()): Readable {
  const { time, date } = dosDateTime(modified);
  async function* generate(): AsyncGenerator<Buffer> {
    const central: Buffer[] = [];
    let offset = 0;
    for (const entry of entries) {
      const name = Buffer.from(entry.name, "utf8");
      const local = Buffer.alloc(30);
      local.writeUInt32LE(0x04034b50, 0);
      local.writeUInt16LE(20, 4);
      local.writeUInt16LE(FLAGS, 6);
      local.writeUInt16LE(0, 8);
      local.writeUInt16LE(time, 10);
      local.writeUInt16LE(date, 12);
      local.writeUInt16LE(name.length, 26);
      const headerOffset = offset;
      yield local;
      yield name;
      offset += local.length + name.length;
      let crc = 0;
      let size = 0;
      for await (const chunk of createReadStream(entry.source)) {
        const b = chunk as Buffer;
        crc = updateCrc32(crc, b);
        size += b.length;
        if (size > LIMIT) throw new Error(`${entry.name} is larger than a zip without zip64 holds`);
        yield b;
      }
      offset += size;
      const descriptor = Buffer.alloc(16);
      descriptor.writeUInt32LE(0x08074b50, 0);
      descriptor.writeUInt32LE(crc, 4);
      descriptor.writeUInt32LE(size, 8);
      descriptor.writeUInt32LE(size, 12);
      yield descriptor;
      offset += descriptor.length;
      if (offset > LIMIT) throw new Error("the archive is larger than a zip without zip64 holds");
      const header = Buffer.alloc(46);
      header.writeUInt32LE(0x02014b50, 0);
      header.writeUInt16LE((3 << 8) | 20, 4);
      header.writeUInt16LE(20, 6);
      header.writeUInt16LE(FLAGS, 8);
      header.writeUInt16LE(0, 10);
      header.writeUInt16LE(time, 12);
      header.writeUInt16LE(date, 14);
      header.writeUInt32LE(crc, 16);
      header.writeUInt32LE(size, 20);
      header.writeUInt32LE(size, 24);
      header.writeUInt16LE(name.length, 28);
      // Unix mode rw-r--r-- for a regular file in the external attributes.
      header.writeUInt32LE((0o100644 << 16) >>> 0, 38);
      header.writeUInt32LE(headerOffset, 42);
      central.push(header, name);
    }
    const directory = Buffer.concat(central);
    yield directory;
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(entries.length, 8);
    end.writeUInt16LE(entries.length, 10);
    end.writeUInt32LE(directory.length, 12);
    end.writeUInt32LE(offset, 16);
    yield end;
  }
  return Readable.from(generate(), { objectMode: false });
}

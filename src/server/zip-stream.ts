/**
 * Artifact downloads as store-only (uncompressed) zips written on the fly
 * with `yazl`: each file is read once when its turn comes, its CRC-32
 * computed while it streams and written in a data descriptor after it, so
 * nothing is buffered whole.
 *
 * yazl uses zip64 where the classic format runs out (a file of 4 GiB or
 * more, an offset past 4 GiB, 65,535 entries or more, a directory past
 * 4 GiB) and keeps small archives classic zips. A file whose size changes
 * between listing and reading fails the stream.
 */
import type { Readable } from "node:stream";
import { ZipFile } from "yazl";

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

/** A readable zip of `entries`, in order, each dated `modified`. */
export function createZipStream(entries: ZipEntry[], modified: Date = new Date(), options: ZipOptions = {}): Readable {
  const zip = new ZipFile();
  const forceZip64Format = options.forceZip64 === true;
  const output = zip.outputStream;
  // A file that cannot be read (or changed size) ends the download with an error instead of a truncated zip.
  zip.on("error", (error: Error) => output.destroy(error));
  // DOS timestamps only: no extra fields, so an entry's data starts right after its name.
  for (const entry of entries) zip.addFile(entry.source, entry.name, { compress: false, mtime: modified, forceDosTimestamp: true, forceZip64Format });
  zip.end({ forceZip64Format });
  return output;
}

/**
 * Files the server keeps in its data dir: artifacts under
 * `artifacts/<run id>/<upload id>/files/...` and cache archives under
 * `caches/<repository id>/<name>.tar`. Writes are streamed with a byte limit
 * and never held in memory whole; a write that fails or exceeds its limit
 * leaves no file behind.
 */
import { createWriteStream } from "node:fs";
import { mkdir, readdir, rm, stat } from "node:fs/promises";
import path from "node:path";
import { Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { SlipwayError } from "../lib/index.js";

export interface BlobStorage {
  readonly root: string;
  /** The absolute path of a `/`-separated path relative to the root; throws on one leaving it. */
  resolve(relative: string): string;
  /** Streams `source` into the file, failing with QUOTA_EXCEEDED past `maxBytes`; returns the bytes written. */
  write(source: Readable, relative: string, maxBytes: number, what: string): Promise<number>;
  remove(relative: string): Promise<void>;
}

/** Files below a directory, `/`-separated and sorted, with their sizes. */
export async function listFiles(dir: string): Promise<Array<{ path: string; size: number }>> {
  const out: Array<{ path: string; size: number }> = [];
  const walk = async (d: string, rel: string): Promise<void> => {
    let names: string[];
    try {
      names = (await readdir(d)).sort();
    } catch {
      return;
    }
    for (const n of names) {
      const full = path.join(d, n);
      const r = rel ? `${rel}/${n}` : n;
      const s = await stat(full);
      if (s.isDirectory()) await walk(full, r);
      else if (s.isFile()) out.push({ path: r, size: s.size });
    }
  };
  await walk(dir, "");
  return out;
}

export function quotaExceeded(what: string, maxBytes: number): SlipwayError {
  return new SlipwayError("QUOTA_EXCEEDED", `${what} is larger than the ${maxBytes} bytes the server accepts`);
}

/** Counts bytes flowing through and fails once they pass `maxBytes`. */
function limitBytes(maxBytes: number, what: string, counter: { bytes: number }): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      counter.bytes += chunk.length;
      if (counter.bytes > maxBytes) done(quotaExceeded(what, maxBytes));
      else done(null, chunk);
    },
  });
}

export function createBlobStorage(root: string): BlobStorage {
  const base = path.resolve(root);
  const resolve = (relative: string): string => {
    const full = path.resolve(base, ...relative.split("/"));
    if (full !== base && !full.startsWith(base + path.sep)) throw new Error(`blob path ${relative} leaves the data dir`);
    return full;
  };
  return {
    root: base,
    resolve,
    async write(source, relative, maxBytes, what) {
      const target = resolve(relative);
      await mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
      const counter = { bytes: 0 };
      const limiter = limitBytes(maxBytes, what, counter);
      // The source is piped by hand so that a refused upload is drained rather than destroyed:
      // the client then still reads the answer saying why.
      const onSourceError = (error: Error) => limiter.destroy(error);
      const onSourceAborted = () => limiter.destroy(new Error("the upload was interrupted"));
      source.on("error", onSourceError);
      source.on("aborted", onSourceAborted);
      source.pipe(limiter);
      try {
        await pipeline(limiter, createWriteStream(target, { mode: 0o600 }));
      } catch (error) {
        source.unpipe(limiter);
        source.resume();
        await rm(target, { force: true });
        throw error;
      } finally {
        source.off("error", onSourceError);
        source.off("aborted", onSourceAborted);
      }
      return counter.bytes;
    },
    async remove(relative) {
      await rm(resolve(relative), { recursive: true, force: true });
    },
  };
}

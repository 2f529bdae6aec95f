/** The part of yazl's API the artifact and log downloads use (the package ships no types). */
declare module "yazl" {
  import type { EventEmitter } from "node:events";
  import type { Readable } from "node:stream";

  export interface EntryOptions {
    mtime?: Date;
    mode?: number;
    compress?: boolean;
    forceDosTimestamp?: boolean;
    forceZip64Format?: boolean;
  }

  export class ZipFile extends EventEmitter {
    readonly outputStream: Readable;
    addFile(realPath: string, metadataPath: string, options?: EntryOptions): void;
    /** The stream is read when its entry's turn comes. */
    addReadStream(stream: Readable, metadataPath: string, options?: EntryOptions & { size?: number }): void;
    end(options?: { forceZip64Format?: boolean }): void;
  }
}

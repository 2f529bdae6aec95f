/** The part of yazl's API the artifact download uses (the package ships no types). */
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
    end(options?: { forceZip64Format?: boolean }): void;
  }
}

/**
 * The data dir holds the database (password and token hashes, logs, the
 * audit log), the key file, mirrors, artifacts and caches: only the server's
 * user may read it. It is created 0700; on every start, what already exists
 * in it is brought to 0700 (directories) and 0600 (files; 0700 for files the
 * owner may execute, such as git hooks), so an install made before these
 * modes is tightened in place. Symbolic links are left alone and not followed.
 */
import { chmodSync, lstatSync, mkdirSync, readdirSync } from "node:fs";
import path from "node:path";

const DATA_DIR_MODE = 0o700;
const DATA_FILE_MODE = 0o600;

/** The mode an entry of the data dir should have, from its current one. */
function wantedMode(isDirectory: boolean, mode: number): number {
  if (isDirectory) return DATA_DIR_MODE;
  return mode & 0o100 ? 0o700 : DATA_FILE_MODE;
}

/** Creates the data dir (0700) or tightens what exists in it; returns how many entries had their mode changed. */
export function secureDataDir(dataDir: string): { changed: number } {
  mkdirSync(dataDir, { recursive: true, mode: DATA_DIR_MODE });
  let changed = 0;
  const visit = (entry: string): void => {
    let stat;
    try {
      stat = lstatSync(entry);
    } catch {
      return;
    }
    if (stat.isSymbolicLink() || !(stat.isDirectory() || stat.isFile())) return;
    const mode = stat.mode & 0o7777;
    const wanted = wantedMode(stat.isDirectory(), mode);
    if (mode !== wanted) {
      chmodSync(entry, wanted);
      changed++;
    }
    if (stat.isDirectory()) {
      for (const name of readdirSync(entry)) visit(path.join(entry, name));
    }
  };
  visit(dataDir);
  return { changed };
}

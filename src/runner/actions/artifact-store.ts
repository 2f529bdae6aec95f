/**
 * Where a run's artifacts live. The host runner uses a directory; a server
 * can provide a remote store behind the same interface.
 */
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { SlipwayError } from "../../lib/index.js";

export interface ArtifactInfo {
  id: number;
  name: string;
  /** Total bytes of its files. */
  size: number;
  createdAt: string;
  expiresAt?: string;
  /** SHA-256 over the artifact's paths and contents (hex). */
  digest: string;
}

interface ArtifactFile {
  /** Path inside the artifact, `/`-separated, relative. */
  path: string;
  /** Absolute path of the file to upload. */
  source: string;
}

interface ArtifactUploadOptions {
  /** `create` fails on an existing name (v4), `replace` overwrites it (v4 overwrite: true), `append` adds files (v3). */
  mode: "create" | "replace" | "append";
  retentionDays?: number;
}

export interface ArtifactStore {
  list(): Promise<ArtifactInfo[]>;
  upload(name: string, files: ArtifactFile[], options: ArtifactUploadOptions): Promise<ArtifactInfo>;
  /** Writes the artifact's files under `targetDir` (keeping their paths); ARTIFACT_NOT_FOUND if absent. */
  download(name: string, targetDir: string): Promise<void>;
}

const FORBIDDEN_NAME = /["<>|*?:\\/\r\n]/;
const FORBIDDEN_PATH = /["<>|*?:\r\n]/;

/** Checks an artifact name; ARTIFACT_INVALID if it cannot be stored safely. */
export function validateArtifactName(name: string): void {
  const bad = FORBIDDEN_NAME.exec(name);
  if (name.trim() === "" || bad || name === "." || name === "..") {
    throw new SlipwayError(
      "ARTIFACT_INVALID",
      bad ? `artifact name '${name}' contains the forbidden character ${JSON.stringify(bad[0])}` : `artifact name '${name}' is not valid`,
    );
  }
}

/** Checks a path inside an artifact: relative, no `..` segments, no forbidden characters. */
export function validateArtifactPath(p: string): void {
  const bad = FORBIDDEN_PATH.exec(p);
  const segments = p.split("/");
  if (bad || p.startsWith("/") || segments.includes("..") || p === "") {
    throw new SlipwayError(
      "ARTIFACT_INVALID",
      bad ? `artifact path '${p}' contains the forbidden character ${JSON.stringify(bad[0])}` : `artifact path '${p}' leaves the artifact`,
    );
  }
}

interface IndexFile {
  nextId: number;
  artifacts: ArtifactInfo[];
}

/** Artifacts in a directory: `index.json` plus `files/<id>/...`. */
export function createDirectoryArtifactStore(dir: string, options: { now?: () => Date } = {}): ArtifactStore {
  const now = options.now ?? (() => new Date());
  const indexFile = path.join(dir, "index.json");
  let queue: Promise<unknown> = Promise.resolve();
  const serialise = <T>(fn: () => T): Promise<T> => {
    const next = queue.then(fn);
    queue = next.catch(() => undefined);
    return next;
  };
  const readIndex = (): IndexFile =>
    existsSync(indexFile) ? (JSON.parse(readFileSync(indexFile, "utf8")) as IndexFile) : { nextId: 1, artifacts: [] };
  const writeIndex = (index: IndexFile): void => {
    mkdirSync(dir, { recursive: true });
    const tmp = `${indexFile}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(index, null, 2));
    renameSync(tmp, indexFile);
  };
  const filesDir = (id: number): string => path.join(dir, "files", String(id));

  function summarise(root: string): { size: number; digest: string } {
    const hash = createHash("sha256");
    let size = 0;
    const walk = (d: string, rel: string): void => {
      for (const n of readdirSync(d).sort()) {
        const full = path.join(d, n);
        const r = rel ? `${rel}/${n}` : n;
        if (statSync(full).isDirectory()) walk(full, r);
        else {
          const data = readFileSync(full);
          size += data.length;
          hash.update(r).update("\0").update(data);
        }
      }
    };
    if (existsSync(root)) walk(root, "");
    return { size, digest: hash.digest("hex") };
  }

  return {
    list: () => serialise(() => readIndex().artifacts),
    upload: (name, files, opts) =>
      serialise(() => {
        validateArtifactName(name);
        for (const f of files) validateArtifactPath(f.path);
        const index = readIndex();
        const existing = index.artifacts.find((a) => a.name === name);
        let id: number;
        if (existing && opts.mode === "create") {
          throw new SlipwayError("ARTIFACT_ALREADY_EXISTS", `an artifact named '${name}' already exists in this run`, {
            hint: "Give each upload its own name, or set `overwrite: true`.",
          });
        }
        if (existing && opts.mode === "append") {
          id = existing.id;
        } else {
          if (existing) {
            rmSync(filesDir(existing.id), { recursive: true, force: true });
            index.artifacts = index.artifacts.filter((a) => a !== existing);
          }
          id = index.nextId++;
        }
        for (const f of files) {
          const target = path.join(filesDir(id), ...f.path.split("/"));
          mkdirSync(path.dirname(target), { recursive: true });
          copyFileSync(f.source, target);
        }
        const created = now();
        const { size, digest } = summarise(filesDir(id));
        const info: ArtifactInfo = { id, name, size, digest, createdAt: created.toISOString() };
        if (opts.retentionDays && opts.retentionDays > 0) {
          info.expiresAt = new Date(created.getTime() + opts.retentionDays * 86_400_000).toISOString();
        }
        index.artifacts = index.artifacts.filter((a) => a.id !== id);
        index.artifacts.push(info);
        writeIndex(index);
        return info;
      }),
    download: (name, targetDir) =>
      serialise(() => {
        const info = readIndex().artifacts.find((a) => a.name === name);
        if (!info) throw new SlipwayError("ARTIFACT_NOT_FOUND", `Unable to download artifact(s): Artifact not found for name: ${name}`);
        const root = filesDir(info.id);
        const copy = (from: string, to: string): void => {
          mkdirSync(to, { recursive: true });
          for (const n of readdirSync(from)) {
            const src = path.join(from, n);
            if (statSync(src).isDirectory()) copy(src, path.join(to, n));
            else copyFileSync(src, path.join(to, n));
          }
        };
        if (existsSync(root)) copy(root, targetDir);
        else mkdirSync(targetDir, { recursive: true });
      }),
  };
}

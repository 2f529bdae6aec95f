/**
 * Job directories of a runner: `<workDir>/jobs/<job id>`, 0700 like the work
 * dir and `jobs/` (a job's scripts, workspace and temp files are the runner
 * user's only). While a job runs, its directory holds a marker naming the
 * runner (server and runner id) and its process; the marker is removed when
 * the job ends, also when the directory is kept (--keep-workspaces). A
 * directory still marked by this runner from a process that is gone was left
 * by a crash, and is removed when the runner starts again; other runners'
 * directories in a shared work dir, and kept ones, are left alone.
 *
 * A finished job's directory is renamed aside at once (`.removing-<job>-<pid>`)
 * and its tree removed after the job (`removeTree`: a batch of entries at a
 * time, so a large workspace does not hold up other jobs' requests). What a
 * runner that stopped left aside is removed when it starts again.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { removeTree } from "./file-trees.js";

const MARKER = ".slipway-running.json";

export interface JobDirOwner {
  serverUrl: string;
  runnerId: number;
}

interface Marker extends JobDirOwner {
  pid: number;
}

function jobsDir(workDir: string): string {
  return path.join(workDir, "jobs");
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readMarker(dir: string): Marker | undefined {
  try {
    const value = JSON.parse(readFileSync(path.join(dir, MARKER), "utf8")) as Partial<Marker>;
    if (typeof value.serverUrl === "string" && typeof value.runnerId === "number" && typeof value.pid === "number") return value as Marker;
  } catch {
    // No marker, or not one of ours: not a directory of a running job.
  }
  return undefined;
}

/** A fresh, empty directory for a job (0700), marked as this process's; returns its path. */
export function createJobDir(workDir: string, jobId: number, owner: JobDirOwner): string {
  const jobs = jobsDir(workDir);
  mkdirSync(jobs, { recursive: true, mode: 0o700 });
  chmodSync(workDir, 0o700);
  chmodSync(jobs, 0o700);
  const dir = path.join(jobs, String(jobId));
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { mode: 0o700 });
  const marker: Marker = { serverUrl: owner.serverUrl, runnerId: owner.runnerId, pid: process.pid };
  writeFileSync(path.join(dir, MARKER), JSON.stringify(marker) + "\n", { mode: 0o600 });
  return dir;
}

const ASIDE = /^\.removing-\d+-(\d+)$/;

/** The job ended: its directory is kept without its marker, or moved aside and removed; resolves once removed. */
export function releaseJobDir(dir: string, keep: boolean): Promise<void> {
  if (keep) {
    rmSync(path.join(dir, MARKER), { force: true });
    return Promise.resolve();
  }
  const aside = path.join(path.dirname(dir), `.removing-${path.basename(dir)}-${process.pid}`);
  try {
    renameSync(dir, aside);
  } catch {
    return removeTree(dir);
  }
  return removeTree(aside);
}

/** Removes the job directories a crashed earlier process of this runner left; returns their job ids. */
export function removeAbandonedJobDirs(workDir: string, owner: JobDirOwner): string[] {
  const jobs = jobsDir(workDir);
  if (!existsSync(jobs)) return [];
  const removed: string[] = [];
  for (const name of readdirSync(jobs)) {
    const dir = path.join(jobs, name);
    const aside = ASIDE.exec(name);
    if (aside) {
      // Moved aside by a runner process that stopped before removing it.
      if (Number(aside[1]) !== process.pid && !processAlive(Number(aside[1]))) rmSync(dir, { recursive: true, force: true });
      continue;
    }
    const marker = readMarker(dir);
    if (!marker || marker.serverUrl !== owner.serverUrl || marker.runnerId !== owner.runnerId) continue;
    if (marker.pid === process.pid || processAlive(marker.pid)) continue;
    rmSync(dir, { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

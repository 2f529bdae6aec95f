/**
 * The per-runner credential, kept in the runner's work dir (file mode 0600)
 * so a restarted runner reuses its registration instead of needing a new
 * registration token.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync, renameSync } from "node:fs";
import path from "node:path";
import { SlipwayError } from "../../lib/index.js";

export const CREDENTIAL_FILE = "runner.credential.json";

export interface StoredCredential {
  /** The server this credential belongs to. */
  serverUrl: string;
  id: number;
  name: string;
  labels: string[];
  credential: string;
}

/** The stored credential for this server, or null when there is none (or it is for another server). */
export function readCredential(workDir: string, serverUrl: string): StoredCredential | null {
  const file = path.join(workDir, CREDENTIAL_FILE);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return null;
  }
  try {
    const data = JSON.parse(text) as StoredCredential;
    if (typeof data.credential !== "string" || typeof data.serverUrl !== "string") return null;
    return normaliseUrl(data.serverUrl) === normaliseUrl(serverUrl) ? data : null;
  } catch {
    throw new SlipwayError("CONFIG_INVALID", `${file} is not a runner credential file`, {
      hint: "Delete it and start the runner with a new --token to register again.",
    });
  }
}

export function writeCredential(workDir: string, value: StoredCredential): void {
  mkdirSync(workDir, { recursive: true, mode: 0o700 });
  const file = path.join(workDir, CREDENTIAL_FILE);
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify({ ...value, serverUrl: normaliseUrl(value.serverUrl) }, null, 2) + "\n", { mode: 0o600 });
  chmodSync(temp, 0o600);
  renameSync(temp, file);
}

function normaliseUrl(url: string): string {
  return url.replace(/\/+$/, "");
}

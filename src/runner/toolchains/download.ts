/**
 * Downloads for the tool cache: HTTP GETs with a timeout whose failures are
 * SlipwayErrors naming the URL (credentials redacted), checksum checks as
 * the npm registry publishes them, and unpacking of .tar.gz archives.
 */
import { createHash } from "node:crypto";
import { rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { redactUrl, SlipwayError } from "../../lib/index.js";
import { execCapture } from "../actions/exec.js";

const REQUEST_TIMEOUT_MS = 60_000;

export async function request(url: string, signal: AbortSignal, headers: Record<string, string> = {}): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, { headers, signal: AbortSignal.any([signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]) });
  } catch (error) {
    if (signal.aborted) throw error;
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new SlipwayError("TOOLCHAIN_DOWNLOAD_FAILED", `${redactUrl(url)} is unreachable (${cause?.code ?? cause?.message ?? (error as Error).message})`);
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new SlipwayError("TOOLCHAIN_DOWNLOAD_FAILED", `${redactUrl(url)} answered ${response.status} ${response.statusText}`.trim());
  }
  return response;
}

export function checksumMismatch(what: string, url: string, algorithm: string): SlipwayError {
  return new SlipwayError("TOOLCHAIN_CHECKSUM_MISMATCH", `${what} from ${redactUrl(url)} does not match its published ${algorithm} checksum; it was not installed`);
}

/** Unpacks a .tar.gz held in memory into `dir`, dropping its top-level directory. */
export async function extractTarball(data: Buffer, dir: string, signal: AbortSignal): Promise<void> {
  const file = `${dir}.tgz`;
  writeFileSync(file, data);
  try {
    const r = await execCapture("tar", ["-xzf", file, "-C", dir, "--strip-components=1", "--no-same-owner"], { signal });
    if (r.code !== 0) throw new SlipwayError("TOOLCHAIN_DOWNLOAD_FAILED", `unpacking ${path.basename(file)} failed: ${r.stderr.trim()}`);
  } finally {
    rmSync(file, { force: true });
  }
}

/** Checks `data` against an SRI `integrity` (strongest supported hash) or a hex SHA-1 `shasum`. */
export function verifyPackageIntegrity(data: Buffer, dist: { integrity?: string; shasum?: string }): { ok: boolean; algorithm: string } {
  const hashes = (dist.integrity ?? "")
    .split(/\s+/)
    .map((h) => /^(sha512|sha384|sha256|sha1)-(.+)$/.exec(h))
    .filter((m): m is RegExpExecArray => m !== null);
  const order = ["sha512", "sha384", "sha256", "sha1"];
  hashes.sort((a, b) => order.indexOf(a[1]!) - order.indexOf(b[1]!));
  const strongest = hashes[0];
  if (strongest) {
    const digest = createHash(strongest[1]!).update(data).digest("base64");
    return { ok: digest === strongest[2], algorithm: strongest[1]!.toUpperCase() };
  }
  if (dist.shasum) return { ok: createHash("sha1").update(data).digest("hex") === dist.shasum.toLowerCase(), algorithm: "SHA1" };
  return { ok: false, algorithm: "(none published)" };
}


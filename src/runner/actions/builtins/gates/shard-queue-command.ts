/**
 * The command slipway/test-shards leaves for a queue-mode shard's next step:
 * a small Node script (run by the runner's own Node) in the job's temp dir.
 * `next` prints one file and exits 0, exits 1 once the queue is drained, and
 * 2 on an error. `run -- CMD ARGS...` asks for files until the queue is
 * drained and runs `CMD ARGS... FILE` for each, then exits 1 when any of
 * them failed, 2 when the queue could not be read. Asking again tells the
 * server the previous file is finished; while other shards still hold files
 * it waits (one of them may die and give its file back). With a server the
 * script asks the run attempt's queue with the job's token, kept in a file
 * only the runner's user reads; without one it hands out a fixed list.
 */
import { chmod, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";

type QueueSource = { url: string; token: string } | { files: string[] };

const SCRIPT = `// Written by slipway/test-shards: hands out the files of a test shard queue.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";

const here = (name) => new URL(name, import.meta.url);
const config = JSON.parse(readFileSync(here("./queue.json"), "utf8"));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const fail = (message) => {
  console.error("slipway/test-shards: " + message);
  process.exit(2);
};

async function nextFile() {
  if (config.files) {
    const cursor = here("./cursor");
    const at = existsSync(cursor) ? Number(readFileSync(cursor, "utf8")) : 0;
    writeFileSync(cursor, String(at + 1));
    return config.files[at] ?? null;
  }
  for (let failures = 0; ; ) {
    let res;
    let body = {};
    try {
      res = await fetch(config.url, { method: "POST", headers: { authorization: "Bearer " + config.token, accept: "application/json" }, signal: AbortSignal.timeout(30000) });
      body = await res.json().catch(() => ({}));
    } catch (error) {
      res = { ok: false, status: 0, error };
    }
    if (res.status === 0 || res.status === 429 || res.status >= 500) {
      failures += 1;
      if (failures >= 6) fail("the server did not answer for the next file (" + (res.error ? res.error.message : "status " + res.status) + ")");
      await sleep(500 * 2 ** failures);
      continue;
    }
    if (!res.ok) fail("the server refused the next file (" + res.status + " " + (body.code || "") + "): " + (body.message || ""));
    failures = 0;
    if (typeof body.file === "string") return body.file;
    if (body.done) return null;
    await sleep(typeof body.retry_after_ms === "number" ? body.retry_after_ms : 2000);
  }
}

const args = process.argv.slice(2);
if (args[0] !== "run") {
  const file = await nextFile();
  if (file === null) process.exit(1);
  process.stdout.write(file + "\\n");
  process.exit(0);
}
const command = args[1] === "--" ? args.slice(2) : args.slice(1);
if (command.length === 0) fail("run needs the command to run for each file, e.g. run -- npx vitest run");
let ran = 0;
const failed = [];
for (;;) {
  const file = await nextFile();
  if (file === null) break;
  ran += 1;
  console.log("slipway/test-shards: " + command.join(" ") + " " + file);
  const result = spawnSync(command[0], [...command.slice(1), file], { stdio: "inherit" });
  if (result.error) console.error("slipway/test-shards: " + command[0] + " could not start: " + result.error.message);
  if (result.error || result.status !== 0) failed.push(file);
}
console.log("slipway/test-shards: " + ran + " file" + (ran === 1 ? "" : "s") + " run, " + failed.length + " failed" + (failed.length > 0 ? ": " + failed.join(", ") : ""));
process.exit(failed.length > 0 ? 1 : 0);
`;

/** Quotes a word for POSIX shells unless it needs none. */
export function quoteShellWord(word: string): string {
  return /^[A-Za-z0-9_./@%+=:,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Writes the script and its queue into `dir`; returns the `next` and `run` commands. */
export async function writeShardQueueCommand(dir: string, source: QueueSource, nodePath = process.execPath): Promise<{ next: string; run: string }> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const script = path.join(dir, "queue.mjs");
  await writeFile(path.join(dir, "queue.json"), JSON.stringify(source), { mode: 0o600 });
  await chmod(path.join(dir, "queue.json"), 0o600);
  await writeFile(script, SCRIPT);
  const base = `${quoteShellWord(nodePath)} ${quoteShellWord(script)}`;
  return { next: base, run: `${base} run --` };
}

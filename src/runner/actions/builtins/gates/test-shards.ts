/**
 * `uses: slipway/test-shards@v1`: splits a suite's test files into shards of
 * equal expected time (src/gates: longest first, each to the least loaded
 * shard). Durations come from the server on a runner of a Slipway server
 * (recent runs' results), else from JUnit reports in the workspace, and files
 * without one are estimated. Outputs the split as a matrix for a later job's
 * `strategy.matrix`, and the files of one shard (`shard:`). In queue mode
 * the shard jobs pull files one at a time from a queue of the run attempt
 * on the server instead; the step leaves a command that hands them out.
 */
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { SlipwayError } from "../../../../lib/index.js";
import { estimateDurations, JUnitReader, planShards, type ShardFile } from "../../../../gates/index.js";
import type { UsesContext, UsesStepResult } from "../../../uses.js";
import { matchPatterns } from "../../glob.js";
import { getInput, getMultilineInput, type BuiltinAction } from "../../builtin.js";
import { quoteShellWord, writeShardQueueCommand } from "./shard-queue-command.js";
import type { TestShardServer } from "./test-shards-client.js";

const DEFAULT_REPORTS = ["**/junit*.xml", "**/TEST-*.xml"];
const ALWAYS_EXCLUDED = ["!**/node_modules/**", "!**/.git/**"];
const MAX_SHARDS = 256;
const KEY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

function invalid(context: UsesContext, message: string): SlipwayError {
  return new SlipwayError("GATE_INPUT_INVALID", `${context.uses}: ${message}`, { hint: "Check the inputs of slipway/test-shards in docs/tests.md." });
}

function wholeNumber(context: UsesContext, name: string, min: number, max: number): number | undefined {
  const value = getInput(context, name);
  if (value === "") return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw invalid(context, `${name} must be a whole number from ${min} to ${max}, got '${value}'`);
  return n;
}

/** Workspace-relative, `/`-separated paths of the files the patterns match (one pattern or path per line, or several on a line separated by spaces). */
function listTestFiles(context: UsesContext, patterns: string[]): string[] {
  const matched = matchPatterns([...patterns, ...ALWAYS_EXCLUDED], { cwd: context.workspace });
  return matched.files.map((f) => path.relative(context.workspace, f).split(path.sep).join("/")).filter((f) => !f.startsWith("../"));
}

/** A recorded path as a comparable key: `/`-separated, without `./` or `file://`. */
function normalise(file: string): string {
  return file.replace(/\\/g, "/").replace(/^file:\/\//, "").replace(/^(\.\/)+/, "");
}

/**
 * Finds each file's recorded duration: the record with its exact path, else
 * one whose path ends with the file's (recorded absolutely, elsewhere) or
 * that the file's path ends with (recorded from a sub-directory); among
 * several the longest recorded path, then the first by name.
 */
function matchDurations(files: string[], records: Array<{ file: string; durationMs: number }>): Map<string, number> {
  const byName = new Map<string, Array<{ key: string; durationMs: number }>>();
  for (const r of records) {
    const key = normalise(r.file);
    const name = key.slice(key.lastIndexOf("/") + 1);
    byName.set(name, [...(byName.get(name) ?? []), { key, durationMs: r.durationMs }]);
  }
  const found = new Map<string, number>();
  for (const file of files) {
    const candidates = byName.get(file.slice(file.lastIndexOf("/") + 1)) ?? [];
    const exact = candidates.find((c) => c.key === file);
    const best =
      exact ??
      candidates
        .filter((c) => c.key.endsWith(`/${file}`) || file.endsWith(`/${c.key}`) || file === c.key)
        .sort((a, b) => b.key.length - a.key.length || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))[0];
    if (best) found.set(file, best.durationMs);
  }
  return found;
}

/** Per-file totals of the JUnit reports in the workspace (the last local run's), by `file`, else `classname`. */
async function readLocalDurations(context: UsesContext, patterns: string[]): Promise<Array<{ file: string; durationMs: number }>> {
  const reports = matchPatterns([...patterns, ...ALWAYS_EXCLUDED], { cwd: context.workspace }).files;
  const totals = new Map<string, number>();
  for (const report of reports) {
    try {
      const reader = new JUnitReader({ source: report, maxTextLength: 0 });
      reader.write(await readFile(report, "utf8"));
      for (const c of reader.finish().cases) {
        const file = c.file ?? c.classname;
        if (file !== "" && c.durationMs !== undefined && c.durationMs !== null) totals.set(file, (totals.get(file) ?? 0) + c.durationMs);
      }
    } catch (error) {
      context.log(`##[warning]${path.relative(context.workspace, report)} is not read for durations: ${(error as Error).message}`);
    }
  }
  return [...totals].map(([file, durationMs]) => ({ file, durationMs }));
}

/** Recorded durations: the server's where there is one and it knows any, else the workspace's reports. */
async function readDurations(context: UsesContext, server: TestShardServer | undefined): Promise<{ source: string; records: Array<{ file: string; durationMs: number }> }> {
  if (server) {
    try {
      const answer = await server.readDurations(context.signal);
      if (answer.files.length > 0) return { source: `the server (${answer.source === "workflow" ? "this workflow's recent runs on the default branch" : "the repository's recent runs"})`, records: answer.files };
    } catch (error) {
      context.log(`##[warning]The recorded test durations could not be read from the server: ${(error as Error).message}`);
    }
  }
  const patterns = getMultilineInput(context, "reports");
  const records = await readLocalDurations(context, patterns.length > 0 ? patterns : DEFAULT_REPORTS);
  return { source: records.length > 0 ? "the JUnit reports in the workspace" : "no recorded durations", records };
}

async function run(context: UsesContext, server: TestShardServer | undefined): Promise<UsesStepResult> {
  const patterns = getMultilineInput(context, "files").flatMap((line) => line.split(/\s+/)).filter((p) => p !== "");
  if (patterns.length === 0) throw invalid(context, "files is required: glob patterns or paths of the test files");
  const mode = getInput(context, "mode") || "static";
  if (mode !== "static" && mode !== "queue") throw invalid(context, `mode must be static or queue, got '${mode}'`);
  const count = wholeNumber(context, "shards", 1, MAX_SHARDS);
  const shard = wholeNumber(context, "shard", 1, MAX_SHARDS);
  if (mode === "static" && count === undefined) throw invalid(context, "shards is required: how many shards to split the files into");
  if (count !== undefined && shard !== undefined && shard > count) throw invalid(context, `shard ${shard} is beyond shards: ${count}`);
  const key = getInput(context, "key") || "tests";
  if (!KEY.test(key)) throw invalid(context, `key must be letters, digits, '.', '_' or '-' (at most 100), got '${key}'`);

  const files = listTestFiles(context, patterns);
  if (files.length === 0) throw invalid(context, `no test file matches ${patterns.join(" ")}`);
  const { source, records } = await readDurations(context, server);
  const recorded = matchDurations(files, records);
  const shardFiles: ShardFile[] = await Promise.all(
    files.map(async (file) => {
      const size = await stat(path.join(context.workspace, file)).then((s) => s.size, () => undefined);
      return { path: file, durationMs: recorded.get(file), sizeBytes: size };
    }),
  );
  context.log(`${files.length} test file${files.length === 1 ? "" : "s"}, ${recorded.size} with a recorded duration (from ${source}), ${files.length - recorded.size} estimated.`);

  const plan = count === undefined ? undefined : planShards(shardFiles, count);
  if (plan) {
    const matrix = { include: plan.shards.map((s) => ({ shard: s.index, files: s.files.map(quoteShellWord).join(" ") })) };
    context.setOutput("matrix", JSON.stringify(matrix));
    context.setOutput("count", String(plan.shards.length));
    for (const s of plan.shards) context.log(`shard ${s.index}: ${s.files.length} file${s.files.length === 1 ? "" : "s"}, ~${(s.estimatedMs / 1000).toFixed(1)} s`);
    if (plan.shards.length < count!) context.log(`Only ${plan.shards.length} shard${plan.shards.length === 1 ? "" : "s"}: there are fewer files than shards.`);
  }
  const mine = plan && shard !== undefined ? (plan.shards[shard - 1]?.files ?? []) : undefined;
  if (mine) context.setOutput("files", mine.map(quoteShellWord).join(" "));

  if (mode === "queue") {
    const dir = path.join(context.tempDir, `test-shards-${context.stepIndex}-${key}`);
    let commands;
    if (server) {
      const weighted = estimateDurations(shardFiles).map((f) => ({ file: f.path, durationMs: f.ms }));
      const queue = await server.createQueue(key, weighted, context.signal);
      context.log(queue.created ? `Created the queue '${key}' of ${queue.total} files, longest first.` : `The queue '${key}' of ${queue.total} files exists: this shard pulls from it.`);
      commands = await writeShardQueueCommand(dir, server.nextFileEndpoint(key));
    } else {
      const list = mine ?? files;
      context.log(`No Slipway server: the queue command hands out ${mine ? `shard ${shard}'s` : "all"} ${list.length} file${list.length === 1 ? "" : "s"} in turn.`);
      commands = await writeShardQueueCommand(dir, { files: list });
    }
    context.setOutput("next", commands.next);
    context.setOutput("run", commands.run);
  }
  return { outcome: "success" };
}

export function createTestShardsAction(server?: TestShardServer): BuiltinAction {
  return { names: ["slipway/test-shards"], run: (context) => run(context, server) };
}

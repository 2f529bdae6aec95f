/**
 * The env files of step processes (GITHUB_ENV, GITHUB_OUTPUT, GITHUB_PATH,
 * GITHUB_STATE, GITHUB_STEP_SUMMARY): a pool of file sets, and what a
 * process wrote into them applied to the job when it exits.
 */
import { randomUUID } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { EnvFileError, parseEnvFile, parsePathFile } from "../env-files.js";
import type { StepRecord } from "./job-context.js";
import type { JobEnv } from "./job-env.js";
import type { JobLog } from "./job-log.js";

/** GitHub's limit for one step's summary. */
const SUMMARY_LIMIT = 1024 * 1024;

/** Env-file variable -> file path. */
export type EnvFileSet = Record<string, string>;

export class EnvFileCommands {
  private readonly dir: string;
  private readonly pool: EnvFileSet[] = [];

  constructor(
    tempDir: string,
    private readonly log: JobLog,
    private readonly env: JobEnv,
  ) {
    this.dir = path.join(tempDir, "_runner_file_commands");
  }

  async prepare(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
  }

  /**
   * A set of empty env files for one process. Sets are reused between
   * processes: applying them empties them again, so every process starts
   * with empty files and no step pays for creating them.
   */
  take(): EnvFileSet {
    return this.pool.pop() ?? this.createFileSet();
  }

  /** Returns a set to the pool; a set whose process left others running is never returned, so nothing it started can write into a later step's files. */
  giveBack(files: EnvFileSet): void {
    this.pool.push(files);
  }

  private createFileSet(): EnvFileSet {
    const id = randomUUID();
    const files = {
      GITHUB_ENV: path.join(this.dir, `set_env_${id}`),
      GITHUB_OUTPUT: path.join(this.dir, `set_output_${id}`),
      GITHUB_PATH: path.join(this.dir, `add_path_${id}`),
      GITHUB_STATE: path.join(this.dir, `save_state_${id}`),
      GITHUB_STEP_SUMMARY: path.join(this.dir, `step_summary_${id}`),
    };
    for (const file of Object.values(files)) writeFileSync(file, "");
    return files;
  }

  /** Applies what a process wrote into `files` to its step and the job, and empties them. */
  apply(files: EnvFileSet, record: StepRecord, logIndex: number): void {
    const read = (f: string): string => {
      let text: string;
      try {
        text = readFileSync(f, "utf8");
      } catch {
        text = "";
        writeFileSync(f, "");
      }
      if (text !== "") writeFileSync(f, "");
      return text;
    };
    const envText = read(files.GITHUB_ENV!);
    const outputText = read(files.GITHUB_OUTPUT!);
    const pathText = read(files.GITHUB_PATH!);
    const stateText = read(files.GITHUB_STATE!);
    const summaryText = read(files.GITHUB_STEP_SUMMARY!);
    const apply = (text: string, label: string, set: (k: string, v: string) => void): void => {
      try {
        for (const [k, v] of parseEnvFile(text, label)) set(k, v);
      } catch (error) {
        if (!(error instanceof EnvFileError)) throw error;
        record.commandFailed = true;
        this.log.annotate(logIndex, { level: "error", message: error.message });
      }
    };
    apply(envText, "GITHUB_ENV", (k, v) => {
      if (k.toUpperCase() === "NODE_OPTIONS") {
        record.commandFailed = true;
        this.log.annotate(logIndex, { level: "error", message: "Can't store NODE_OPTIONS output parameter using '$GITHUB_ENV' command." });
        return;
      }
      this.env.set(k, v);
    });
    apply(outputText, "GITHUB_OUTPUT", (k, v) => {
      record.outputs[k] = v;
    });
    apply(stateText, "GITHUB_STATE", (k, v) => {
      record.state[k] = v;
    });
    for (const dir of parsePathFile(pathText)) this.env.addPath(dir);
    if (summaryText !== "") {
      if (Buffer.byteLength(summaryText) > SUMMARY_LIMIT) {
        this.log.annotate(logIndex, {
          level: "warning",
          message: `$GITHUB_STEP_SUMMARY upload aborted, supports content up to a size of 1024k, got ${Math.ceil(Buffer.byteLength(summaryText) / 1024)}k.`,
        });
      } else {
        this.log.appendSummary(summaryText);
      }
    }
  }
}

/**
 * The processes of a job's steps: a script written to RUNNER_TEMP and run by
 * its shell, or any command, with the step's environment, a set of env
 * files, workflow commands on its output, and cancellation of its whole
 * process group. Process groups left running are killed when the job ends.
 */
import { randomUUID } from "node:crypto";
import { statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { SlipwayError } from "../../lib/index.js";
import { fillShellArgs, resolveShell } from "../shell.js";
import { killProcessGroup, processGroupAlive, runStepProcess, type SpawnFunction } from "../step-process.js";
import type { ProcessResult, ProcessSpec, ScriptSpec } from "../uses.js";
import type { StepRecord } from "./job-context.js";
import type { JobEnv } from "./job-env.js";
import type { EnvFileCommands } from "./env-file-commands.js";
import { createCommandProcessor, type CommandDeps } from "./workflow-command-handler.js";

/** Where a process's output, env files and failures go, and what stops it. */
export interface ProcessTarget {
  record: StepRecord;
  logIndex: number;
  signal: AbortSignal;
  envOverlay: Record<string, string>;
  actionId: string;
}

export interface StepProcessesOptions {
  workspace: string;
  tempDir: string;
  spawn?: SpawnFunction;
  killGraceMs?: number;
}

function isDirectory(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

export class StepProcesses {
  private readonly processGroups = new Set<number>();

  constructor(
    private readonly options: StepProcessesOptions,
    private readonly env: JobEnv,
    private readonly envFiles: EnvFileCommands,
    private readonly commands: CommandDeps,
  ) {}

  /** `header`: a `run:` step's own script, announced with its shell and `env:` before it runs. */
  async runScript(spec: ScriptSpec, target: ProcessTarget, header?: { env: Record<string, string> }): Promise<ProcessResult> {
    const env = this.env.processEnv({ ...target.envOverlay, ...spec.env }, target.actionId);
    const shell = resolveShell(spec.shell, env.PATH);
    if (header) {
      const script = spec.script.replace(/\n+$/, "").split("\n");
      const envLines = Object.entries(header.env).map(([name, value]) => `  ${name}: ${value}`);
      this.commands.log.scriptHeader(target.logIndex, `Run ${spec.script.trim().split("\n")[0] ?? ""}`, [
        ...script,
        `shell: ${[shell.command, ...shell.args].join(" ")}`,
        ...(envLines.length > 0 ? ["env:", ...envLines] : []),
      ]);
    }
    const scriptPath = path.join(this.options.tempDir, `${randomUUID()}${shell.extension}`);
    // Small synchronous writes cost far less than async round trips through the thread pool.
    // The script holds the values of the expressions in it, secrets included:
    // it is readable by the runner's user only while its step runs, and once
    // the step ends it is rewritten with every secret masked, so a kept job
    // dir (--keep-workspaces, or one a crash left behind) holds no secret value.
    // The value is substituted into the script, not passed through the
    // environment, because that is what the script's author wrote: inside
    // single quotes, a heredoc or a python script an environment variable
    // reference would not expand.
    writeFileSync(scriptPath, spec.script, { mode: 0o600 });
    try {
      return await this.runProcess({ command: shell.command, args: fillShellArgs(shell, scriptPath), cwd: spec.workingDirectory, env: spec.env }, target);
    } finally {
      const masked = this.commands.log.masker.mask(spec.script);
      if (masked !== spec.script) {
        try {
          writeFileSync(scriptPath, masked, { mode: 0o600 });
        } catch {
          // The step removed RUNNER_TEMP or the script: nothing left to redact.
        }
      }
    }
  }

  async runProcess(spec: ProcessSpec, target: ProcessTarget): Promise<ProcessResult> {
    const env = this.env.processEnv({ ...target.envOverlay, ...spec.env }, target.actionId);
    const cwd = spec.cwd === undefined ? this.options.workspace : path.resolve(this.options.workspace, spec.cwd);
    const files = this.envFiles.take();
    Object.assign(env, files);

    const onLine = createCommandProcessor(this.commands, target.record, target.logIndex, env);
    const outcome = await runStepProcess({
      command: spec.command,
      args: spec.args,
      cwd,
      env,
      signal: target.signal,
      spawn: this.options.spawn,
      killGraceMs: this.options.killGraceMs,
      onSpawned: (pid) => this.processGroups.add(pid),
      onLine,
    });
    // Only groups with processes left behind are cleaned up at job end; an
    // empty group's id may be reused by an unrelated process later.
    const leftBehind = outcome.pid !== undefined && processGroupAlive(outcome.pid);
    if (outcome.pid !== undefined && !leftBehind) this.processGroups.delete(outcome.pid);
    if (outcome.spawnError) this.envFiles.giveBack(files);
    if (outcome.spawnError && !isDirectory(cwd)) {
      throw new SlipwayError("WORKFLOW_INVALID", `working-directory '${spec.cwd ?? cwd}' does not exist in the workspace`, {
        hint: "Create the directory in an earlier step or fix working-directory (it is relative to the workspace).",
      });
    }
    if (outcome.spawnError) {
      const code = (outcome.spawnError as NodeJS.ErrnoException).code;
      throw new SlipwayError(
        "TOOLCHAIN_MISSING",
        code === "ENOENT" ? `'${spec.command}' was not found on PATH` : `'${spec.command}' could not be started: ${outcome.spawnError.message}`,
        { hint: `Install ${spec.command} on this host or choose another shell:.` },
      );
    }
    try {
      this.envFiles.apply(files, target.record, target.logIndex);
    } finally {
      if (!leftBehind) this.envFiles.giveBack(files);
    }
    return { exitCode: outcome.exitCode, aborted: outcome.aborted };
  }

  /** Kills what the job's steps left running (background processes): they do not outlive the job. */
  killLeftovers(): void {
    for (const pid of this.processGroups) killProcessGroup(pid, "SIGKILL");
  }
}

/**
 * Workflow commands on a step's output (`::add-mask::`, `::error::`,
 * `::group::`, `::stop-commands::`, `::add-matcher::`, ...), handled as
 * GitHub's runner does; every other line is logged masked.
 */
import type { Annotation } from "../../protocol/index.js";
import { loadProblemMatchers, ProblemMatcherFileError } from "../problem-matchers.js";
import { parseWorkflowCommand, type WorkflowCommand } from "../workflow-commands.js";
import type { StepRecord } from "./job-context.js";
import type { JobEnv } from "./job-env.js";
import type { JobLog } from "./job-log.js";

/** Workflow commands the runner handles; any other `::x::` line is printed as is. */
const COMMANDS = new Set([
  "add-mask",
  "group",
  "endgroup",
  "error",
  "warning",
  "notice",
  "debug",
  "stop-commands",
  "echo",
  "set-output",
  "save-state",
  "set-env",
  "add-path",
  "add-matcher",
  "remove-matcher",
]);

export interface CommandDeps {
  log: JobLog;
  /** Where set-env and add-path write, when unsecure commands are allowed. */
  env: JobEnv;
  /** ACTIONS_STEP_DEBUG: commands are echoed and `::debug::` lines shown. */
  debug: boolean;
}

/** Handles one output line of a step process: workflow commands, else a masked log line. */
export function createCommandProcessor(
  deps: CommandDeps,
  record: StepRecord,
  logIndex: number,
  processEnv: Record<string, string>,
): (line: string) => void {
  const { log, env, debug } = deps;
  let stopToken: string | null = null;
  let echo = debug;
  const allowUnsecure = (processEnv.ACTIONS_ALLOW_UNSECURE_COMMANDS ?? "").toLowerCase() === "true";
  // A command that cannot be processed fails the step, reported as GitHub does.
  let current = "";
  const fail = (message: string): void => {
    record.commandFailed = true;
    log.annotate(logIndex, { level: "error", message: `Unable to process command '${current.trim()}' successfully.` });
    log.annotate(logIndex, { level: "error", message });
  };
  const handle = (line: string, command: WorkflowCommand): void => {
    current = line;
    const p = command.properties;
    switch (command.name) {
      case "add-mask":
        if (command.data.trim() === "") {
          log.annotate(logIndex, { level: "warning", message: "Can't add secret mask for empty string in ##[add-mask] command." });
        } else {
          log.addMask(command.data);
        }
        if (echo) log.log(logIndex, line);
        return;
      case "group":
        log.groupStarted(logIndex, command.data);
        return;
      case "endgroup":
        log.groupEnded(logIndex);
        return;
      case "error":
      case "warning":
      case "notice": {
        if (echo) log.log(logIndex, line);
        const annotation: Annotation = { level: command.name, message: command.data };
        if (p.title) annotation.title = p.title;
        if (p.file) annotation.file = p.file;
        const num = (v: string | undefined): number | undefined => {
          const n = v === undefined ? NaN : Number.parseInt(v, 10);
          return Number.isFinite(n) ? n : undefined;
        };
        const fields: [keyof Annotation, string | undefined][] = [
          ["line", p.line],
          ["endLine", p.endLine],
          ["col", p.col ?? p.column],
          ["endColumn", p.endColumn],
        ];
        for (const [key, raw] of fields) {
          const n = num(raw);
          if (n !== undefined) (annotation as unknown as Record<string, number>)[key] = n;
        }
        log.annotate(logIndex, annotation);
        return;
      }
      case "debug":
        if (debug) log.log(logIndex, `##[debug]${command.data}`);
        return;
      case "stop-commands": {
        const token = command.data;
        const reserved = COMMANDS.has(token.toLowerCase()) || token.toLowerCase() === "pause-logging";
        if (token === "" || (reserved && (processEnv.ACTIONS_ALLOW_UNSECURE_STOP_COMMANDS ?? "").toLowerCase() !== "true")) {
          fail(`Invalid stop-commands token '${token}': it must be non-empty and not the name of a workflow command.`);
          return;
        }
        if (echo) log.log(logIndex, line);
        stopToken = token;
        return;
      }
      case "echo":
        if (command.data === "on") echo = true;
        else if (command.data === "off") echo = false;
        else fail(`Invalid echo command value '${command.data}'. Possible values can be: 'on', 'off'.`);
        return;
      case "set-output":
      case "save-state": {
        // The deprecated forms of GITHUB_OUTPUT and GITHUB_STATE: still honoured, with GitHub's warning.
        if (echo) log.log(logIndex, line);
        if (!p.name) return fail(`${command.name} requires a name property.`);
        log.annotate(logIndex, {
          level: "warning",
          message: `The \`${command.name}\` command is deprecated and will be disabled soon. Please upgrade to using Environment Files.`,
        });
        (command.name === "set-output" ? record.outputs : record.state)[p.name] = command.data;
        return;
      }
      case "set-env":
      case "add-path":
        if (!allowUnsecure) {
          fail(
            `The \`${command.name}\` command is disabled. Please upgrade to using Environment Files or opt into unsecure command execution by setting the \`ACTIONS_ALLOW_UNSECURE_COMMANDS\` environment variable to \`true\`. For more information see: https://github.blog/changelog/2020-10-01-github-actions-deprecating-set-env-and-add-path-commands/`,
          );
          return;
        }
        if (echo) log.log(logIndex, line);
        if (command.name === "set-env") {
          if (!p.name) return fail("set-env requires a name property.");
          env.set(p.name, command.data);
        } else {
          env.addPath(command.data);
        }
        return;
      case "add-matcher":
        if (echo) log.log(logIndex, line);
        addMatchers(log, logIndex, command.data);
        return;
      case "remove-matcher":
        if (echo) log.log(logIndex, line);
        removeMatchers(log, logIndex, p.owner ?? "", command.data);
        return;
    }
  };
  return (line: string) => {
    if (stopToken !== null) {
      if (line.trim() === `::${stopToken}::`) {
        stopToken = null;
        if (echo) log.log(logIndex, line);
      } else {
        log.logOutput(logIndex, line);
      }
      return;
    }
    const command = line.includes("::") || line.includes("##[") ? parseWorkflowCommand(line) : null;
    // Command names are case-insensitive, as on GitHub.
    if (command) command.name = command.name.toLowerCase();
    if (command && COMMANDS.has(command.name)) handle(line, command);
    else log.logOutput(logIndex, line);
  };
}

/** `::add-matcher::FILE`: a bad file is a warning naming it and the problem, never a failure. */
function addMatchers(log: JobLog, stepIndex: number, file: string): void {
  if (file.trim() === "") {
    log.annotate(stepIndex, { level: "warning", message: "add-matcher needs the path of a problem matcher file: ::add-matcher::path/to/matcher.json" });
    return;
  }
  const resolved = log.matchers.resolveFile(file.trim());
  try {
    const owners = log.matchers.add(loadProblemMatchers(resolved));
    if (owners.length > 0) log.log(stepIndex, `Added problem matchers: ${owners.map((o) => `'${o}'`).join(", ")}`);
  } catch (error) {
    if (!(error instanceof ProblemMatcherFileError)) throw error;
    log.annotate(stepIndex, { level: "warning", message: `${error.message}; the matchers of this file are not applied` });
  }
}

/** `::remove-matcher owner=NAME::` or `::remove-matcher::FILE` (the owners that file declares). */
function removeMatchers(log: JobLog, stepIndex: number, owner: string, file: string): void {
  if ((owner === "") === (file.trim() === "")) {
    log.annotate(stepIndex, {
      level: "warning",
      message: "remove-matcher needs either an owner or a matcher file, not both: ::remove-matcher owner=NAME:: or ::remove-matcher::path/to/matcher.json",
    });
    return;
  }
  let owners = [owner];
  if (owner === "") {
    try {
      owners = loadProblemMatchers(log.matchers.resolveFile(file.trim())).map((m) => m.owner);
    } catch (error) {
      if (!(error instanceof ProblemMatcherFileError)) throw error;
      log.annotate(stepIndex, { level: "warning", message: error.message });
      return;
    }
  }
  const removed = log.matchers.remove(owners);
  if (removed.length > 0) log.log(stepIndex, `Removed problem matchers: ${removed.map((o) => `'${o}'`).join(", ")}`);
}

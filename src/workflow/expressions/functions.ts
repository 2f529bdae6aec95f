/**
 * The function table handed to the evaluator: GitHub's built-ins from
 * `@actions/expressions`, wrapped so that their failures carry messages
 * without runtime values (a format string or JSON text may hold a secret),
 * plus the status functions and hashFiles, which depend on the caller.
 */
import { data, wellKnownFunctions } from "@actions/expressions";
import type { FunctionDefinition } from "@actions/expressions/funcs/info";
import type { EvaluateOptions } from "./types.js";

/** A user-facing failure of a function; its message never contains evaluated values. */
export class FunctionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FunctionError";
  }
}

function describeFailure(name: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  switch (name) {
    case "format":
      if (message.includes("references more arguments")) {
        return "format(): the format string references more arguments than were supplied";
      }
      return "format(): the format string is invalid; use {N} for argument N and {{ or }} for a literal brace";
    case "fromjson":
      if (message === "empty input") return "fromJSON(): the value is empty";
      return "fromJSON(): the value is not valid JSON";
    case "case":
      return "case(): every predicate must evaluate to a boolean";
    default:
      return `${name}(): the function failed`;
  }
}

function wrapBuiltin(key: string, def: FunctionDefinition): FunctionDefinition {
  return {
    ...def,
    call: (...args) => {
      try {
        return def.call(...args);
      } catch (error) {
        throw new FunctionError(describeFailure(key, error));
      }
    },
  };
}

const BUILTINS: [string, FunctionDefinition][] = Object.entries(wellKnownFunctions).map(([key, def]) => [
  key,
  wrapBuiltin(key, def),
]);

const DEFAULT_STATUS = { success: true, failure: false, cancelled: false };

function constant(name: string, value: boolean): FunctionDefinition {
  return { name, minArgs: 0, maxArgs: 0, call: () => new data.BooleanData(value) };
}

function buildTable(options: EvaluateOptions): Map<string, FunctionDefinition> {
  const table = new Map(BUILTINS);
  const status = options.status ?? DEFAULT_STATUS;
  table.set("success", constant("success", status.success));
  table.set("failure", constant("failure", status.failure));
  table.set("cancelled", constant("cancelled", status.cancelled));
  table.set("always", constant("always", true));
  const hash = options.hashFiles;
  table.set("hashfiles", {
    name: "hashFiles",
    minArgs: 1,
    maxArgs: 255,
    call: (...args) => {
      if (hash === undefined) throw new FunctionError("hashFiles() is not available here: it needs a job's workspace");
      const patterns = args.map((a) => a.coerceString());
      try {
        return new data.StringData(hash(patterns));
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new FunctionError(`hashFiles() failed: ${reason}`);
      }
    },
  });
  return table;
}

const defaultTable = buildTable({});

/** The functions for one evaluation; the common case (no status, no hashFiles) shares one table. */
export function functionTable(options: EvaluateOptions): Map<string, FunctionDefinition> {
  if (options.status === undefined && options.hashFiles === undefined) return defaultTable;
  return buildTable(options);
}

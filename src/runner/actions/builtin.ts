/** Built-in actions: offline stand-ins for common actions, with the same inputs and outputs. */
import { SlipwayError } from "../../lib/index.js";
import type { UsesContext, UsesStepResult } from "../uses.js";
import type { RemoteActionReference } from "./reference.js";

export interface BuiltinAction {
  /** Lower-case `owner/repo[/path]` names this built-in answers to, at any ref. */
  names: string[];
  run(context: UsesContext, ref: RemoteActionReference): Promise<UsesStepResult | void>;
}

/** Reads an input the way @actions/core does: trimmed, "" when absent. */
export function getInput(context: UsesContext, name: string): string {
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(context.inputs)) if (k.toLowerCase() === lower) return v.trim();
  return "";
}

/** A YAML 1.2 core-schema boolean input as @actions/core getBooleanInput reads it. */
export function getBooleanInput(context: UsesContext, name: string, fallback: boolean): boolean {
  const v = getInput(context, name);
  if (v === "") return fallback;
  if (["true", "True", "TRUE"].includes(v)) return true;
  if (["false", "False", "FALSE"].includes(v)) return false;
  throw new SlipwayError("INPUT_INVALID", `input '${name}' of ${context.uses} must be true or false, got '${v}'`, {
    hint: "Use true or false (YAML 1.2 core schema booleans).",
  });
}

/** Multi-line input: one value per non-empty line, trimmed. */
export function getMultilineInput(context: UsesContext, name: string): string[] {
  return getInput(context, name)
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "");
}

/** Major version of a ref like `v4`, `v4.1.0`; undefined for branches and SHAs. */
export function majorVersionOf(ref: string): number | undefined {
  const m = /^v(\d+)(?:\.|$)/.exec(ref);
  return m ? Number(m[1]) : undefined;
}

/**
 * Typing and validation of `workflow_dispatch` and `workflow_call` inputs.
 */
import { SlipwayError, type SourcePosition } from "../lib/index.js";
import type { WorkflowCallInput, WorkflowDispatchInput } from "../workflow/index.js";

export type InputValue = string | number | boolean;

/**
 * Types dispatch inputs (given as strings by a command line, or typed by an
 * API) against the workflow's declarations, filling defaults. Unknown names,
 * missing required inputs, wrong types and values outside a choice's options
 * are INPUT_INVALID.
 */
export function resolveDispatchInputs(
  declared: Record<string, WorkflowDispatchInput>,
  given: Record<string, unknown>,
  where: { file: string; position?: SourcePosition },
): Record<string, InputValue> {
  const out: Record<string, InputValue> = {};
  for (const name of Object.keys(given)) {
    if (!Object.prototype.hasOwnProperty.call(declared, name)) {
      throw inputError(`${where.file}: unexpected input '${name}'; the workflow declares [${Object.keys(declared).join(", ")}]`, where);
    }
  }
  for (const [name, decl] of Object.entries(declared)) {
    const raw = given[name] ?? decl.default;
    if (raw === undefined || raw === null) {
      if (decl.required) throw inputError(`${where.file}: required input '${name}' was not given`, where);
      // An absent optional number stays absent (null in expressions).
      if (decl.type === "boolean") out[name] = false;
      else if (decl.type !== "number") out[name] = "";
      continue;
    }
    out[name] = coerceInput(name, decl.type, raw, where);
    if (decl.type === "choice") {
      const options = decl.options ?? [];
      if (!options.includes(String(out[name]))) {
        throw inputError(
          `${where.file}: input '${name}' is '${String(out[name])}', not one of [${options.join(", ")}]`,
          where,
        );
      }
    }
  }
  return out;
}

/**
 * Types `with:` values of a reusable workflow call against the called
 * workflow's `workflow_call` inputs. Defaults are already evaluated by the
 * caller. Returns an error message instead of throwing: a bad call fails the
 * calling job, not the whole run.
 */
export function resolveCallInputs(
  declared: Record<string, WorkflowCallInput>,
  given: Record<string, unknown>,
  defaults: Record<string, unknown>,
): { inputs: Record<string, InputValue> } | { error: string } {
  const out: Record<string, InputValue> = {};
  for (const name of Object.keys(given)) {
    if (!Object.prototype.hasOwnProperty.call(declared, name)) return { error: `unexpected input '${name}'` };
  }
  for (const [name, decl] of Object.entries(declared)) {
    const raw = given[name] !== undefined ? given[name] : defaults[name];
    if (raw === undefined || raw === null) {
      if (decl.required) return { error: `required input '${name}' was not given` };
      out[name] = decl.type === "boolean" ? false : decl.type === "number" ? 0 : "";
      continue;
    }
    if (decl.type === "boolean" && typeof raw !== "boolean") {
      return { error: `input '${name}' must be a boolean, got ${describe(raw)}` };
    }
    if (decl.type === "number" && typeof raw !== "number") {
      return { error: `input '${name}' must be a number, got ${describe(raw)}` };
    }
    if (decl.type === "string" && typeof raw !== "string") {
      if (typeof raw === "number" || typeof raw === "boolean") {
        out[name] = String(raw);
        continue;
      }
      return { error: `input '${name}' must be a string, got ${describe(raw)}` };
    }
    out[name] = raw as InputValue;
  }
  return { inputs: out };
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return "a list";
  if (value === null) return "null";
  return typeof value === "object" ? "a mapping" : `${typeof value} '${String(value)}'`;
}

function coerceInput(
  name: string,
  type: WorkflowDispatchInput["type"],
  raw: unknown,
  where: { file: string; position?: SourcePosition },
): InputValue {
  if (type === "boolean") {
    if (typeof raw === "boolean") return raw;
    if (raw === "true" || raw === "false") return raw === "true";
    throw inputError(`${where.file}: input '${name}' must be true or false, got '${String(raw)}'`, where);
  }
  if (type === "number") {
    if (typeof raw === "number") return raw;
    const n = typeof raw === "string" && raw.trim() !== "" ? Number(raw) : NaN;
    if (Number.isNaN(n)) throw inputError(`${where.file}: input '${name}' must be a number, got '${String(raw)}'`, where);
    return n;
  }
  if (typeof raw === "string" || typeof raw === "number" || typeof raw === "boolean") return String(raw);
  throw inputError(`${where.file}: input '${name}' must be a string`, where);
}

function inputError(message: string, where: { position?: SourcePosition }): SlipwayError {
  return new SlipwayError("INPUT_INVALID", message, where.position ? { position: where.position } : {});
}

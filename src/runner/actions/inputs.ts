/** Action inputs: defaults, INPUT_* variables, warnings GitHub gives for them. */
import { interpolateString, type ActionMetadata } from "../../workflow/index.js";
import type { Contexts } from "../../protocol/index.js";
import type { UsesContext } from "../uses.js";

/** GitHub's variable name for an input: spaces become `_`, upper-cased, `-` kept. */
export function inputEnvName(name: string): string {
  return `INPUT_${name.replace(/ /g, "_").toUpperCase()}`;
}

/** `INPUT_*` variables for a set of input values. */
export function buildInputEnv(inputs: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(inputs)) env[inputEnvName(k)] = v;
  return env;
}

/**
 * The inputs an action sees: `with:` values (matched case-insensitively to
 * declared names), declared defaults evaluated as expressions, and undeclared
 * `with:` values passed through. Unexpected inputs, missing required inputs
 * and deprecated inputs are reported as warnings, as GitHub does.
 */
export function resolveActionInputs(
  meta: ActionMetadata,
  context: Pick<UsesContext, "inputs" | "contexts" | "annotate" | "hashFiles">,
  displayName: string,
): Record<string, string> {
  const given = new Map<string, [string, string]>();
  for (const [k, v] of Object.entries(context.inputs)) given.set(k.toLowerCase(), [k, v]);
  const out: Record<string, string> = {};
  const declared = new Set<string>();
  for (const [name, spec] of Object.entries(meta.inputs)) {
    declared.add(name.toLowerCase());
    const supplied = given.get(name.toLowerCase());
    if (supplied !== undefined) {
      out[name] = supplied[1];
      if (spec.deprecationMessage) {
        context.annotate({ level: "warning", message: `Input '${name}' has been deprecated with message: ${spec.deprecationMessage}` });
      }
    } else if (spec.default !== undefined) {
      out[name] = interpolateString(spec.default, context.contexts as Contexts, { hashFiles: (p) => context.hashFiles(p) });
    } else {
      if (spec.required) {
        context.annotate({ level: "warning", message: `Input required and not supplied: ${name} (${displayName})` });
      }
      out[name] = "";
    }
  }
  const unexpected: string[] = [];
  for (const [lower, [k, v]] of given) {
    if (declared.has(lower)) continue;
    unexpected.push(k);
    out[k] = v;
  }
  if (unexpected.length > 0) {
    const valid = Object.keys(meta.inputs).map((n) => `'${n}'`).join(", ");
    context.annotate({
      level: "warning",
      message: `Unexpected input(s) ${unexpected.map((n) => `'${n}'`).join(", ")}, valid inputs are [${valid}]`,
    });
  }
  return out;
}

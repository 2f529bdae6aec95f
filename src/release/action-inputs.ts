/**
 * The inputs of Slipway's release actions, `slipway/verify` and
 * `slipway/rollout`: each input is a YAML document in a string (a block
 * scalar under `with:`). The same readers serve workflow validation (with
 * positions, before anything runs; values holding `${{ }}` are left for run
 * time) and the actions at run time (after `${{ }}` was substituted).
 */
import { LineCounter, parseDocument, isMap, isNode, isScalar, type Document } from "yaml";
import { SlipwayError, type SlipwayErrorDetail } from "../lib/index.js";
import type { ActionInputsCheck, PositionedInput } from "../workflow/index.js";
import { readAnalysisSpec, type AnalysisSpec, type SpecPath, type SpecProblem } from "./analysis-spec.js";
import { readRolloutSpec, type RolloutSpec } from "./rollout-spec.js";

export const VERIFY_ACTION = "slipway/verify";
export const ROLLOUT_ACTION = "slipway/rollout";

const VERIFY_INPUTS = ["metrics", "judge"];
const ROLLOUT_INPUTS = ["steps", "traffic"];
const HINT = "See docs/progressive-delivery.md for the inputs of slipway/verify and slipway/rollout.";

interface ParsedInput {
  value: unknown;
  doc?: Document.Parsed;
  lineCounter?: LineCounter;
  yamlError?: { message: string; line: number; col: number };
}

function parseInput(text: string | undefined): ParsedInput {
  if (text === undefined || text.trim() === "") return { value: undefined };
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  const first = doc.errors[0];
  if (first) {
    const { line, col } = lineCounter.linePos(first.pos[0]);
    return { value: undefined, yamlError: { message: first.message.split("\n")[0] ?? first.message, line, col } };
  }
  return { value: doc.toJS({ maxAliasCount: -1 }) as unknown, doc, lineCounter };
}

function pathText(path: SpecPath): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");
}

function valueAt(value: unknown, path: readonly (string | number)[]): unknown {
  let v = value;
  for (const p of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<string | number, unknown>)[p];
  }
  return v;
}

/** What stands for a `${{ }}` while validating: a plain-scalar-safe run of the same length, so YAML parses and columns stay put. */
const EXPRESSION_MARK = "\u039e";

function maskExpressions(text: string): string {
  return text.replace(/\$\{\{[\s\S]*?\}\}/g, (m) => EXPRESSION_MARK + m.slice(1).replace(/[^\n]/g, "_"));
}

/** Problems whose value (or an enclosing value) holds `${{ }}` are decided at run time. */
function holdsExpression(value: unknown, path: readonly (string | number)[]): boolean {
  for (let n = path.length; n >= 0; n--) {
    const v = valueAt(value, path.slice(0, n));
    if (typeof v === "string" && v.includes(EXPRESSION_MARK)) return true;
  }
  return false;
}

function toDetail(problem: SpecProblem, inputs: Record<string, PositionedInput>, parsed: Record<string, ParsedInput>, fallback: PositionedInput["position"]): SlipwayErrorDetail {
  const [input, ...inner] = problem.path as [string, ...(string | number)[]];
  const positioned = inputs[input];
  const p = parsed[input];
  let position = positioned?.position ?? fallback;
  if (positioned && p?.doc && p.lineCounter) {
    // The nearest node that exists along the path: a missing key points at its mapping.
    for (let n = inner.length; n >= 0; n--) {
      const parent = n === 0 ? undefined : n === 1 ? p.doc.contents : p.doc.getIn(inner.slice(0, n - 1), true);
      const keyNode = problem.atKey && n === inner.length && isMap(parent) ? parent.items.find((i) => isScalar(i.key) && i.key.value === inner[n - 1])?.key : undefined;
      const node = keyNode ?? (n === 0 ? p.doc.contents : p.doc.getIn(inner.slice(0, n), true));
      const range = isNode(node) ? node.range : undefined;
      if (range) {
        const { line, col } = p.lineCounter.linePos(range[0]);
        position = positioned.locate(line, col);
        break;
      }
    }
  }
  return { message: `${pathText(problem.path)}: ${problem.message}`, position, hint: HINT };
}

function checkInputs(
  names: string[],
  read: (values: Record<string, unknown>) => SpecProblem[],
): (inputs: Record<string, PositionedInput>, step: { uses: string; position: PositionedInput["position"] }) => SlipwayErrorDetail[] {
  return (inputs, step) => {
    const errors: SlipwayErrorDetail[] = [];
    const parsed: Record<string, ParsedInput> = {};
    for (const [key, input] of Object.entries(inputs)) {
      if (!names.includes(key)) {
        errors.push({ message: `unknown input \`${key}\` of ${step.uses}`, position: input.position, hint: `Its inputs are: ${names.join(", ")}.` });
        continue;
      }
      const text = input.value === null ? undefined : String(input.value);
      if (text !== undefined && /^\s*\$\{\{[\s\S]*\}\}\s*$/.test(text)) return errors; // the whole input comes at run time
      parsed[key] = parseInput(text === undefined ? undefined : maskExpressions(text));
      const e = parsed[key].yamlError;
      if (e) errors.push({ message: `${key}: YAML syntax error: ${e.message}`, position: input.locate(e.line, e.col), hint: HINT });
    }
    if (errors.length > 0) return errors;
    const values = Object.fromEntries(names.map((n) => [n, parsed[n]?.value]));
    for (const problem of read(values)) {
      if (holdsExpression(values, problem.path)) continue;
      errors.push(toDetail(problem, inputs, parsed, step.position));
    }
    return errors;
  };
}

function readVerifyValues(values: Record<string, unknown>): { spec?: AnalysisSpec; problems: SpecProblem[] } {
  return readAnalysisSpec(values.metrics, values.judge, ["metrics"], ["judge"]);
}

function readRolloutValues(values: Record<string, unknown>): { spec?: RolloutSpec; problems: SpecProblem[] } {
  return readRolloutSpec(values.steps, values.traffic, ["steps"], ["traffic"]);
}

/** The workflow-validation checks of the release actions' inputs (pass to parseWorkflow). */
export const releaseActionInputChecks: readonly ActionInputsCheck[] = [
  { names: [VERIFY_ACTION], check: checkInputs(VERIFY_INPUTS, (v) => readVerifyValues(v).problems) },
  { names: [ROLLOUT_ACTION], check: checkInputs(ROLLOUT_INPUTS, (v) => readRolloutValues(v).problems) },
];

function readAtRunTime<T>(uses: string, inputs: Record<string, string>, names: string[], read: (values: Record<string, unknown>) => { spec?: T; problems: SpecProblem[] }): T {
  const values: Record<string, unknown> = {};
  for (const name of names) {
    const parsed = parseInput(inputs[name]);
    if (parsed.yamlError) {
      throw new SlipwayError("INPUT_INVALID", `input '${name}' of ${uses} is not valid YAML (line ${parsed.yamlError.line}, col ${parsed.yamlError.col}): ${parsed.yamlError.message}`, { hint: HINT });
    }
    values[name] = parsed.value;
  }
  const { spec, problems } = read(values);
  if (spec) return spec;
  throw new SlipwayError("INPUT_INVALID", `invalid inputs of ${uses}: ${problems.map((p) => `${pathText(p.path)}: ${p.message}`).join("; ")}`, { hint: HINT });
}

/** The analysis of a `slipway/verify` step from its evaluated inputs; INPUT_INVALID when they are wrong. */
export function readVerifyInputs(uses: string, inputs: Record<string, string>): AnalysisSpec {
  return readAtRunTime(uses, inputs, VERIFY_INPUTS, readVerifyValues);
}

/** The rollout of a `slipway/rollout` step from its evaluated inputs; INPUT_INVALID when they are wrong. */
export function readRolloutInputs(uses: string, inputs: Record<string, string>): RolloutSpec {
  return readAtRunTime(uses, inputs, ROLLOUT_INPUTS, readRolloutValues);
}

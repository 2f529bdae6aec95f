/**
 * Workflow files -> typed model, with every problem reported at file:line:col.
 *
 * How GitHub's `@actions/workflow-parser` is used, and why:
 * - Its schema reader is the reference for what a workflow may say (keys,
 *   value types, required keys, where `${{ }}` is allowed, expression syntax
 *   and the contexts/functions known at each place) and GitHub keeps it
 *   current; we run it for validation and reword its findings for humans
 *   (messages.ts), with the allowed keys and values taken from its schema.
 * - Its converter (`convertWorkflowTemplate`) is async, reports a `needs`
 *   cycle without naming it, and refuses job ids that act runs (a leading
 *   `__`); so only its synchronous `on:` checks (cron, choice inputs) run,
 *   and the job checks (ids, needs, cycles, step shapes, `uses:`) are ours.
 * - Its token tree rewrites strings holding `${{ }}` into `format(...)`
 *   expressions, while our model keeps values as written; so the model is
 *   built from the `yaml` document its reader parsed (one parse, positions
 *   included).
 * The library imports its schema JSON without an import attribute: it loads
 * under vitest (inlined by vite) and in the esbuild bundle, not in plain
 * Node ESM.
 *
 * Cost: the first call loads the schema (about 30 ms); after that a typical
 * workflow takes well under 5 ms.
 */
import { LineCounter, parseDocument } from "yaml";
import { ERROR_CODES, SlipwayError, type SlipwayErrorDetail, type SourcePosition } from "../../lib/index.js";
import type { Workflow } from "../model.js";
import { ExpressionToken } from "@actions/workflow-parser/templates/tokens/expression-token";
import { isBasicExpression } from "@actions/workflow-parser/templates/tokens/type-guards";
import type { TemplateToken } from "@actions/workflow-parser/templates/tokens/template-token";
import type { ConditionSite } from "./build-context.js";
import { buildWorkflowModel } from "./build-model.js";
import { rephraseFinding } from "./messages.js";
import { checkAgainstSchema, indexTokens } from "./schema-check.js";
import { NodeReader } from "./yaml-nodes.js";
import { checkActionInputs, type ActionInputsCheck } from "./action-inputs.js";

export interface ParseWorkflowResult {
  /** Set only when `errors` is empty. */
  workflow?: Workflow;
  errors: SlipwayErrorDetail[];
}

export interface ParseWorkflowOptions {
  /** Checks of known actions' `with:` inputs (e.g. Slipway's built-in release actions). */
  actionInputChecks?: readonly ActionInputsCheck[];
}

/** Parses and validates one workflow file. Pure: reads nothing but its arguments. */
export function parseWorkflow(file: string, text: string, options: ParseWorkflowOptions = {}): ParseWorkflowResult {
  const at = (line: number, col: number) => ({ file, line, col });

  if (text.trim() === "" || stripComments(text) === "") {
    return {
      errors: [
        {
          message: "the workflow file is empty",
          position: at(1, 1),
          hint: "A workflow needs at least `on:` (the events that start it) and `jobs:`.",
        },
      ],
    };
  }

  const checked = checkAgainstSchema(file, text);
  if (checked.yamlErrors.length > 0) {
    return {
      errors: checked.yamlErrors.map((e) => yamlError(e.message, at(e.line, e.col))),
    };
  }

  let doc = checked.doc;
  let lineCounter = checked.lineCounter;
  if (!doc || !lineCounter) {
    lineCounter = new LineCounter();
    doc = parseDocument(text, { lineCounter, uniqueKeys: false });
  }
  const reader = new NodeReader(file, doc, lineCounter);
  const errors: SlipwayErrorDetail[] = [];

  const contents = reader.deref(doc.contents);
  if (!reader.map(contents)) {
    errors.push({
      message: "a workflow must be a mapping with `on:` and `jobs:`",
      position: reader.position(contents, at(1, 1)),
      hint: "Start the file with `on: push` and `jobs:` at the left margin.",
    });
    return { errors };
  }

  const tokens = indexTokens(checked.root);
  // One library finding per place: a value with a broken expression is
  // also "not a valid value" there, which adds nothing.
  const places = new Set<string>();
  for (const finding of checked.findings) {
    const place = `${finding.line}:${finding.col}`;
    if (places.has(place)) continue;
    places.add(place);
    const detail = rephraseFinding(finding, reader, tokens);
    if (detail) errors.push(detail);
  }

  const built = buildWorkflowModel(reader);
  errors.push(...built.errors);
  errors.push(...checkActionInputs(reader, text, options.actionInputChecks ?? []));
  for (const site of built.conditions) {
    const problem = checkCondition(site, tokens, errors);
    if (problem) errors.push(problem);
  }

  const unique = dedupe(errors);
  unique.sort((a, b) => (a.position?.line ?? 0) - (b.position?.line ?? 0) || (a.position?.col ?? 0) - (b.position?.col ?? 0));
  if (unique.length > 0) return { errors: unique };
  return { workflow: built.workflow, errors: [] };
}

/** Like parseWorkflow, but throws a WORKFLOW_INVALID SlipwayError listing every problem. */
export function parseWorkflowOrThrow(file: string, text: string, options: ParseWorkflowOptions = {}): Workflow {
  const result = parseWorkflow(file, text, options);
  if (result.workflow) return result.workflow;
  const n = result.errors.length;
  throw new SlipwayError("WORKFLOW_INVALID", `${file}: ${n} error${n === 1 ? "" : "s"}`, {
    details: result.errors,
    position: result.errors[0]?.position,
  });
}

/**
 * An `if:` may be a bare expression, which the schema reader leaves as a
 * string; it is checked here with the contexts the schema allows at that
 * place. Wrapped `${{ }}` conditions were already checked by the reader.
 */
function checkCondition(
  site: ConditionSite,
  tokens: Map<string, TemplateToken[]>,
  existing: SlipwayErrorDetail[],
): SlipwayErrorDetail | undefined {
  const pos = site.position;
  const token = tokens.get(`${pos.line}:${pos.col}`)?.find((t) => t.isScalar);
  if (!token || isBasicExpression(token)) return undefined;
  const text = site.text.trim();
  if (text.includes("${{")) return undefined;
  // Already reported at this place (e.g. a wrong type): do not pile on.
  if (existing.some((e) => e.position?.line === pos.line && e.position?.col === pos.col)) return undefined;
  try {
    ExpressionToken.validateExpression(text, token.definitionInfo?.allowedContext ?? []);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return {
      message: `invalid expression in if: ${message}`,
      position: { ...pos, col: pos.col + offsetInCondition(site, err) },
      hint: ERROR_CODES.EXPRESSION_SYNTAX.hint,
    };
  }
  return undefined;
}

/**
 * Where in an unquoted one-line `if:` the expression parser stopped, as a
 * column offset from the start of the value (0 when unknown).
 */
function offsetInCondition(site: ConditionSite, err: unknown): number {
  const at = (err as { pos?: { line?: number; column?: number } }).pos;
  const scalar = site.node as { type?: string } | null | undefined;
  if (!at || typeof at.column !== "number" || at.line !== 0 || scalar?.type !== "PLAIN" || site.text.includes("\n")) return 0;
  return site.text.length - site.text.trimStart().length + at.column;
}

function dedupe(errors: SlipwayErrorDetail[]): SlipwayErrorDetail[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const key = `${e.position?.line}:${e.position?.col}:${e.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function yamlError(raw: string, position: SourcePosition): SlipwayErrorDetail {
  // The position is reported separately; the `yaml` package repeats it in the text.
  const text = (raw.split("\n")[0] ?? raw).replace(/ at line \d+, column \d+:?\s*$/, "").trim();
  if (text.startsWith("Source contains multiple documents")) {
    return {
      message: "the file holds more than one YAML document",
      position,
      hint: "Keep one workflow per file: remove the `---` that starts a second document.",
    };
  }
  return {
    message: `YAML syntax error: ${text}`,
    position,
    hint: "Check indentation (spaces, not tabs), a missing `:` after a key, and quotes around values that contain `: ` or start with `*`, `&`, `{` or `[`.",
  };
}

function stripComments(text: string): string {
  return text
    .split("\n")
    .filter((line) => !/^\s*(#.*)?$/.test(line) && line.trim() !== "---")
    .join("\n")
    .trim();
}

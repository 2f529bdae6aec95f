/**
 * Evaluation of expressions, template strings, templates and conditions with
 * GitHub's semantics, on top of the `@actions/expressions` evaluator.
 * Everything here takes and returns plain JSON-like values.
 */
import { Evaluator, data } from "@actions/expressions";
import { SlipwayError } from "../../lib/index.js";
import type { Contexts } from "../../protocol/index.js";
import type { Template } from "../model.js";
import { FunctionError, functionTable } from "./functions.js";
import {
  ExpressionParseError,
  KNOWN_CONTEXTS,
  UNCLOSED_MESSAGE,
  parseExpression,
  parseSpan,
  scanExpressions,
  splitTemplate,
} from "./parse.js";
import type { ParsedExpression, TemplateSegment } from "./parse.js";
import type { EvaluateOptions, ExpressionSyntaxError } from "./types.js";
import { ContextsDictionary, isTruthy, toPlainValue } from "./values.js";

type ExpressionData = data.ExpressionData;

function syntaxError(text: string, error: ExpressionParseError, options: EvaluateOptions): SlipwayError {
  return new SlipwayError(
    "EXPRESSION_SYNTAX",
    `Invalid expression in '${text}': ${error.message} (at character ${error.offset + 1})`,
    { position: options.position },
  );
}

function hasContext(contexts: Contexts, name: string): boolean {
  if (Object.prototype.hasOwnProperty.call(contexts, name)) return true;
  const lower = name.toLowerCase();
  for (const key of Object.keys(contexts)) if (key.toLowerCase() === lower) return true;
  return false;
}

/** Checks the named values of an expression against the contexts given; GitHub rejects unknown ones before evaluating. */
function checkNamedValues(parsed: ParsedExpression, contexts: Contexts, base: number): ExpressionParseError | undefined {
  for (const { name, offset } of parsed.contextNames) {
    if (!hasContext(contexts, name)) return new ExpressionParseError(`Unrecognized named-value: '${name}'`, base + offset);
  }
  return undefined;
}

/** The first FunctionError in an error's cause chain (the evaluator re-wraps errors raised inside an index). */
function findFunctionError(error: unknown): FunctionError | undefined {
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 10; depth++) {
    if (current instanceof FunctionError) return current;
    current = current.cause;
  }
  return undefined;
}

function evaluateParsed(parsed: ParsedExpression, contexts: Contexts, options: EvaluateOptions): ExpressionData {
  if (parsed.ast === undefined) return new data.Null();
  try {
    return new Evaluator(parsed.ast, new ContextsDictionary(contexts), functionTable(options)).evaluate();
  } catch (error) {
    const failure = findFunctionError(error);
    if (failure === undefined) throw error;
    throw new SlipwayError("EXPRESSION_EVALUATION", `Expression '${parsed.text.trim()}' failed: ${failure.message}`, {
      position: options.position,
    });
  }
}

function parseBare(expr: string, contexts: Contexts, options: EvaluateOptions): ParsedExpression {
  let parsed: ParsedExpression;
  try {
    parsed = parseExpression(expr);
  } catch (error) {
    if (error instanceof ExpressionParseError) throw syntaxError(expr, error, options);
    throw error;
  }
  if (parsed.ast === undefined) throw syntaxError(expr, new ExpressionParseError("An expression was expected", 0), options);
  const unknown = checkNamedValues(parsed, contexts, 0);
  if (unknown) throw syntaxError(expr, unknown, options);
  return parsed;
}

function splitChecked(text: string, contexts: Contexts, options: EvaluateOptions): TemplateSegment[] | null {
  let segments: TemplateSegment[] | null;
  try {
    segments = splitTemplate(text);
  } catch (error) {
    if (error instanceof ExpressionParseError) throw syntaxError(text, error, options);
    throw error;
  }
  if (segments === null) return null;
  for (const segment of segments) {
    if (segment.kind !== "expression") continue;
    const unknown = checkNamedValues(segment.expr, contexts, segment.offset);
    if (unknown) throw syntaxError(text, unknown, options);
  }
  return segments;
}

function joinSegments(segments: TemplateSegment[], contexts: Contexts, options: EvaluateOptions): string {
  let out = "";
  for (const segment of segments) {
    out += segment.kind === "literal" ? segment.text : evaluateParsed(segment.expr, contexts, options).coerceString();
  }
  return out;
}

/** The value of a bare expression (no `${{ }}`) as plain JSON-like data. */
export function evaluateExpression(expr: string, contexts: Contexts, options: EvaluateOptions = {}): unknown {
  return toPlainValue(evaluateParsed(parseBare(expr, contexts, options), contexts, options));
}

/** `text` with every `${{ }}` replaced by its value converted to a string as GitHub does. */
export function interpolateString(text: string, contexts: Contexts, options: EvaluateOptions = {}): string {
  const segments = splitChecked(text, contexts, options);
  return segments === null ? text : joinSegments(segments, contexts, options);
}

function isInsertKey(key: string): boolean {
  return /^\$\{\{\s*insert\s*\}\}$/i.test(key);
}

function evaluateString(text: string, contexts: Contexts, options: EvaluateOptions): unknown {
  const segments = splitChecked(text, contexts, options);
  if (segments === null) return text;
  const only = segments[0];
  if (segments.length === 1 && only?.kind === "expression") {
    return toPlainValue(evaluateParsed(only.expr, contexts, options));
  }
  return joinSegments(segments, contexts, options);
}

function evaluateNode(value: Template, contexts: Contexts, options: EvaluateOptions): unknown {
  if (typeof value === "string") return evaluateString(value, contexts, options);
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((item) => evaluateNode(item, contexts, options));
  const out: Record<string, unknown> = {};
  const define = (key: string, item: unknown): void => {
    if (Object.prototype.hasOwnProperty.call(out, key)) {
      throw new SlipwayError("EXPRESSION_EVALUATION", `The key '${key}' is already defined in this mapping`, {
        position: options.position,
        hint: "Each key of a mapping may appear once, including keys added by ${{ insert }} or computed by an expression.",
      });
    }
    out[key] = item;
  };
  for (const [rawKey, rawValue] of Object.entries(value)) {
    if (isInsertKey(rawKey)) {
      const inserted = evaluateNode(rawValue, contexts, options);
      if (inserted === null || typeof inserted !== "object" || Array.isArray(inserted)) {
        throw new SlipwayError("EXPRESSION_EVALUATION", "The value of a `${{ insert }}` key must evaluate to a mapping", {
          position: options.position,
        });
      }
      for (const [k, v] of Object.entries(inserted)) define(k, v);
      continue;
    }
    const key = rawKey.includes("${{") ? interpolateString(rawKey, contexts, options) : rawKey;
    define(key, evaluateNode(rawValue, contexts, options));
  }
  return out;
}

/**
 * A Template with every string interpolated: a string that is exactly one
 * `${{ x }}` keeps the value's type, `${{ insert }}` keys merge a mapping into
 * the enclosing one, and keys holding expressions are evaluated.
 */
export function evaluateTemplate(value: Template, contexts: Contexts, options: EvaluateOptions = {}): unknown {
  return evaluateNode(value, contexts, options);
}

/**
 * An `if:` value, bare or wrapped in `${{ }}`. Unless the condition calls
 * success(), failure(), cancelled() or always(), GitHub evaluates it as
 * `success() && (condition)`. A missing or empty condition means success().
 * A value mixing text and `${{ }}` parts is a string, true when not empty.
 */
export function evaluateCondition(condition: string | undefined, contexts: Contexts, options: EvaluateOptions = {}): boolean {
  const success = options.status?.success ?? true;
  const text = (condition ?? "").trim();
  if (text === "") return success;
  const segments = splitChecked(text, contexts, options);
  let parsed: ParsedExpression;
  if (segments === null) {
    parsed = parseBare(text, contexts, options);
  } else if (segments.length === 1 && segments[0]?.kind === "expression") {
    parsed = segments[0].expr;
  } else {
    const usesStatus = segments.some((s) => s.kind === "expression" && s.expr.usesStatusFunction);
    if (!usesStatus && !success) return false;
    return joinSegments(segments, contexts, options).length > 0;
  }
  if (!parsed.usesStatusFunction && !success) return false;
  return isTruthy(evaluateParsed(parsed, contexts, options));
}

/**
 * Syntax errors of every `${{ }}` in `text`, including named values that are
 * not GitHub contexts. Offsets are 0-based within `text`.
 */
export function findExpressionErrors(text: string): ExpressionSyntaxError[] {
  const errors: ExpressionSyntaxError[] = [];
  const { spans, unclosedAt } = scanExpressions(text);
  const known = Object.fromEntries(KNOWN_CONTEXTS.map((name) => [name, true]));
  for (const span of spans) {
    const parsed = parseSpan(text, span);
    if (parsed instanceof ExpressionParseError) {
      errors.push({ message: parsed.message, offset: parsed.offset });
      continue;
    }
    const unknown = checkNamedValues(parsed, known, span.exprStart);
    if (unknown) errors.push({ message: unknown.message, offset: unknown.offset });
  }
  if (unclosedAt !== undefined) errors.push({ message: UNCLOSED_MESSAGE, offset: unclosedAt });
  return errors;
}

/**
 * Parsing: expressions through GitHub's `@actions/expressions` lexer and
 * parser, and template strings split into literal and `${{ }}` parts.
 * Both are cached by text, so a workflow evaluated for many jobs, steps and
 * matrix legs parses each distinct expression once.
 */
import { Lexer, Parser, data } from "@actions/expressions";
import { Binary, ContextAccess, FunctionCall, Grouping, IndexAccess, Literal, Logical, Unary } from "@actions/expressions/ast";
import type { Expr } from "@actions/expressions/ast";
import { TokenType } from "@actions/expressions/lexer";

/** Functions GitHub provides beyond the built-ins of `@actions/expressions`. */
const STATUS_FUNCTIONS = ["success", "failure", "cancelled", "always"] as const;
const EXTENSION_FUNCTIONS = [
  ...STATUS_FUNCTIONS.map((name) => ({ name, minArgs: 0, maxArgs: 0 })),
  { name: "hashFiles", minArgs: 1, maxArgs: 255 },
];

/** Context names GitHub knows; used where no contexts are at hand (findExpressionErrors). */
export const KNOWN_CONTEXTS = [
  "github", "env", "vars", "secrets", "inputs", "matrix", "strategy", "needs", "job", "jobs", "runner", "steps",
] as const;

/** A syntax error inside one expression; `offset` is 0-based within the expression text. */
export class ExpressionParseError extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.name = "ExpressionParseError";
    this.offset = offset;
  }
}

export interface ParsedExpression {
  /** The expression as written (without `${{ }}`). */
  text: string;
  /** The syntax tree; undefined for an empty expression. */
  ast: Expr | undefined;
  /** Named values (contexts) read by the expression, with their offsets, for validation against the contexts given. */
  contextNames: { name: string; offset: number }[];
  /** Whether success(), failure(), cancelled() or always() appears (decides the implied `success() &&` of conditions). */
  usesStatusFunction: boolean;
}

export type TemplateSegment =
  | { kind: "literal"; text: string }
  /** `offset`: where the expression text starts within the template string. */
  | { kind: "expression"; expr: ParsedExpression; offset: number };

const CACHE_LIMIT = 10_000;
const expressionCache = new Map<string, ParsedExpression | ExpressionParseError>();
const templateCache = new Map<string, TemplateSegment[] | ExpressionParseError | null>();

function remember<V>(cache: Map<string, V>, key: string, value: V): V {
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, value);
  return value;
}

/** Offset within `text` of a 0-based line/column position. */
function offsetOf(text: string, line: number, column: number): number {
  let offset = 0;
  for (let l = 0; l < line; l++) {
    const nl = text.indexOf("\n", offset);
    if (nl < 0) break;
    offset = nl + 1;
  }
  return Math.min(offset + column, text.length);
}

function toParseError(text: string, error: unknown): ExpressionParseError {
  if (!(error instanceof Error)) throw error;
  const pos = (error as { pos?: { line: number; column: number } }).pos;
  if (pos) return new ExpressionParseError(error.message, offsetOf(text, pos.line, pos.column));
  const located = /Located at position (\d+)/.exec(error.message);
  if (located) {
    const offset = Number(located[1]) - 1;
    return new ExpressionParseError(`Unexpected symbol: '${text.slice(offset)}'`, offset);
  }
  if (error.message === "ErrorExceededMaxLength") {
    return new ExpressionParseError("Exceeded max expression length 21000", 0);
  }
  throw error;
}

/**
 * Walks the tree: records named values and status-function calls, and
 * replaces string literals by their value with every `''` unescaped (the
 * library's lexer unescapes only the first).
 */
function inspect(text: string, node: Expr | undefined, out: ParsedExpression): void {
  if (node === undefined) return;
  if (node instanceof Literal) {
    if (node.token.type === TokenType.STRING) {
      node.literal = new data.StringData(node.token.lexeme.slice(1, -1).replaceAll("''", "'"));
    }
  } else if (node instanceof ContextAccess) {
    const start = node.name.range.start;
    out.contextNames.push({ name: node.name.lexeme, offset: offsetOf(text, start.line, start.column) });
  } else if (node instanceof FunctionCall) {
    const name = node.functionName.lexeme.toLowerCase();
    if ((STATUS_FUNCTIONS as readonly string[]).includes(name)) out.usesStatusFunction = true;
    for (const arg of node.args) inspect(text, arg, out);
  } else if (node instanceof Unary) {
    inspect(text, node.expr, out);
  } else if (node instanceof Binary) {
    inspect(text, node.left, out);
    inspect(text, node.right, out);
  } else if (node instanceof Logical) {
    for (const arg of node.args) inspect(text, arg, out);
  } else if (node instanceof Grouping) {
    inspect(text, node.group, out);
  } else if (node instanceof IndexAccess) {
    inspect(text, node.expr, out);
    inspect(text, node.index, out);
  }
}

function parseUncached(text: string): ParsedExpression | ExpressionParseError {
  try {
    const { tokens } = new Lexer(text).lex();
    // Every identifier is accepted as a context name here; names are checked
    // against the contexts at evaluation, so one parse serves every caller.
    const identifiers = tokens.filter((t) => t.type === TokenType.IDENTIFIER).map((t) => t.lexeme);
    const ast = new Parser(tokens, identifiers, EXTENSION_FUNCTIONS).parse() as Expr | undefined;
    const parsed: ParsedExpression = { text, ast, contextNames: [], usesStatusFunction: false };
    inspect(text, ast, parsed);
    return parsed;
  } catch (error) {
    return toParseError(text, error);
  }
}

/** Parses one bare expression (cached). Throws ExpressionParseError. */
export function parseExpression(text: string): ParsedExpression {
  const parsed = parseCached(text);
  if (parsed instanceof ExpressionParseError) throw parsed;
  return parsed;
}

/** One `${{ }}` found in a string: offsets of `${{`, of the expression text, and of the closing `}}`. */
export interface ExpressionSpan {
  start: number;
  exprStart: number;
  end: number;
}

/**
 * Finds every `${{ }}` in `text`. The closing `}}` is the first one outside a
 * single-quoted string literal. `unclosedAt` is the offset of a `${{` that
 * has no closing `}}` (scanning stops there).
 */
export function scanExpressions(text: string): { spans: ExpressionSpan[]; unclosedAt?: number } {
  const spans: ExpressionSpan[] = [];
  let start = text.indexOf("${{");
  while (start >= 0) {
    let inString = false;
    let end = -1;
    for (let i = start + 3; i < text.length; i++) {
      const c = text[i];
      if (c === "'") inString = !inString;
      else if (!inString && c === "}" && text[i + 1] === "}") {
        end = i;
        break;
      }
    }
    if (end < 0) return { spans, unclosedAt: start };
    spans.push({ start, exprStart: start + 3, end });
    start = text.indexOf("${{", end + 2);
  }
  return { spans };
}

export const UNCLOSED_MESSAGE =
  "The expression is not closed. An unescaped ${{ sequence was found, but the closing }} sequence was not found.";
const EMPTY_MESSAGE = "An expression was expected between ${{ and }}.";

function parseCached(text: string): ParsedExpression | ExpressionParseError {
  return expressionCache.get(text) ?? remember(expressionCache, text, parseUncached(text));
}

/** Parses the text of one span; errors carry offsets within the whole string. */
export function parseSpan(text: string, span: ExpressionSpan): ParsedExpression | ExpressionParseError {
  const parsed = parseCached(text.slice(span.exprStart, span.end));
  if (parsed instanceof ExpressionParseError) {
    return new ExpressionParseError(parsed.message, span.exprStart + parsed.offset);
  }
  if (parsed.ast === undefined) return new ExpressionParseError(EMPTY_MESSAGE, span.start);
  return parsed;
}

function splitUncached(text: string): TemplateSegment[] | ExpressionParseError | null {
  if (!text.includes("${{")) return null;
  const { spans, unclosedAt } = scanExpressions(text);
  const segments: TemplateSegment[] = [];
  let literalFrom = 0;
  for (const span of spans) {
    const parsed = parseSpan(text, span);
    if (parsed instanceof ExpressionParseError) return parsed;
    if (span.start > literalFrom) segments.push({ kind: "literal", text: text.slice(literalFrom, span.start) });
    segments.push({ kind: "expression", expr: parsed, offset: span.exprStart });
    literalFrom = span.end + 2;
  }
  if (unclosedAt !== undefined) return new ExpressionParseError(UNCLOSED_MESSAGE, unclosedAt);
  if (literalFrom < text.length) segments.push({ kind: "literal", text: text.slice(literalFrom) });
  return segments;
}

/**
 * Splits a template string into literal and expression parts (cached).
 * Returns null when the string holds no `${{`. Throws ExpressionParseError
 * with the offset within `text`.
 */
export function splitTemplate(text: string): TemplateSegment[] | null {
  if (!text.includes("${{")) return null;
  let segments = templateCache.get(text);
  if (segments === undefined) segments = remember(templateCache, text, splitUncached(text));
  if (segments instanceof ExpressionParseError) throw segments;
  return segments;
}

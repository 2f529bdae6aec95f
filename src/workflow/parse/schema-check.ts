/**
 * Schema validation through GitHub's own `@actions/workflow-parser`.
 *
 * It reads the YAML (with the `yaml` package), checks the document against
 * GitHub's workflow schema (keys, value types, required keys, where
 * expressions are allowed) and parses every `${{ }}` with
 * `@actions/expressions`. We keep its findings but reword them for humans,
 * and hand back the `yaml` document it parsed so the model is built from the
 * same parse, with positions.
 */
import type { Document, LineCounter } from "yaml";
import { TemplateContext, TemplateValidationErrors } from "@actions/workflow-parser/templates/template-context";
import { readTemplate } from "@actions/workflow-parser/templates/template-reader";
import { getWorkflowSchema } from "@actions/workflow-parser/workflows/workflow-schema";
import { YamlObjectReader } from "@actions/workflow-parser/workflows/yaml-object-reader";
import { WORKFLOW_ROOT } from "@actions/workflow-parser/workflows/workflow-constants";
import { NoOperationTraceWriter } from "@actions/workflow-parser/templates/trace-writer";
import { TemplateToken } from "@actions/workflow-parser/templates/tokens/template-token";
import { isMapping } from "@actions/workflow-parser/templates/tokens/type-guards";
import { convertOn } from "@actions/workflow-parser/model/converter/events";
import type { TokenRange } from "@actions/workflow-parser/templates/tokens/token-range";

/** One finding of the library, still in its own words, at a 1-based position. */
export interface RawFinding {
  message: string;
  line: number;
  col: number;
}

export interface SchemaCheckResult {
  /** YAML syntax errors; when there are any, nothing else was checked. */
  yamlErrors: RawFinding[];
  /** Schema, expression and trigger findings. */
  findings: RawFinding[];
  /** The parsed document and its line index (absent only if the library changed shape). */
  doc?: Document.Parsed;
  lineCounter?: LineCounter;
  /** The validated token tree (keys and values carry their schema definitions). */
  root?: TemplateToken;
}

/** What the library's reader exposes at run time but declares private. */
interface ReaderInternals {
  doc?: Document.Parsed;
  lineCounter?: LineCounter;
}

export function checkAgainstSchema(file: string, text: string): SchemaCheckResult {
  const context = new TemplateContext(new TemplateValidationErrors(), getWorkflowSchema(), new NoOperationTraceWriter());
  const fileId = context.getFileId(file);
  const reader = new YamlObjectReader(fileId, text);
  const internals = reader as unknown as ReaderInternals;
  const result: SchemaCheckResult = {
    yamlErrors: [],
    findings: [],
    doc: internals.doc,
    lineCounter: internals.lineCounter,
  };
  if (reader.errors.length > 0) {
    result.yamlErrors = reader.errors.map((e) => ({ message: e.message, ...startOf(e.range) }));
    return result;
  }
  const root = readTemplate(context, WORKFLOW_ROOT, reader, fileId);
  result.root = root;
  if (root && isMapping(root)) {
    const on = root.find("on");
    if (on) {
      // Checks the schema cannot express: cron syntax, choice options, defaults.
      try {
        convertOn(context, on);
      } catch (err) {
        const token = (err as { token?: TemplateToken }).token ?? on;
        context.error(token, err);
      }
    }
  }
  for (const e of context.errors.getErrors()) {
    result.findings.push({ message: e.rawMessage, ...startOf(e.range) });
  }
  return result;
}

function startOf(range: TokenRange | undefined): { line: number; col: number } {
  return range ? { line: range.start.line, col: range.start.column } : { line: 1, col: 1 };
}

/** Index of every token of the tree by its start position, `line:col`. */
export function indexTokens(root: TemplateToken | undefined): Map<string, TemplateToken[]> {
  const index = new Map<string, TemplateToken[]>();
  if (!root) return index;
  for (const [, token] of TemplateToken.traverse(root)) {
    if (!token.range) continue;
    const key = `${token.range.start.line}:${token.range.start.column}`;
    const list = index.get(key);
    if (list) list.push(token);
    else index.set(key, [token]);
  }
  return index;
}

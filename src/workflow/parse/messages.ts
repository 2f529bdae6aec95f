/**
 * Rewords the findings of `@actions/workflow-parser` for humans: where the
 * finding is (job, step, key path), what was expected (from the schema
 * definitions attached to the validated tokens), and how to fix it.
 */
import { isMap, isPair, isScalar, isSeq, type Node } from "yaml";
import type { SlipwayErrorDetail } from "../../lib/index.js";
import { ERROR_CODES } from "../../lib/index.js";
import { DefinitionType } from "@actions/workflow-parser/templates/schema/definition-type";
import type { MappingDefinition } from "@actions/workflow-parser/templates/schema/mapping-definition";
import type { SequenceDefinition } from "@actions/workflow-parser/templates/schema/sequence-definition";
import { DefinitionInfo } from "@actions/workflow-parser/templates/schema/definition-info";
import type { Definition } from "@actions/workflow-parser/templates/schema/definition";
import type { TemplateToken } from "@actions/workflow-parser/templates/tokens/template-token";
import type { RawFinding } from "./schema-check.js";
import { closest } from "./suggest.js";
import type { NodeReader } from "./yaml-nodes.js";

type PathPart = string | number;

interface Located {
  path: PathPart[];
  /** The finding points at a mapping key (rather than a value). */
  atKey: boolean;
  /** The mapping that holds the key or value pointed at. */
  parent?: Node;
  /** The key of the pair whose key or value is pointed at. */
  keyNode?: Node;
}

/** Findings about a whole mapping, which the library places at the mapping's first key. */
const MAPPING_FINDINGS = [
  /^Required property is missing: /,
  /^There's not enough info to determine what you meant/,
  /^A mapping was not expected$/,
  /^Missing 'options' for choice input$/,
  /^Input type is not 'choice', but 'options' is defined$/,
];

/** Keys that belong to one kind of step only. */
const RUN_STEP_KEYS = ["run", "shell", "working-directory"];
const USES_STEP_KEYS = ["uses", "with"];
/** Step keys the schema knows behind a feature flag that is off; never suggested. */
const HIDDEN_KEYS = new Set(["background", "wait", "wait-all", "cancel", "parallel"]);

function isStepPath(path: PathPart[]): boolean {
  return path.length >= 4 && path[0] === "jobs" && path[2] === "steps" && typeof path[3] === "number";
}

/** Findings the model builder reports in its own words; the library's versions are dropped. */
function isCoveredByBuilder(f: RawFinding, loc: Located): boolean {
  if (!isStepPath(loc.path)) return false;
  if (f.message.startsWith("There's not enough info to determine what you meant")) return loc.path.length === 4;
  if (f.message === "Unexpected value ''" && loc.path.length === 4) return true;
  if (loc.atKey && loc.path.length === 5) {
    const key = String(loc.path[4]);
    // A step with both run and uses is reported once, as such; the library
    // instead flags the keys of whichever kind it did not pick.
    const keys = isMap(loc.parent) ? loc.parent.items.map((p) => (isPair(p) && isScalar(p.key) ? String(p.key.value) : "")) : [];
    const both = keys.includes("run") && keys.includes("uses");
    if (both && (RUN_STEP_KEYS.includes(key) || USES_STEP_KEYS.includes(key))) return true;
  }
  return false;
}

/**
 * Findings we accept on purpose. A workflow_call input without `type:` is
 * refused by GitHub but run by act (as a string input); existing workflows
 * rely on that, so it is treated as `type: string`.
 */
function isTolerated(f: RawFinding, loc: Located): boolean {
  return (
    f.message === "Required property is missing: type" &&
    loc.path.length === 4 &&
    loc.path[0] === "on" &&
    loc.path[1] === "workflow_call" &&
    loc.path[2] === "inputs"
  );
}

export function rephraseFinding(
  f: RawFinding,
  r: NodeReader,
  tokens: Map<string, TemplateToken[]>,
): SlipwayErrorDetail | undefined {
  let loc = locate(r, f.line, f.col);
  let position = { file: r.file, line: f.line, col: f.col };
  if (loc.atKey && MAPPING_FINDINGS.some((p) => p.test(f.message))) {
    const path = loc.path.slice(0, -1);
    const owner = ownerAt(r, path);
    loc = { path, atKey: false };
    if (owner) {
      position = r.position(owner.node, position);
      if (typeof path[path.length - 1] === "string") loc.keyNode = owner.node;
      else loc.parent = owner.container;
    }
  }
  if (isCoveredByBuilder(f, loc) || isTolerated(f, loc)) return undefined;
  const where = describe(loc.path);
  const keyName = lastKey(loc.path);
  const m = f.message;
  let match: RegExpMatchArray | null;

  if ((match = m.match(/^Unexpected value '(.*)'$/s))) {
    const value = match[1] ?? "";
    if (loc.atKey && isStepPath(loc.path) && loc.path.length === 5 && (RUN_STEP_KEYS.includes(value) || USES_STEP_KEYS.includes(value))) {
      const runKey = RUN_STEP_KEYS.includes(value);
      return {
        message: `'${value}' is not allowed in ${describe(loc.path.slice(0, -1))}: it only applies to ${runKey ? "run:" : "uses:"} steps`,
        position,
        hint: runKey
          ? "An action's steps run with the shell and directory the action defines; pass settings to it through with:."
          : "with: passes inputs to an action (uses:); give a command its values through env:.",
      };
    }
    if (!loc.atKey && isStepPath(loc.path) && loc.path.length === 4 && value !== "") {
      return {
        message: `${where} is the text '${value}', not a step`,
        position,
        hint: `A step is a mapping: write \`- run: ${value}\` to run it as a command, or \`- uses: OWNER/REPO@REF\` for an action.`,
      };
    }
    if (loc.atKey) {
      const allowed = allowedKeys(loc.parent, r, tokens);
      const guess = closest(value, allowed);
      const listed = allowed.length > 0 ? `Allowed keys here: ${allowed.join(", ")}.` : "Check the spelling against the workflow syntax reference.";
      return {
        message: `unknown key '${value}' in ${describe(loc.path.slice(0, -1))}`,
        position,
        hint: guess ? `Did you mean '${guess}'? ${listed}` : listed,
      };
    }
    const info = expectedDefinition(loc, r, tokens);
    const expected = describeExpected(info);
    const guess = value === "" ? undefined : closest(value, constantsOf(info));
    return {
      message: value === "" ? `${where} has no value` : `'${value}' is not a valid value for ${where}`,
      position,
      hint: `${guess ? `Did you mean '${guess}'? ` : ""}${expected ? `Expected ${expected}.` : `Check the value of ${keyName ?? "this key"} against the workflow syntax reference.`}`,
    };
  }
  if ((match = m.match(/^Required property is missing: (.*)$/))) {
    const prop = match[1] ?? "";
    return { message: `${where} has no '${prop}'`, position, hint: missingHint(prop) };
  }
  if (m === "A sequence was not expected" || m === "A mapping was not expected") {
    const kind = m.includes("sequence") ? "a list" : "a mapping";
    const expected = describeExpected(expectedDefinition(loc, r, tokens));
    return {
      message: `${where} cannot be ${kind}`,
      position,
      hint: expected ? `Expected ${expected}.` : "Check the shape of this value against the workflow syntax reference.",
    };
  }
  if ((match = m.match(/^'(.*)' is already defined$/s))) {
    return {
      message: `key '${match[1]}' appears twice in ${describe(loc.path.slice(0, -1))}`,
      position,
      hint: "Keys are compared without case; keep one of them.",
    };
  }
  if (m === "A template expression is not allowed in this context") {
    return {
      message: `an expression (\${{ }}) is not allowed in ${where}`,
      position,
      hint: "GitHub reads this value before any expression context exists; write a literal value.",
    };
  }
  if (m === "Missing 'options' for choice input") {
    return { message: `${where} is a choice without options`, position, hint: "Add `options:` with the values to choose from." };
  }
  if (m === "Input type is not 'choice', but 'options' is defined") {
    return { message: `${where} has options but is not a choice`, position, hint: "Set `type: choice`, or remove `options:`." };
  }
  if ((match = m.match(/^Unexpected type '(\w+?)(?:Token)?' encountered while reading '.*'\. The type '(\w+?)(?:Token)?' was expected\.$/s))) {
    const kind = (t: string) => ({ String: "a string", Boolean: "true or false", Number: "a number", Mapping: "a mapping", Sequence: "a list", Null: "empty" })[t] ?? t;
    return {
      message: `${where} must be ${kind(match[2] ?? "")}, not ${kind(match[1] ?? "")}`,
      position,
      hint: `Write ${kind(match[2] ?? "")} here.`,
    };
  }
  if (m.startsWith("Invalid cron expression")) {
    return {
      message: `${where} is not a valid cron expression`,
      position,
      hint: "Use five fields: minute hour day-of-month month day-of-week, e.g. '30 5 * * 1-5'.",
    };
  }
  if (m.startsWith("There's not enough info to determine what you meant")) {
    const props = m.replace(/^.*properties: /, "");
    return { message: `${where} is incomplete`, position, hint: `Add one of: ${props}.` };
  }
  if (isExpressionMessage(m)) {
    return { message: `invalid expression in ${where}: ${m}`, position, hint: ERROR_CODES.EXPRESSION_SYNTAX.hint };
  }
  return { message: `${where}: ${m}`, position, hint: ERROR_CODES.WORKFLOW_INVALID.hint };
}

/** Messages of `@actions/expressions` (lexer and parser) and of the reader's `${{ }}` scanning. */
function isExpressionMessage(m: string): boolean {
  return /^(Unexpected symbol|Unexpected end of expression|Unrecognized named-value|Unrecognized function|Too few parameters|Too many parameters|Even number of parameters|Exceeded max expression|The expression is not closed|An expression was expected|Exactly \d+ parameter)/.test(
    m,
  );
}

function missingHint(prop: string): string {
  switch (prop) {
    case "on":
      return "Add `on:` with the events that start the workflow, e.g. `on: push`.";
    case "jobs":
      return "Add `jobs:` with at least one job.";
    case "runs-on":
      return "Add `runs-on: ubuntu-latest` (or your runner's labels), or `uses:` to call a reusable workflow.";
    default:
      return `Add '${prop}:'.`;
  }
}

/** The path of keys and indexes to the node at a 1-based position. */
function locate(r: NodeReader, line: number, col: number): Located {
  const offset = r.offset(line, col);
  const path: PathPart[] = [];
  let node: unknown = r.doc.contents;
  let parent: Node | undefined;
  const atKey = false;
  let keyNode: Node | undefined;
  for (let depth = 0; depth < 200; depth++) {
    node = r.deref(node);
    if (isMap(node)) {
      let next: unknown;
      // Exact ranges first; then ranges with their trailing space, where an
      // empty value (a lone `-`, `key:`) sits.
      for (const loose of [false, true]) {
        for (const pair of node.items) {
          if (!isPair(pair)) continue;
          const key = pair.key as Node | null;
          const value = pair.value as Node | null;
          if (key && contains(key, offset, loose)) {
            path.push(r.string(key) ?? "?");
            return { path, atKey: true, parent: node, keyNode: key };
          }
          if (value && contains(value, offset, loose)) {
            path.push(r.string(key) ?? "?");
            parent = node;
            keyNode = key ?? undefined;
            next = value;
            break;
          }
        }
        if (next !== undefined) break;
      }
      if (next === undefined) break;
      node = next;
      continue;
    }
    if (isSeq(node)) {
      let next: unknown;
      for (const loose of [false, true]) {
        const i = node.items.findIndex((item) => item !== null && contains(item as Node, offset, loose));
        if (i >= 0) {
          path.push(i);
          next = node.items[i];
          break;
        }
      }
      if (next === undefined) break;
      parent = node;
      keyNode = undefined;
      node = next;
      continue;
    }
    break;
  }
  return { path, atKey, parent, keyNode };
}

/** The validated tokens at a node's position (a key token carries its value's definition). */
function tokensAt(tokens: Map<string, TemplateToken[]>, r: NodeReader, node: Node | undefined): TemplateToken[] | undefined {
  if (!node) return undefined;
  const pos = r.position(node);
  return tokens.get(`${pos.line}:${pos.col}`);
}

function contains(node: Node, offset: number, loose: boolean): boolean {
  const range = node.range;
  if (!range) return false;
  if (loose) return offset >= range[0] && offset <= range[2];
  return offset >= range[0] && offset < Math.max(range[1], range[0] + 1);
}

/** The key (or list item) that holds the node at `path`, and the collection it sits in. */
function ownerAt(r: NodeReader, path: PathPart[]): { node: Node; container: Node } | undefined {
  let node: unknown = r.doc.contents;
  let owner: { node: Node; container: Node } | undefined;
  for (const part of path) {
    if (typeof part === "number") {
      const seq = r.seq(node);
      const item = seq?.items[part] as Node | null | undefined;
      if (!seq || !item) return undefined;
      owner = { node: item, container: seq };
      node = item;
    } else {
      const map = r.map(node);
      const pair = map?.items.find((p) => isPair(p) && r.string(p.key) === part);
      if (!map || !pair || !pair.key) return undefined;
      owner = { node: pair.key as Node, container: map };
      node = pair.value;
    }
  }
  return owner;
}

function lastKey(path: PathPart[]): string | undefined {
  for (let i = path.length - 1; i >= 0; i--) if (typeof path[i] === "string") return path[i] as string;
  return undefined;
}

/** "job 'build'", "step 2 of job 'build'", "'on.push.branches'", "the workflow". */
function describe(path: PathPart[]): string {
  if (path.length === 0) return "the workflow";
  if (path[0] === "on" && path[2] === "inputs" && path.length >= 4) {
    const input = `input '${path[3]}' of on.${path[1]}`;
    return path.length === 4 ? input : `'${dotted(path.slice(4))}' of ${input}`;
  }
  if (path[0] === "jobs" && path.length >= 2) {
    const job = `job '${path[1]}'`;
    if (path.length === 2) return job;
    if (path[2] === "steps" && typeof path[3] === "number") {
      const step = `step ${path[3] + 1} of ${job}`;
      if (path.length === 4) return step;
      return `'${dotted(path.slice(4))}' of ${step}`;
    }
    return `'${dotted(path.slice(2))}' of ${job}`;
  }
  return `'${dotted(path)}'`;
}

function dotted(path: PathPart[]): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");
}

/** Keys the schema allows in the mapping `parent` (found through its validated token). */
function allowedKeys(parent: Node | undefined, r: NodeReader, tokens: Map<string, TemplateToken[]>): string[] {
  if (!parent) return [];
  const pos = r.position(parent);
  const token = tokens.get(`${pos.line}:${pos.col}`)?.find((t) => t.definitionInfo && !t.isScalar);
  const info = token?.definitionInfo;
  if (!info) return [];
  const keys = new Set<string>();
  for (const def of info.getDefinitionsOfType(DefinitionType.Mapping)) {
    for (const k of Object.keys((def as MappingDefinition).properties)) if (!HIDDEN_KEYS.has(k)) keys.add(k);
  }
  return [...keys].sort();
}

/**
 * The schema definition of the value pointed at: carried by its key token in
 * a mapping, or the item type of the enclosing list's definition.
 */
function expectedDefinition(loc: Located, r: NodeReader, tokens: Map<string, TemplateToken[]>): DefinitionInfo | undefined {
  if (loc.keyNode) return tokensAt(tokens, r, loc.keyNode)?.find((t) => t.definitionInfo && t.isScalar)?.definitionInfo;
  if (!isSeq(loc.parent)) return undefined;
  const info = tokensAt(tokens, r, loc.parent)?.find((t) => t.definitionInfo && !t.isScalar)?.definitionInfo;
  const seqDef = info?.getDefinitionsOfType(DefinitionType.Sequence)[0] as SequenceDefinition | undefined;
  if (!info || !seqDef) return undefined;
  return new DefinitionInfo(info, seqDef.itemType);
}

function constantsOf(info: DefinitionInfo | undefined): string[] {
  if (!info) return [];
  return (info.getScalarDefinitions() as Definition[])
    .map((def) => (def.definitionType === DefinitionType.String ? (def as unknown as { constant?: string }).constant : undefined))
    .filter((c): c is string => Boolean(c));
}

/** What a definition accepts, in words. */
function describeExpected(info: DefinitionInfo | undefined): string | undefined {
  if (!info) return undefined;
  const words: string[] = [];
  const constants: string[] = [];
  const add = (w: string) => {
    if (!words.includes(w)) words.push(w);
  };
  for (const def of info.getScalarDefinitions() as Definition[]) {
    switch (def.definitionType) {
      case DefinitionType.String: {
        const constant = (def as unknown as { constant?: string }).constant;
        if (constant && !constants.includes(`'${constant}'`)) constants.push(`'${constant}'`);
        else add("a string");
        break;
      }
      case DefinitionType.Boolean:
        add("true or false");
        break;
      case DefinitionType.Number:
        add("a number");
        break;
      case DefinitionType.Null:
        break;
    }
  }
  if (info.getDefinitionsOfType(DefinitionType.Sequence).length > 0) add("a list");
  if (info.getDefinitionsOfType(DefinitionType.Mapping).length > 0) add("a mapping");
  if (constants.length > 0) words.unshift(`one of ${constants.join(", ")}`);
  if (info.allowedContext.length > 0) add("an expression ${{ ... }}");
  if (words.length === 0) return undefined;
  return words.length === 1 ? words[0] : `${words.slice(0, -1).join(", ")} or ${words[words.length - 1]}`;
}

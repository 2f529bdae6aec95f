/**
 * action.yml / action.yaml -> ActionMetadata. Every problem found is reported
 * at once as one SlipwayError ACTION_INVALID whose details carry file:line:col.
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type Pair, type YAMLMap } from "yaml";
import { SlipwayError, type SlipwayErrorDetail, type SourcePosition } from "../../lib/index.js";
import type { Step, Template } from "../model.js";
import type { ActionInput, ActionMetadata, ActionOutput, ActionRuns, NodeRuntime } from "./model.js";

const NODE_RUNTIMES: readonly NodeRuntime[] = ["node12", "node16", "node20", "node24"];
const STEP_KEYS = new Set([
  "id", "name", "if", "run", "shell", "working-directory", "uses", "with", "env", "continue-on-error", "timeout-minutes",
]);

class Collector {
  readonly details: SlipwayErrorDetail[] = [];
  constructor(readonly file: string, private readonly lines: LineCounter) {}

  at(node: Node | null | undefined): SourcePosition {
    const offset = node?.range?.[0] ?? 0;
    const p = this.lines.linePos(offset);
    return { file: this.file, line: p.line, col: p.col };
  }

  add(node: Node | null | undefined, message: string): void {
    this.details.push({ message, position: this.at(node) });
  }
}

function toTemplate(node: unknown): Template {
  if (node === null || node === undefined) return null;
  if (isScalar(node)) {
    const v = node.value;
    if (v === null || v === undefined) return null;
    if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") return v;
    return String(v);
  }
  if (isSeq(node)) return node.items.map((i) => toTemplate(i));
  if (isMap(node)) {
    const out: Record<string, Template> = {};
    for (const pair of node.items) out[keyOf(pair)] = toTemplate(pair.value);
    return out;
  }
  return null;
}

function keyOf(pair: Pair): string {
  const k = pair.key;
  if (isScalar(k)) return String(k.value);
  return String(k);
}

function scalarString(node: unknown): string | undefined {
  if (!isScalar(node) || node.value === null || node.value === undefined) return undefined;
  return String(node.value);
}

function mapEntries(node: unknown): [string, Pair][] {
  if (!isMap(node)) return [];
  return node.items.map((p) => [keyOf(p), p]);
}

function get(map: YAMLMap | undefined, key: string): Node | undefined {
  if (!map) return undefined;
  for (const pair of map.items) {
    if (keyOf(pair) === key) return (pair.value ?? undefined) as Node | undefined;
  }
  return undefined;
}

function has(map: YAMLMap, key: string): boolean {
  return map.items.some((p) => keyOf(p) === key);
}

function parseInputs(node: Node | undefined, c: Collector): Record<string, ActionInput> {
  const inputs: Record<string, ActionInput> = {};
  if (node === undefined || (isScalar(node) && node.value === null)) return inputs;
  if (!isMap(node)) {
    c.add(node, "`inputs` must be a mapping of input names");
    return inputs;
  }
  for (const [name, pair] of mapEntries(node)) {
    const spec = pair.value as Node | null;
    const input: ActionInput = { required: false };
    if (spec !== null && !(isScalar(spec) && spec.value === null)) {
      if (!isMap(spec)) {
        c.add(spec, `input '${name}' must be a mapping (description, required, default)`);
      } else {
        const description = scalarString(get(spec, "description"));
        if (description !== undefined) input.description = description;
        const required = get(spec, "required");
        if (required !== undefined) {
          const v = isScalar(required) ? required.value : undefined;
          // GitHub accepts booleans and the strings "true"/"false" here.
          input.required = v === true || v === "true";
        }
        const def = get(spec, "default");
        if (def !== undefined) {
          if (isScalar(def)) {
            if (def.value !== null) input.default = String(def.value);
          } else c.add(def, `the default of input '${name}' must be a string`);
        }
        const dep = scalarString(get(spec, "deprecationMessage"));
        if (dep !== undefined) input.deprecationMessage = dep;
      }
    }
    inputs[name] = input;
  }
  return inputs;
}

function parseOutputs(node: Node | undefined, composite: boolean, c: Collector): Record<string, ActionOutput> {
  const outputs: Record<string, ActionOutput> = {};
  if (node === undefined || (isScalar(node) && node.value === null)) return outputs;
  if (!isMap(node)) {
    c.add(node, "`outputs` must be a mapping of output names");
    return outputs;
  }
  for (const [name, pair] of mapEntries(node)) {
    const spec = pair.value as Node | null;
    const output: ActionOutput = {};
    if (isMap(spec)) {
      const description = scalarString(get(spec, "description"));
      if (description !== undefined) output.description = description;
      const value = get(spec, "value");
      if (value !== undefined) output.value = toTemplate(value);
      else if (composite) c.add(spec, `output '${name}' of a composite action needs a \`value\``);
    } else if (spec !== null && !(isScalar(spec) && spec.value === null)) {
      c.add(spec, `output '${name}' must be a mapping (description, value)`);
    } else if (composite) {
      c.add(pair.key as Node, `output '${name}' of a composite action needs a \`value\``);
    }
    outputs[name] = output;
  }
  return outputs;
}

function parseEnv(node: Node | undefined, what: string, c: Collector): Record<string, Template> | string {
  if (node === undefined || (isScalar(node) && node.value === null)) return {};
  if (isScalar(node) && typeof node.value === "string") return node.value;
  if (!isMap(node)) {
    c.add(node, `${what} must be a mapping`);
    return {};
  }
  return toTemplate(node) as Record<string, Template>;
}

function parseStep(node: unknown, index: number, c: Collector): Step | undefined {
  if (!isMap(node)) {
    c.add(node as Node, `step ${index} must be a mapping with \`run\` or \`uses\``);
    return undefined;
  }
  for (const [key, pair] of mapEntries(node)) {
    if (!STEP_KEYS.has(key)) c.add(pair.key as Node, `unexpected key '${key}' in a composite step`);
  }
  const step: Step = {
    index,
    with: {},
    env: {},
    continueOnError: false,
    position: c.at(node),
  };
  const id = scalarString(get(node, "id"));
  if (id !== undefined) step.id = id;
  const name = get(node, "name");
  if (name !== undefined) step.name = toTemplate(name);
  const cond = get(node, "if");
  if (cond !== undefined && isScalar(cond) && cond.value !== null) step.if = String(cond.value);
  const run = get(node, "run");
  const uses = get(node, "uses");
  if (run !== undefined && uses !== undefined) {
    c.add(node, `step ${index} has both \`run\` and \`uses\`; use one`);
  } else if (run === undefined && uses === undefined) {
    c.add(node, `step ${index} needs \`run\` or \`uses\``);
  }
  if (run !== undefined) {
    const text = scalarString(run);
    if (text === undefined) c.add(run, "`run` must be a string");
    else step.run = text;
    // GitHub requires an explicit shell for run steps of composite actions.
    if (!has(node, "shell")) c.add(node, `step ${index} runs a script and needs \`shell\` (composite actions have no default shell)`);
  }
  if (uses !== undefined) {
    const text = scalarString(uses);
    if (text === undefined || text === "") c.add(uses, "`uses` must be a non-empty string");
    else step.uses = text;
  }
  const shell = scalarString(get(node, "shell"));
  if (shell !== undefined) step.shell = shell;
  const wd = scalarString(get(node, "working-directory"));
  if (wd !== undefined) step.workingDirectory = wd;
  const withNode = get(node, "with");
  if (withNode !== undefined && !(isScalar(withNode) && withNode.value === null)) {
    if (!isMap(withNode)) c.add(withNode, "`with` must be a mapping");
    else step.with = toTemplate(withNode) as Record<string, Template>;
  }
  step.env = parseEnv(get(node, "env"), "`env`", c);
  const coe = get(node, "continue-on-error");
  if (coe !== undefined) step.continueOnError = toTemplate(coe);
  const timeout = get(node, "timeout-minutes");
  if (timeout !== undefined) step.timeoutMinutes = toTemplate(timeout);
  return step;
}

function parseRuns(node: Node | undefined, root: Node, c: Collector): ActionRuns | undefined {
  if (node === undefined) {
    c.add(root, "missing `runs` (with `using`)");
    return undefined;
  }
  if (!isMap(node)) {
    c.add(node, "`runs` must be a mapping with `using`");
    return undefined;
  }
  const usingNode = get(node, "using");
  const using = scalarString(usingNode)?.toLowerCase();
  if (using === undefined) {
    c.add(node, "missing `runs.using` (composite, node20, node24 or docker)");
    return undefined;
  }
  if (using === "composite") {
    const stepsNode = get(node, "steps");
    if (stepsNode === undefined || !isSeq(stepsNode)) {
      c.add(stepsNode ?? node, "a composite action needs `runs.steps` as a list");
      return { using: "composite", steps: [] };
    }
    const steps: Step[] = [];
    stepsNode.items.forEach((item, i) => {
      const step = parseStep(item, i, c);
      if (step) steps.push(step);
    });
    return { using: "composite", steps };
  }
  if ((NODE_RUNTIMES as readonly string[]).includes(using)) {
    const main = scalarString(get(node, "main"));
    if (main === undefined) c.add(node, `a ${using} action needs \`runs.main\``);
    const runs: ActionRuns = { using: using as NodeRuntime, main: main ?? "" };
    const pre = scalarString(get(node, "pre"));
    if (pre !== undefined) runs.pre = pre;
    const post = scalarString(get(node, "post"));
    if (post !== undefined) runs.post = post;
    const preIf = scalarString(get(node, "pre-if"));
    if (preIf !== undefined) runs.preIf = preIf;
    const postIf = scalarString(get(node, "post-if"));
    if (postIf !== undefined) runs.postIf = postIf;
    return runs;
  }
  if (using === "docker") {
    const image = scalarString(get(node, "image"));
    if (image === undefined) c.add(node, "a docker action needs `runs.image`");
    const args = get(node, "args");
    const runs: ActionRuns = {
      using: "docker",
      image: image ?? "",
      args: isSeq(args) ? (toTemplate(args) as Template[]) : [],
      env: isMap(get(node, "env")) ? (toTemplate(get(node, "env")) as Record<string, Template>) : {},
    };
    const entrypoint = scalarString(get(node, "entrypoint"));
    if (entrypoint !== undefined) runs.entrypoint = entrypoint;
    const preEntrypoint = scalarString(get(node, "pre-entrypoint"));
    if (preEntrypoint !== undefined) runs.preEntrypoint = preEntrypoint;
    const postEntrypoint = scalarString(get(node, "post-entrypoint"));
    if (postEntrypoint !== undefined) runs.postEntrypoint = postEntrypoint;
    return runs;
  }
  c.add(usingNode, `unknown runs.using '${using}' (expected composite, node12, node16, node20, node24 or docker)`);
  return undefined;
}

/** Parses the text of an action metadata file; `file` is used in positions. */
export function parseActionMetadata(file: string, text: string): ActionMetadata {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const c = new Collector(file, lines);
  for (const e of doc.errors) {
    const p = lines.linePos(e.pos[0]);
    c.details.push({ message: e.message.split("\n")[0] ?? e.message, position: { file, line: p.line, col: p.col } });
  }
  const root = doc.contents as Node | null;
  let metadata: ActionMetadata | undefined;
  if (c.details.length === 0) {
    if (!isMap(root)) {
      c.add(root, "an action file must be a mapping with `name` and `runs`");
    } else {
      const runsNode = get(root, "runs");
      const runs = parseRuns(runsNode, root, c);
      const composite = runs?.using === "composite";
      const inputs = parseInputs(get(root, "inputs"), c);
      const outputs = parseOutputs(get(root, "outputs"), composite, c);
      const name = scalarString(get(root, "name"));
      if (runs) {
        metadata = { file, name: name ?? "", inputs, outputs, runs };
        const description = scalarString(get(root, "description"));
        if (description !== undefined) metadata.description = description;
        const author = scalarString(get(root, "author"));
        if (author !== undefined) metadata.author = author;
      }
    }
  }
  if (c.details.length > 0 || !metadata) {
    const first = c.details[0];
    throw new SlipwayError("ACTION_INVALID", `${file}: ${first?.message ?? "invalid action file"}`, {
      position: first?.position,
      details: c.details,
    });
  }
  return metadata;
}

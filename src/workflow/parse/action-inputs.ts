/**
 * The hook through which an action's `with:` inputs are checked while the
 * workflow is validated, before anything runs: for each step whose `uses:`
 * names an action a check answers to (`owner/repo[/path]`, any ref, matched
 * ignoring case), the check gets the step's inputs with their positions and
 * returns problems. A check may point inside a multi-line value (a YAML
 * document in a block scalar) through `locate`. The checks themselves belong
 * to the modules that own those actions; callers pass them to parseWorkflow.
 */
import { isScalar, Scalar } from "yaml";
import type { SlipwayErrorDetail, SourcePosition } from "../../lib/index.js";
import type { NodeReader } from "./yaml-nodes.js";

export interface PositionedInput {
  /** The value as written (a string, number or boolean). */
  value: string | number | boolean | null;
  /** Where the value starts. */
  position: SourcePosition;
  /** The position of 1-based line/column `line`:`col` of the value's text (best effort for folded values). */
  locate(line: number, col: number): SourcePosition;
}

export interface ActionInputsCheck {
  /** Lower-case `owner/repo[/path]` names this check answers to. */
  names: readonly string[];
  check(inputs: Record<string, PositionedInput>, step: { uses: string; position: SourcePosition }): SlipwayErrorDetail[];
}

/** Runs the checks over every step of every job. */
export function checkActionInputs(reader: NodeReader, text: string, checks: readonly ActionInputsCheck[]): SlipwayErrorDetail[] {
  if (checks.length === 0) return [];
  const errors: SlipwayErrorDetail[] = [];
  const jobs = reader.map(reader.get(reader.map(reader.doc.contents), "jobs"));
  for (const job of reader.entries(jobs)) {
    const steps = reader.seq(reader.get(reader.map(job.value), "steps"));
    for (const item of steps?.items ?? []) {
      const step = reader.map(item);
      const uses = reader.string(reader.get(step, "uses"));
      if (!step || uses === undefined) continue;
      const name = uses.split("@")[0]!.toLowerCase();
      const check = checks.find((c) => c.names.includes(name));
      if (!check) continue;
      const inputs: Record<string, PositionedInput> = {};
      for (const e of reader.entries(reader.map(reader.get(step, "with")))) {
        const value = reader.scalar(e.value);
        if (value === undefined) continue;
        inputs[e.key] = positionedInput(reader, text, e.value, value);
      }
      errors.push(...check.check(inputs, { uses, position: reader.position(step) }));
    }
  }
  return errors;
}

function positionedInput(reader: NodeReader, text: string, node: unknown, value: string | number | boolean | null): PositionedInput {
  const position = reader.position(node);
  const scalar = reader.deref(node);
  const type = isScalar(scalar) ? scalar.type : undefined;
  if (type === Scalar.BLOCK_LITERAL || type === Scalar.BLOCK_FOLDED) {
    // Content starts on the line after the `|`/`>` header, indented by the first content line's indentation.
    const lines = text.split("\n");
    let indent = 0;
    for (let l = position.line; l < lines.length; l++) {
      const content = lines[l]!;
      if (content.trim() === "") continue;
      indent = content.length - content.trimStart().length;
      break;
    }
    return { value, position, locate: (line, col) => ({ file: position.file, line: position.line + line, col: indent + col }) };
  }
  const quoted = type === Scalar.QUOTE_DOUBLE || type === Scalar.QUOTE_SINGLE ? 1 : 0;
  return {
    value,
    position,
    locate: (line, col) => (line === 1 ? { ...position, col: position.col + quoted + col - 1 } : position),
  };
}

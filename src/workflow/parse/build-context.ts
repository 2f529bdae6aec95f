/**
 * What the parts of the model builder share: the node reader, the findings
 * (errors and the `if:` conditions the caller checks for expression syntax),
 * and the small builders every level uses (env, defaults, concurrency).
 */
import type { SlipwayErrorDetail, SourcePosition } from "../../lib/index.js";
import type { Concurrency, Condition, RunDefaults, Template } from "../model.js";
import type { AnyNode, NodeReader } from "./yaml-nodes.js";

/** Job and step ids: a letter or _, then letters, digits, - and _. */
export const ID_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** An `if:` value found while building, checked for expression syntax by the caller. */
export interface ConditionSite {
  node: AnyNode;
  position: SourcePosition;
  text: string;
}

export class BuildContext {
  readonly errors: SlipwayErrorDetail[] = [];
  readonly conditions: ConditionSite[] = [];

  constructor(readonly r: NodeReader) {}

  report(node: unknown, message: string, hint: string, fallback?: SourcePosition): void {
    this.errors.push({ message, position: this.r.position(node, fallback), hint });
  }

  /**
   * GitHub's schema lets a few mappings (strategy, step with, defaults.run)
   * be one expression; the model has a field per setting there, so such a
   * value is refused with a hint rather than silently dropped.
   */
  refuseWholeExpression(node: AnyNode, what: string, hint: string): void {
    const text = this.r.string(node);
    if (text !== undefined && text.includes("${{")) this.report(node, `${what} as a single expression is not supported`, hint);
  }

  condition(node: AnyNode): Condition | undefined {
    const value = this.r.scalar(node);
    if (value === undefined || value === null) return undefined;
    const text = String(value);
    if (text.trim() === "") return undefined;
    this.conditions.push({ node, position: this.r.position(node), text });
    return text;
  }
}

export function buildEnv(ctx: BuildContext, node: AnyNode): Record<string, Template> | string {
  const r = ctx.r;
  if (node === undefined || node === null) return {};
  if (r.map(node)) return r.record(node);
  return r.string(node) ?? {};
}

export function buildDefaults(ctx: BuildContext, node: AnyNode): RunDefaults | undefined {
  const r = ctx.r;
  const runNode = r.get(r.map(node), "run");
  ctx.refuseWholeExpression(runNode, "defaults.run:", "Write defaults.run: as a mapping; shell: and working-directory: may each be an expression.");
  const run = r.map(runNode);
  if (!run) return undefined;
  const defaults: RunDefaults = {};
  const shell = r.string(r.get(run, "shell"));
  if (shell !== undefined) defaults.shell = shell;
  const wd = r.string(r.get(run, "working-directory"));
  if (wd !== undefined) defaults.workingDirectory = wd;
  return defaults;
}

export function buildConcurrency(ctx: BuildContext, node: AnyNode): Concurrency | undefined {
  const r = ctx.r;
  if (node === undefined || node === null) return undefined;
  const map = r.map(node);
  if (!map) return { group: r.template(node), cancelInProgress: false };
  return {
    group: r.template(r.get(map, "group")),
    cancelInProgress: r.has(map, "cancel-in-progress") ? r.template(r.get(map, "cancel-in-progress")) : false,
  };
}

/**
 * `on:` into the model's triggers: events with their ref and path filters,
 * `workflow_dispatch` and `workflow_call` declarations, and schedules.
 */
import type { RefFilter, Template, Triggers, WorkflowCallInput, WorkflowDispatchInput } from "../model.js";
import type { BuildContext } from "./build-context.js";
import type { AnyNode } from "./yaml-nodes.js";

const FILTER_KEYS: [string, keyof RefFilter][] = [
  ["branches", "branches"],
  ["branches-ignore", "branchesIgnore"],
  ["tags", "tags"],
  ["tags-ignore", "tagsIgnore"],
  ["paths", "paths"],
  ["paths-ignore", "pathsIgnore"],
  ["types", "types"],
  ["workflows", "workflows"],
];

export function buildTriggers(ctx: BuildContext, node: AnyNode): Triggers {
  const r = ctx.r;
  const triggers: Triggers = { events: {} };
  const seq = r.seq(node);
  const map = r.map(node);
  if (map) {
    for (const e of r.entries(map)) addEvent(ctx, triggers, e.key, e.value);
  } else if (seq) {
    for (const item of seq.items) {
      const name = r.string(item);
      if (name !== undefined) addEvent(ctx, triggers, name, undefined);
    }
  } else {
    const name = r.string(node);
    if (name !== undefined) addEvent(ctx, triggers, name, undefined);
  }
  return triggers;
}

function addEvent(ctx: BuildContext, triggers: Triggers, name: string, value: AnyNode): void {
  const r = ctx.r;
  const config = r.map(value);
  switch (name) {
    case "workflow_dispatch":
      triggers.events[name] = undefined;
      triggers.workflowDispatch = { inputs: buildDispatchInputs(ctx, r.get(config, "inputs")) };
      return;
    case "workflow_call":
      triggers.events[name] = undefined;
      triggers.workflowCall = {
        inputs: buildCallInputs(ctx, r.get(config, "inputs")),
        outputs: buildCallOutputs(ctx, r.get(config, "outputs")),
        secrets: buildCallSecrets(ctx, r.get(config, "secrets")),
      };
      return;
    case "schedule": {
      triggers.events[name] = undefined;
      const list = r.seq(value);
      triggers.schedule = [];
      for (const item of list?.items ?? []) {
        const entry = r.map(item);
        const cron = r.string(r.get(entry, "cron"));
        if (cron === undefined) continue;
        const timezone = r.string(r.get(entry, "timezone"));
        triggers.schedule.push(timezone === undefined ? { cron } : { cron, timezone });
      }
      return;
    }
  }
  if (!config) {
    triggers.events[name] = undefined;
    return;
  }
  const filter: RefFilter = {};
  for (const [key, field] of FILTER_KEYS) {
    if (r.has(config, key)) filter[field] = r.stringList(r.get(config, key));
  }
  for (const [include, exclude] of [
    ["branches", "branches-ignore"],
    ["tags", "tags-ignore"],
    ["paths", "paths-ignore"],
  ] as const) {
    if (r.has(config, include) && r.has(config, exclude)) {
      ctx.report(
        r.pair(config, exclude)?.keyNode,
        `on.${name} has both ${include} and ${exclude}`,
        `Use one of them; to exclude some ${include} from a list, add patterns starting with ! to ${include}.`,
      );
    }
  }
  triggers.events[name] = filter;
}

function buildDispatchInputs(ctx: BuildContext, node: AnyNode): Record<string, WorkflowDispatchInput> {
  const r = ctx.r;
  const out: Record<string, WorkflowDispatchInput> = {};
  for (const e of r.entries(r.map(node))) {
    const def = r.map(e.value);
    const type = (r.string(r.get(def, "type")) ?? "string") as WorkflowDispatchInput["type"];
    const input: WorkflowDispatchInput = { type, required: r.scalar(r.get(def, "required")) === true };
    const description = r.string(r.get(def, "description"));
    if (description !== undefined) input.description = description;
    const dflt = r.scalar(r.get(def, "default"));
    if (dflt !== undefined && dflt !== null) input.default = dflt;
    if (r.has(def, "options")) input.options = r.stringList(r.get(def, "options"));
    out[e.key] = input;
  }
  return out;
}

function buildCallInputs(ctx: BuildContext, node: AnyNode): Record<string, WorkflowCallInput> {
  const r = ctx.r;
  const out: Record<string, WorkflowCallInput> = {};
  for (const e of r.entries(r.map(node))) {
    const def = r.map(e.value);
    const type = (r.string(r.get(def, "type")) ?? "string") as WorkflowCallInput["type"];
    const input: WorkflowCallInput = { type, required: r.scalar(r.get(def, "required")) === true };
    const description = r.string(r.get(def, "description"));
    if (description !== undefined) input.description = description;
    if (r.has(def, "default")) input.default = r.template(r.get(def, "default"));
    out[e.key] = input;
  }
  return out;
}

function buildCallOutputs(ctx: BuildContext, node: AnyNode): Record<string, { description?: string; value: Template }> {
  const r = ctx.r;
  const out: Record<string, { description?: string; value: Template }> = {};
  for (const e of r.entries(r.map(node))) {
    const def = r.map(e.value);
    const output: { description?: string; value: Template } = { value: r.template(r.get(def, "value")) };
    const description = r.string(r.get(def, "description"));
    if (description !== undefined) output.description = description;
    out[e.key] = output;
  }
  return out;
}

function buildCallSecrets(ctx: BuildContext, node: AnyNode): Record<string, { description?: string; required: boolean }> {
  const r = ctx.r;
  const out: Record<string, { description?: string; required: boolean }> = {};
  for (const e of r.entries(r.map(node))) {
    const def = r.map(e.value);
    const secret: { description?: string; required: boolean } = { required: r.scalar(r.get(def, "required")) === true };
    const description = r.string(r.get(def, "description"));
    if (description !== undefined) secret.description = description;
    out[e.key] = secret;
  }
  return out;
}

/**
 * Builds the typed model from the parsed YAML document, and checks what the
 * schema cannot: identifiers, `needs` references and cycles, step shapes,
 * step ids and `uses:` references. It never throws on a malformed document:
 * whatever has the wrong shape was reported by the schema check, and is
 * skipped here. The triggers, the jobs and their steps are built in rooms of
 * their own (build-triggers, build-jobs, build-steps).
 */
import type { SlipwayErrorDetail, SourcePosition } from "../../lib/index.js";
import type { Workflow } from "../model.js";
import { BuildContext, buildConcurrency, buildDefaults, buildEnv, type ConditionSite } from "./build-context.js";
import { buildJob, checkNeeds } from "./build-jobs.js";
import { buildTriggers } from "./build-triggers.js";
import type { AnyNode, NodeReader } from "./yaml-nodes.js";

export interface BuildResult {
  workflow: Workflow;
  errors: SlipwayErrorDetail[];
  conditions: ConditionSite[];
}

export function buildWorkflowModel(reader: NodeReader): BuildResult {
  const ctx = new BuildContext(reader);
  const r = ctx.r;
  const root = r.map(r.doc.contents);
  const workflow: Workflow = {
    file: r.file,
    on: { events: {} },
    env: {},
    jobs: [],
  };
  if (!root) return { workflow, errors: ctx.errors, conditions: ctx.conditions };

  const name = r.string(r.get(root, "name"));
  if (name !== undefined) workflow.name = name;
  if (r.has(root, "run-name")) workflow.runName = r.template(r.get(root, "run-name"));
  workflow.on = buildTriggers(ctx, r.get(root, "on"));
  workflow.env = buildEnv(ctx, r.get(root, "env"));
  const defaults = buildDefaults(ctx, r.get(root, "defaults"));
  if (defaults) workflow.defaults = defaults;
  if (r.has(root, "permissions")) workflow.permissions = r.template(r.get(root, "permissions"));
  const concurrency = buildConcurrency(ctx, r.get(root, "concurrency"));
  if (concurrency) workflow.concurrency = concurrency;

  const jobsPair = r.pair(root, "jobs");
  const jobsMap = r.map(jobsPair?.value);
  const needsSites = new Map<string, { node: AnyNode; position: SourcePosition }>();
  for (const entry of r.entries(jobsMap)) {
    const job = buildJob(ctx, entry.key, entry.keyNode, entry.value);
    if (!job) continue;
    workflow.jobs.push(job);
    const needsPair = r.pair(r.map(entry.value), "needs");
    if (needsPair) needsSites.set(job.id, { node: needsPair.value, position: r.position(needsPair.keyNode) });
  }
  if (jobsMap && jobsMap.items.length === 0) {
    ctx.report(jobsPair?.keyNode, "the workflow has no jobs", "Add at least one job under jobs:, e.g. `build: {runs-on: ubuntu-latest, steps: [{run: make}]}`.");
  }
  checkNeeds(ctx, workflow.jobs, needsSites);
  return { workflow, errors: ctx.errors, conditions: ctx.conditions };
}

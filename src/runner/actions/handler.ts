/**
 * The UsesHandler: resolves a `uses:` reference (built-in, local, remote,
 * docker) and runs the action (composite, JavaScript) through the runner's
 * machinery.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { SlipwayError } from "../../lib/index.js";
import { evaluateTemplate, parseActionMetadata, stringifyValue, type ActionMetadata, type CompositeRuns, type NodeRuns, type Template } from "../../workflow/index.js";
import type { Contexts } from "../../protocol/index.js";
import type { PreStep, UsesContext, UsesHandler, UsesStepResult } from "../uses.js";
import { actionName, formatActionReference, parseActionReference, type RemoteActionReference } from "./reference.js";
import type { BuiltinAction } from "./builtin.js";
import { fetchRemoteAction, findPin, type ActionFetchOptions } from "./fetch.js";
import { buildInputEnv, resolveActionInputs } from "./inputs.js";

export interface ActionsHandlerOptions {
  /** How remote actions are fetched (base URL, cache dir, offline pins). */
  fetch?: ActionFetchOptions;
  /** Built-in actions to answer remote references with (see createBuiltinActions). */
  builtins?: BuiltinAction[];
  /** Built-in names (`actions/cache`) or owner/repo to turn off: the real action is fetched instead. */
  disabledBuiltins?: string[];
  /**
   * Node executable for JavaScript actions; default the Node running Slipway, as
   * GitHub runs them on the runner's own Node whatever setup-node put on PATH.
   */
  node?: string;
}

/** A resolved action: where it lives and what its metadata says. */
interface ResolvedAction {
  dir: string;
  metadata: ActionMetadata;
  /** `owner/repo` and ref for remote actions. */
  repository?: string;
  ref?: string;
}

/** How deep the search for pre steps follows composites into composites (GitHub's runner stops at 9 levels); also ends self-referencing composites. */
const MAX_COMPOSITE_DEPTH = 9;

/** The step's name as GitHub shows it: its `name:`, else `Run <uses>`. */
function stepDisplayName(context: UsesContext): string {
  const n = context.step.name;
  return typeof n === "string" && n !== "" ? n : `Run ${context.uses}`;
}

function dockerRequired(context: UsesContext, what: string): SlipwayError {
  return new SlipwayError("DOCKER_REQUIRED", `step '${stepDisplayName(context)}' uses ${what}, which needs Docker`, {
    position: context.step.position,
  });
}

/** Reads action.yml or action.yaml from a directory; a Dockerfile-only action is DOCKER_REQUIRED. */
function loadActionMetadata(dir: string, label: string): ActionMetadata {
  for (const name of ["action.yml", "action.yaml"]) {
    const file = path.join(dir, name);
    if (existsSync(file)) return parseActionMetadata(file, readFileSync(file, "utf8"));
  }
  if (existsSync(path.join(dir, "Dockerfile"))) {
    throw new SlipwayError("DOCKER_REQUIRED", `${label} is a Dockerfile action, which needs Docker`);
  }
  throw new SlipwayError("ACTION_NOT_FOUND", `can't find 'action.yml' or 'action.yaml' for ${label} in ${dir}`);
}

function evaluateStepEnv(context: UsesContext): Record<string, string> {
  const raw = context.step.env;
  if (raw === undefined) return {};
  const value = evaluateTemplate(raw as Template, context.contexts, { hashFiles: (p) => context.hashFiles(p), position: context.step.position });
  const out: Record<string, string> = {};
  if (value && typeof value === "object" && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      out[k] = stringifyValue(v);
    }
  }
  return out;
}

/** Creates the handler the host runner hands `uses:` steps to. */
export function createActionsHandler(options: ActionsHandlerOptions = {}): UsesHandler {
  const disabled = new Set((options.disabledBuiltins ?? []).map((n) => n.toLowerCase()));
  const builtins = new Map<string, BuiltinAction>();
  for (const b of options.builtins ?? []) for (const n of b.names) builtins.set(n, b);

  function findBuiltin(ref: RemoteActionReference): BuiltinAction | undefined {
    const name = actionName(ref);
    const repo = `${ref.owner}/${ref.repo}`.toLowerCase();
    if (disabled.has(name) || disabled.has(repo)) return undefined;
    return builtins.get(name);
  }

  async function resolve(
    context: UsesContext,
    uses: string = context.uses,
  ): Promise<{ builtin: BuiltinAction; ref: RemoteActionReference } | { action: ResolvedAction }> {
    const ref = parseActionReference(uses);
    if (ref.kind === "docker") throw dockerRequired(context, `the container image ${ref.image}`);
    if (ref.kind === "local") {
      const dir = path.resolve(context.workspace, ref.path);
      if (!existsSync(dir)) {
        throw new SlipwayError("ACTION_NOT_FOUND", `step '${stepDisplayName(context)}': local action ${ref.path} not found (looked in ${dir})`, {
          position: context.step.position,
          hint: "Local actions are resolved against the workspace: check out the repository first (actions/checkout) and check the path.",
        });
      }
      return { action: { dir, metadata: loadActionMetadata(dir, ref.path) } };
    }
    // A pinned local copy is what the user asked for, even where a built-in exists.
    const builtin = findPin(ref, options.fetch?.pins ?? {}) === undefined ? findBuiltin(ref) : undefined;
    if (builtin) return { builtin, ref };
    const repoDir = await fetchRemoteAction(ref, { ...options.fetch, signal: context.signal });
    const dir = path.join(repoDir, ref.path);
    return {
      action: {
        dir,
        metadata: loadActionMetadata(dir, formatActionReference(ref)),
        repository: `${ref.owner}/${ref.repo}`,
        ref: ref.ref,
      },
    };
  }

  /** What a composite's steps see: its inputs, github.action_path, and the GITHUB_ACTION_* variables. */
  function compositeScope(context: UsesContext, action: ResolvedAction, inputs: Record<string, string>): { contexts: Contexts; env: Record<string, string> } {
    const github = { ...((context.contexts.github as Record<string, unknown> | undefined) ?? {}), action_path: action.dir };
    if (action.repository) Object.assign(github, { action_repository: action.repository, action_ref: action.ref });
    const contexts: Contexts = { ...context.contexts, github, inputs };
    const env: Record<string, string> = { ...evaluateStepEnv(context), GITHUB_ACTION_PATH: action.dir };
    if (action.repository) Object.assign(env, { GITHUB_ACTION_REPOSITORY: action.repository, GITHUB_ACTION_REF: action.ref ?? "" });
    return { contexts, env };
  }

  async function runComposite(context: UsesContext, action: ResolvedAction, runs: CompositeRuns, inputs: Record<string, string>): Promise<UsesStepResult> {
    const { contexts, env } = compositeScope(context, action, inputs);
    const result = await context.runSteps(runs.steps, { contexts, env, source: action.metadata.file });
    // Outputs are exported even when a step failed, so that continue-on-error callers see what was set.
    const outputContexts: Contexts = { ...contexts, steps: result.steps };
    for (const [name, output] of Object.entries(action.metadata.outputs)) {
      if (output.value === undefined) continue;
      try {
        const value = evaluateTemplate(output.value, outputContexts, { hashFiles: (p) => context.hashFiles(p) });
        context.setOutput(name, stringifyValue(value));
      } catch (e) {
        context.annotate({ level: "error", message: `output '${name}' of ${context.uses}: ${(e as Error).message}` });
      }
    }
    if (result.outcome === "success") return { outcome: "success" };
    return { outcome: result.outcome };
  }

  async function runNodeScript(
    context: UsesContext,
    action: ResolvedAction,
    script: string,
    inputs: Record<string, string>,
  ): Promise<UsesStepResult> {
    const file = path.resolve(action.dir, script);
    if (!existsSync(file)) {
      throw new SlipwayError("ACTION_INVALID", `${action.metadata.file}: ${script} does not exist in ${action.dir}`, {
        hint: "Build the action (JavaScript actions usually ship a bundled dist/ folder) or fix the path under `runs:` in its action.yml.",
      });
    }
    const state: Record<string, string> = {};
    for (const [k, v] of Object.entries(context.state)) state[`STATE_${k}`] = v;
    const env: Record<string, string> = { ...buildInputEnv(inputs), ...state, GITHUB_ACTION_PATH: action.dir };
    if (action.repository) Object.assign(env, { GITHUB_ACTION_REPOSITORY: action.repository, GITHUB_ACTION_REF: action.ref ?? "" });
    const r = await context.runProcess({ command: options.node ?? process.execPath, args: [file], env });
    if (r.aborted) return { outcome: "cancelled" };
    if (r.exitCode === 0) return { outcome: "success" };
    return { outcome: "failure", error: `Process completed with exit code ${r.exitCode ?? "null (killed)"}.` };
  }

  function registerPost(context: UsesContext, action: ResolvedAction, runs: NodeRuns, inputs: Record<string, string>): void {
    if (!runs.post) return;
    const post = runs.post;
    context.addPostStep({
      name: `Post ${stepDisplayName(context)}`,
      if: runs.postIf ?? "always()",
      run: (postContext) => runNodeScript(postContext, action, post, inputs),
    });
  }

  /** The main script. `runs.pre` is not run here: pre steps run at job start (preparePre). */
  async function runNode(context: UsesContext, action: ResolvedAction, runs: NodeRuns, inputs: Record<string, string>): Promise<UsesStepResult> {
    registerPost(context, action, runs, inputs);
    return runNodeScript(context, action, runs.main, inputs);
  }

  /**
   * Whether a fetched composite has a pre step: some remote action among its
   * steps (at any depth, through fetched composites) is a JavaScript action
   * with `runs.pre`. Local actions inside it are resolved only when their step
   * runs, so their pre never counts, as on GitHub. An action that cannot be
   * resolved here counts as none: its main step reports the problem.
   */
  async function compositeHasPre(context: UsesContext, runs: CompositeRuns, depth: number): Promise<boolean> {
    if (depth > MAX_COMPOSITE_DEPTH) return false;
    for (const nested of runs.steps) {
      if (nested.uses === undefined) continue;
      let found: Awaited<ReturnType<typeof resolve>>;
      try {
        if (parseActionReference(nested.uses).kind !== "remote") continue;
        found = await resolve(context, nested.uses);
      } catch {
        continue;
      }
      if ("builtin" in found) continue;
      const nestedRuns = found.action.metadata.runs;
      if (nestedRuns.using === "composite") {
        if (await compositeHasPre(context, nestedRuns, depth + 1)) return true;
      } else if (nestedRuns.using !== "docker" && nestedRuns.pre) {
        return true;
      }
    }
    return false;
  }

  /** A local action's pre (or the pres inside a local composite) never runs, as on GitHub, which says so with a warning. */
  async function warnUnrunPre(context: UsesContext, runs: ActionMetadata["runs"]): Promise<void> {
    const why = "a local action is read when its step runs, after the job's pre steps";
    if (runs.using === "composite") {
      if (!(await compositeHasPre(context, runs, 1))) return;
      context.annotate({
        level: "warning",
        message: `The pre steps of the actions used inside the local composite action ${context.uses} do not run: ${why}. Use the composite action from its repository (owner/repo@ref) for them to run.`,
      });
    } else if (runs.using !== "docker" && runs.pre) {
      context.annotate({ level: "warning", message: `The pre step (${runs.pre}) of the local action ${context.uses} does not run: ${why}.` });
    }
  }

  return {
    async preparePre(context: UsesContext): Promise<PreStep | undefined> {
      let ref: ReturnType<typeof parseActionReference>;
      try {
        ref = parseActionReference(context.uses);
      } catch {
        return undefined;
      }
      // Local actions are resolved when their step runs (after checkout), so their pre never runs, as on GitHub.
      if (ref.kind !== "remote") return undefined;
      let found: Awaited<ReturnType<typeof resolve>>;
      try {
        found = await resolve(context);
      } catch {
        return undefined;
      }
      if ("builtin" in found) return undefined;
      const resolved = found.action;
      const runs = resolved.metadata.runs;
      if (runs.using === "composite") {
        // A composite's pre runs the pres of the actions its steps use, in step order (GitHub's default pre-if for it: always()).
        if (!(await compositeHasPre(context, runs, 1))) return undefined;
        return {
          if: "always()",
          async run(preContext) {
            // Input warnings are the main step's to give.
            const quiet = { inputs: preContext.inputs, contexts: preContext.contexts, hashFiles: preContext.hashFiles, annotate: () => {} };
            const inputs = resolveActionInputs(resolved.metadata, quiet, preContext.uses);
            const { contexts, env } = compositeScope(preContext, resolved, inputs);
            const result = await preContext.runPreSteps(runs.steps, { contexts, env, source: resolved.metadata.file });
            return { outcome: result.outcome };
          },
        };
      }
      if (runs.using === "docker" || !runs.pre) return undefined;
      const pre = runs.pre;
      return {
        if: runs.preIf ?? "always()",
        async run(preContext) {
          const inputs = resolveActionInputs(resolved.metadata, preContext, preContext.uses);
          registerPost(preContext, resolved, runs, inputs);
          return runNodeScript(preContext, resolved, pre, inputs);
        },
      };
    },

    async run(context: UsesContext): Promise<UsesStepResult | void> {
      const found = await resolve(context);
      if ("builtin" in found) return found.builtin.run(context, found.ref);
      const resolved = found.action;
      const inputs = resolveActionInputs(resolved.metadata, context, context.uses);
      const runs = resolved.metadata.runs;
      if (resolved.repository === undefined) await warnUnrunPre(context, runs);
      switch (runs.using) {
        case "composite":
          return runComposite(context, resolved, runs, inputs);
        case "docker":
          throw dockerRequired(context, `the Docker action ${context.uses}`);
        default:
          return runNode(context, resolved, runs, inputs);
      }
    },
  };
}

/**
 * `slipway run`: load, validate, plan and execute workflows on this host.
 * Returns data (the run document and an exit code); printing is the renderer's.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomInt } from "node:crypto";
import { SlipwayError, createMasker } from "../lib/index.js";
import { evaluateTemplate, parseWorkflowOrThrow, stringifyValue, type Workflow } from "../workflow/index.js";
import { planRun, executeRun, matchTrigger, releaseSecrets, selectWorkflows, type RunEvents, type RunResult, type RunPlan } from "../engine/index.js";
import {
  createHostExecutor,
  hostLabels,
  createActionsHandler,
  createBuiltinActions,
  createDirectoryArtifactStore,
  fetchRemoteAction,
  resolveToolCache,
  parseActionPin,
  parseActionReference,
  type ActionFetchOptions,
} from "../runner/index.js";
import { releaseActionInputChecks } from "../release/index.js";
import { promptLine } from "./prompt-line.js";
import { readRepoInfo, readChangedFiles, type RepoInfo } from "./repo-info.js";
import { loadWorkflows } from "./load-workflows.js";
import { collectSecrets, collectPairs, collectMatrixFilter, readEventPayload } from "./options.js";
import { buildDefaultPayload, localGithubContext } from "./github-context.js";
import { describePublishingJobs, findPublishingJobs } from "./publish-jobs.js";
import { copyWorkingTree, type WorkspaceMode } from "./workspace.js";
import { gateLocalDeployments, readProtectedEnvironments } from "./local-deployments.js";
import { RunRenderer } from "./render/index.js";

export interface RunFlags {
  directory?: string;
  workflows?: string;
  eventPath?: string;
  job?: string;
  secret: string[];
  secretFile: string[];
  var: string[];
  varFile: string[];
  env: string[];
  envFile: string[];
  input: string[];
  matrix: string[];
  list?: boolean;
  dryrun?: boolean;
  json?: boolean;
  bind?: boolean;
  jobs?: number;
  keepWorkspace?: boolean;
  artifactDir?: string;
  label: string[];
  action: string[];
  actionsUrl?: string;
  disableBuiltin: string[];
  /** Job ids to leave out of the run (reported as skipped). */
  skipJob: string[];
  /** A run in which no job found a runner succeeds (exit 0) instead of failing. */
  allowEmpty?: boolean;
  /** actions/checkout keeps the repository's full history and tags whatever its fetch-depth. */
  fullHistory?: boolean;
  /** Steps use the user's HOME, npm prefix and temp dir instead of the job's own. */
  shareHome?: boolean;
  /** RUNNER_TOOL_CACHE; default SLIPWAY_TOOL_CACHE, else `<user cache dir>/tool-cache`. */
  toolCache?: string;
  /** Environments approved for this run (see local-deployments.ts). */
  approve?: string[];
  /** Environments protected for this run, besides `.slipway/environments.yml`'s. */
  protect?: string[];
}

export interface RunOutcome {
  exitCode: number;
  /** The --json document (or plan listing data), when there is one. */
  document?: unknown;
}

export interface RunDeps {
  cwd: string;
  env: NodeJS.ProcessEnv;
  renderer: RunRenderer;
  signal: AbortSignal;
  /** Asks a question at the user's terminal; absent without one. */
  ask?: (question: string) => Promise<string>;
}

function relativeTo(root: string) {
  return (file: string) => {
    const rel = path.relative(root, file);
    return rel && !rel.startsWith("..") ? rel : file;
  };
}

function dataHome(env: NodeJS.ProcessEnv): string {
  return env.XDG_DATA_HOME || path.join(os.homedir(), ".local", "share");
}

interface Prepared {
  info: RepoInfo;
  workflows: Workflow[];
  event: string;
  payload: Record<string, unknown>;
  secrets: Record<string, string>;
  vars: Record<string, string>;
  env: Record<string, string>;
  inputs: Record<string, string>;
  matrixFilter: Record<string, string[]>;
  runId: string;
}

function prepare(eventArg: string | undefined, flags: RunFlags, deps: RunDeps): Prepared {
  const dir = path.resolve(deps.cwd, flags.directory ?? ".");
  if (!fs.existsSync(dir)) throw new SlipwayError("REPOSITORY_INVALID", `-C ${flags.directory}: no such directory`);
  const info = readRepoInfo(dir);
  const target = flags.workflows ? path.resolve(deps.cwd, flags.workflows) : path.join(info.root, ".github", "workflows");
  const { workflows } = loadWorkflows(target, relativeTo(info.root));
  const secrets = collectSecrets(flags.secret, flags.secretFile, deps.env);
  const vars = collectPairs(flags.var, flags.varFile, "--var", "var file");
  const env = collectPairs(flags.env, flags.envFile, "--env", "env file");
  const inputs = collectPairs(flags.input, [], "--input", "input file");
  const matrixFilter = collectMatrixFilter(flags.matrix);
  const fromFile = readEventPayload(flags.eventPath);
  const event = eventArg ?? "push";
  const payload = fromFile ?? buildDefaultPayload(event, info, inputs);
  if ((event === "workflow_dispatch" || event === "workflow_call") && fromFile && typeof fromFile.inputs === "object" && fromFile.inputs) {
    for (const [k, v] of Object.entries(fromFile.inputs as Record<string, unknown>)) if (!(k in inputs)) inputs[k] = String(v);
  }
  const runId = String(Date.now() * 1000 + randomInt(1000));
  return { info, workflows, event, payload, secrets, vars, env, inputs, matrixFilter, runId };
}

export async function runCommand(eventArg: string | undefined, flags: RunFlags, deps: RunDeps): Promise<RunOutcome> {
  const p = prepare(eventArg, flags, deps);
  const { info } = p;
  const started = Date.now();
  const trigger = { event: p.event, payload: p.payload, ref: String(p.payload.ref ?? info.ref), changedFiles: p.event === "push" ? readChangedFiles(info) : null };
  const selected = flags.job
    ? p.workflows.filter((w) => w.jobs.some((j) => j.id === flags.job))
    : selectWorkflows(p.workflows, trigger).map((s) => s.workflow);
  if (flags.job && selected.length === 0) {
    throw new SlipwayError("JOB_NOT_FOUND", `no job '${flags.job}' in the selected workflows`);
  }
  if (selected.length === 0) {
    const why = p.workflows.map((w) => `  ${w.file}: ${matchTrigger(w, trigger).reason ?? "not triggered"}`);
    deps.renderer.message("info", [`no workflow is triggered by '${p.event}':`, ...why].join("\n"));
    return { exitCode: 0, document: { conclusion: "success", jobs: [] } };
  }
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-run-"));
  const workspaceMode: WorkspaceMode = flags.bind ? "bind" : "copy";
  const baseWorkspace = workspaceMode === "bind" ? info.root : path.join(runDir, "workspace");
  // The plan holds no secret: `github.token` is the released `secrets.GITHUB_TOKEN`, filled in by the runner.
  const github = { ...localGithubContext(p.event, p.payload, info, { runId: p.runId }), workspace: baseWorkspace };
  // Each workflow is a run of its own, with its own run id (and artifacts).
  const runIds = new Map(selected.map((w, i) => [w, String(Number(p.runId) + i)]));
  const plan: RunPlan = planRun({
    workflows: selected,
    event: p.event,
    payload: p.payload,
    github,
    vars: p.vars,
    inputs: p.inputs,
    env: p.env,
    jobFilter: flags.job,
    skipJobs: flags.skipJob,
    matrixFilter: p.matrixFilter,
    workflowGithub: (w) => ({ run_id: runIds.get(w) ?? p.runId }),
  });
  if (flags.list || flags.dryrun) {
    fs.rmSync(runDir, { recursive: true, force: true });
    return { exitCode: 0, document: plan };
  }
  for (const planned of plan.workflows) showRunName(planned, plan, p.secrets, deps.renderer);
  const publishing = findPublishingJobs(plan);
  if (publishing.length > 0) deps.renderer.message("warning", describePublishingJobs(publishing));
  const single = plan.workflows.length === 1;
  const artifactDirOf = (runId: string): string =>
    flags.artifactDir
      ? path.resolve(deps.cwd, flags.artifactDir, single ? "" : runId)
      : path.join(dataHome(deps.env), "slipway", "runs", info.repository.replace("/", "-"), runId, "artifacts");
  const artifactDirs = new Map(plan.workflows.map((pw) => [String(pw.github.run_id), artifactDirOf(String(pw.github.run_id))]));
  const fetchOptions: ActionFetchOptions = {
    baseUrl: flags.actionsUrl,
    pins: Object.fromEntries(flags.action.map((a) => parseActionPin(a, deps.cwd))),
    env: deps.env,
    signal: deps.signal,
  };
  const stores = new Map([...artifactDirs].map(([runId, dir]) => [runId, createDirectoryArtifactStore(dir)]));
  // A job's artifacts belong to its workflow's run: names never collide across the workflows of one command.
  const artifacts = (context: { contexts: Record<string, unknown> }) => {
    const runId = String((context.contexts.github as Record<string, unknown> | undefined)?.run_id ?? "");
    const store = stores.get(runId);
    if (!store) throw new Error(`no artifact store for run ${runId}`);
    return store;
  };
  const uses = createActionsHandler({
    fetch: fetchOptions,
    builtins: createBuiltinActions({
      checkout: { source: { dir: info.root, repository: info.repository, sha: info.sha }, keepHistory: Boolean(flags.fullHistory) || workspaceMode === "bind" },
      artifacts,
      // A rollout waiting for a promotion asks on the terminal; without one it fails clearly.
      release: process.stdin.isTTY ? { prompt: promptLine } : {},
    }),
    disabledBuiltins: flags.disableBuiltin,
  });
  let jobCounter = 0;
  const executor = createHostExecutor({
    hostEnv: hostEnvironment(deps.env),
    toolCache: resolveToolCache(flags.toolCache ?? deps.env.SLIPWAY_TOOL_CACHE, deps.cwd, deps.env),
    labels: hostLabels({ extra: flags.label }),
    uses,
    // A local run has no environments and no job token of its own: the command line's secrets are all there is.
    releaseSecrets: (request) => releaseSecrets(request, p.secrets, {}, ""),
    async prepareWorkspace(request) {
      const jobDir = path.join(runDir, "jobs", `${++jobCounter}-${request.key.replace(/[^\w.-]+/g, "_")}`);
      const tempDir = path.join(jobDir, "temp");
      fs.mkdirSync(tempDir, { recursive: true });
      let workspace = info.root;
      if (workspaceMode === "copy") {
        workspace = path.join(jobDir, "workspace");
        copyWorkingTree(info.root, workspace, info.isGit);
      }
      return { workspace, tempDir, jobHome: flags.shareHome ? undefined : path.join(jobDir, "home") };
    },
  });
  const origins: WorkflowOrigins = new WeakMap();
  let result: RunResult;
  try {
    const protectedEnvironments = new Set([...readProtectedEnvironments(info.root), ...(flags.protect ?? [])].map((e) => e.toLowerCase()));
    const approved = new Set((flags.approve ?? []).map((e) => e.toLowerCase()));
    result = await executeRun(plan, {
      executors: [gateLocalDeployments(executor, { protectedEnvironments, approved, ...(deps.ask ? { ask: deps.ask } : {}) })],
      concurrency: flags.jobs ?? os.availableParallelism(),
      signal: deps.signal,
      events: bridgeEvents(deps.renderer),
      loadWorkflow: (ref, from) => loadCalledWorkflow(ref, from, info, fetchOptions, origins),
    });
  } finally {
    if (!flags.keepWorkspace) fs.rmSync(runDir, { recursive: true, force: true });
  }
  const extra: string[] = [];
  if (flags.keepWorkspace) extra.push(`workspaces kept in ${runDir}`);
  for (const dir of artifactDirs.values()) if (fs.existsSync(dir)) extra.push(`artifacts kept in ${dir}`);
  let conclusion: string = result.conclusion;
  const unmatched = result.jobs.filter((j) => j.noRunner);
  if (unmatched.length > 0 && !result.jobs.some((j) => j.startedAt !== undefined)) {
    const labels = [...new Set(unmatched.map((j) => (j.reason ?? "").replace(/^no runner matches labels /, "")))].join(", ");
    if (flags.allowEmpty) {
      extra.push(`no job could run: no runner here matches ${labels} (allowed by --allow-empty)`);
    } else {
      conclusion = "failure";
      extra.push(`no job could run: no runner here matches ${labels}; add --label LABEL if this machine can run them, or --allow-empty to accept an empty run`);
    }
  }
  deps.renderer.summary(result.jobs, conclusion, Date.now() - started, extra);
  return { exitCode: conclusion === "success" ? 0 : 1, document: toJsonDocument({ ...result, conclusion: conclusion as RunResult["conclusion"] }) };
}

/** Where each called workflow was read from: a fetched repository's directory, for the `./` paths it calls in turn. */
type WorkflowOrigins = WeakMap<Workflow, { dir: string; repository: string; ref: string }>;

/**
 * Reads the workflow a job calls with `uses:`: `./path` from the repository's
 * working tree, `owner/repo/path@ref` fetched like a remote action.
 */
async function loadCalledWorkflow(
  ref: string,
  from: Workflow,
  info: RepoInfo,
  fetchOptions: ActionFetchOptions,
  origins: WorkflowOrigins,
): Promise<Workflow> {
  let file: string;
  let display: string;
  let origin: { dir: string; repository: string; ref: string } | undefined;
  const caller = origins.get(from);
  if (ref.startsWith("./") && caller) {
    // GitHub resolves a called workflow's `./` path in that workflow's own repository and commit.
    file = path.join(caller.dir, ref);
    display = `${caller.repository}/${ref.slice(2)}@${caller.ref}`;
    origin = caller;
    if (path.relative(caller.dir, file).startsWith("..")) {
      throw new SlipwayError("WORKFLOW_NOT_FOUND", `${display} is outside ${caller.repository}`, {
        hint: "A ./ path of a called workflow names a file of that workflow's own repository.",
      });
    }
  } else if (ref.startsWith("./")) {
    file = path.join(info.root, ref);
    display = ref.slice(2);
  } else {
    const parsed = parseActionReference(ref);
    if (parsed.kind !== "remote" || !parsed.path) {
      throw new SlipwayError("WORKFLOW_NOT_FOUND", `'${ref}' is not a reusable workflow reference`, {
        hint: "Use ./.github/workflows/FILE.yml or OWNER/REPO/.github/workflows/FILE.yml@REF.",
      });
    }
    const dir = await fetchRemoteAction(parsed, fetchOptions);
    file = path.join(dir, parsed.path);
    display = ref;
    origin = { dir, repository: `${parsed.owner}/${parsed.repo}`, ref: parsed.ref };
  }
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    throw new SlipwayError("WORKFLOW_NOT_FOUND", `the called workflow ${display} does not exist`);
  }
  const workflow = parseWorkflowOrThrow(display, text, { actionInputChecks: releaseActionInputChecks });
  if (origin) origins.set(workflow, origin);
  return workflow;
}

/**
 * Prints a workflow's `run-name`, evaluated with the github, inputs and vars
 * contexts as the server titles its runs; one that cannot be evaluated is a
 * warning and the run goes on.
 */
function showRunName(planned: RunPlan["workflows"][number], plan: RunPlan, secrets: Record<string, string>, renderer: RunRenderer): void {
  const template = planned.workflow.runName;
  if (template === undefined) return;
  try {
    const github = { ...planned.github, event: plan.payload, event_name: plan.event, workflow: planned.name };
    const value = evaluateTemplate(template, { github, inputs: planned.inputs, vars: plan.vars });
    const text = stringifyValue(value);
    if (text.trim() !== "") renderer.runTitle(planned.name, createMasker(Object.values(secrets)).mask(text.trim()));
  } catch (error) {
    renderer.message("warning", `${planned.file}: run-name cannot be evaluated (${(error as Error).message}); the run goes on`);
  }
}

/** The environment step processes inherit: the user's, less variables that would confuse a nested run. */
function hostEnvironment(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) continue;
    if (/^(GITHUB_|RUNNER_|INPUT_|STATE_)/.test(k) || k === "CI") continue;
    out[k] = v;
  }
  return out;
}

/** The --json contract of DESIGN.md. */
function toJsonDocument(result: RunResult): unknown {
  return {
    conclusion: result.conclusion,
    jobs: result.jobs.map((j) => ({
      id: j.id,
      name: j.name,
      workflow: j.workflow,
      matrix: j.matrix ?? null,
      conclusion: j.conclusion,
      outputs: j.outputs ?? {},
      steps: (j.steps ?? []).map((s) => ({
        id: s.id ?? null,
        name: s.name,
        outcome: s.outcome,
        conclusion: s.conclusion,
        outputs: s.outputs ?? {},
      })),
      annotations: j.annotations ?? [],
    })),
  };
}

function bridgeEvents(r: RunRenderer): RunEvents {
  return {
    jobStarted: (job) => r.jobStarted(job.key, job.name),
    jobCompleted: (job) => {
      // a job that never started (skipped, cancelled before start) gets one line too
      r.jobCompleted(job.key, job.name, job.result.conclusion, job.result.reason);
    },
    stepStarted: (key, step) => r.stepStarted(key, step.index, step.name),
    log: (key, index, line) => r.log(key, index, line),
    groupStarted: (key, index, title) => r.groupStarted(key, index, title),
    groupEnded: (key, index) => r.groupEnded(key, index),
    annotation: (key, index, a) => r.annotation(key, index, a),
    stepCompleted: (key, result) => r.stepCompleted(key, result),
    message: (level, text) => r.message(level, text),
  };
}

/**
 * The server's run pipeline: turns triggers (webhooks, dispatches, schedules,
 * polling) into runs and drives each run to its end with the engine.
 *
 * Runs survive restarts and work with several replicas: every run has a
 * lease in the store naming the replica that drives it. The driver renews
 * it; when a replica dies its lease lapses and another replica re-drives the
 * run with `executeRun`, whose job executor replays completed jobs from the
 * store instantly and waits for (or queues) the others. Results are kept
 * in the store as the engine reports them.
 */
import { randomUUID } from "node:crypto";
import { readFile, writeFile, mkdir } from "node:fs/promises";
import path from "node:path";
import { SlipwayError, isSlipwayError } from "../../lib/index.js";
import { executeRun, planRun, selectWorkflows, type RunJobInfo, type RunJobResult, type RunPlan } from "../../engine/index.js";
import type { Job, Repository, Store, WorkflowRun } from "../../store/index.js";
import { evaluateTemplate, parseWorkflow, parseWorkflowOrThrow, type Workflow } from "../../workflow/index.js";
import type { WorkflowDispatcher } from "../context.js";
import { sealContext } from "../context.js";
import { planRerun } from "../routes/runs.js";
import { openSecrets } from "../routes/secrets.js";
import type { SecretBox } from "../security.js";
import { isFromFork, type Trigger } from "../webhooks.js";
import { inferForgeTarget, postCommitStatus, type ForgeTarget, type StatusState } from "./commit-status.js";
import { cronMatches, parseCron } from "./cron.js";
import { createMirrors, hasCommit, listChangedFiles, readCommitTitle, readFileAt, readWorkflowFiles, resolveRef, resolveRefName, type MirrorSource } from "./git-mirror.js";
import { defaultRunTitle, evaluateRunName, finishTitle, needsCommitTitle } from "./run-title.js";
import { createQueueExecutor, DrivingStopped } from "./queue-executor.js";
import { githubContextOfRun } from "./run-github-context.js";

export interface PipelineLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface PipelineConfig {
  /** Mirrors live in `<dataDir>/mirrors`. */
  dataDir: string;
  /** Base of links in commit statuses and the `github` context. */
  publicUrl?: string;
  /** This replica's name in run leases; default a random id per process. */
  replicaId?: string;
  /** How long a replica holds a run without renewing; default 30 seconds. */
  runLeaseSeconds?: number;
  /** How often waits re-read the store; default 1000 ms. */
  pollIntervalMs?: number;
  /** How often expired job leases are swept and orphaned runs resumed; default 5000 ms. */
  sweepIntervalMs?: number;
  /** Re-queues allowed when a runner is lost (the retry policy); default 0. */
  jobMaxRetries?: number;
  /** Fire `schedule` triggers once a minute; default true. */
  schedules?: boolean;
  /** How often repositories with a polling interval are checked; default 15000 ms. */
  pollingCheckMs?: number;
  /** Where commit statuses go for a repository; default inferred from its git URL and credentials. */
  resolveForge?: (repository: Repository, token: string | null) => ForgeTarget | null;
  /** The fetch used for commit statuses (tests). */
  fetch?: typeof fetch;
}

export interface PipelineDeps {
  store: Store;
  config: PipelineConfig;
  secretBox: SecretBox;
  clock?: () => Date;
  logger?: PipelineLogger;
  /** Aborting it stops the pipeline as `stop()` does. */
  signal?: AbortSignal;
}

export interface Pipeline {
  onTrigger(trigger: Trigger): Promise<void>;
  dispatcher: WorkflowDispatcher;
  /** Cancels a run: its driver aborts the engine; running jobs are told to stop through their heartbeat answer. */
  cancelRun(runId: number): Promise<void>;
  /** Starts the next attempt: every job, or only failed/cancelled ones and their dependents (others keep their results). */
  rerun(runId: number, options?: { failedOnly?: boolean }): Promise<WorkflowRun>;
  /** Resumes unfinished runs and starts the periodic work (lease sweep, schedules, polling). */
  start(): Promise<void>;
  /** Stops driving (jobs go on; another replica or the next start resumes the runs) and ends the periodic work. */
  stop(): Promise<void>;
  /** One pass of each periodic task, for operators and tests. */
  tick: {
    sweep(now?: Date): Promise<void>;
    schedules(now?: Date): Promise<number>;
    polling(now?: Date): Promise<number>;
  };
  /** Resolves when every run this replica drives has ended (tests). */
  idle(): Promise<void>;
  /** Wakes waits for job completion early (e.g. after a runner completed a job in this process). */
  notify(): void;
}

interface Driving {
  controller: AbortController;
  stopped: AbortController;
  done: Promise<void>;
  wake?: () => void;
  /** Launch again once this drive ends (a re-run asked while the previous attempt was finishing). */
  again?: boolean;
}

const nullLogger: PipelineLogger = { info() {}, warn() {}, error() {} };

/** `owner/repo/path/to/workflow.yml@ref`, as a job's `uses:` names a workflow in another repository. */
export function parseCalledWorkflowRef(uses: string): { owner: string; repo: string; path: string; ref: string } {
  const match = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)\/([^@]+\.ya?ml)@([^@\s]+)$/.exec(uses.trim());
  const path = match?.[3] ?? "";
  if (!match || path.split("/").some((part) => part === "" || part === "." || part === "..")) {
    throw new SlipwayError("WORKFLOW_NOT_FOUND", `'${uses}' is not a reusable workflow reference`, {
      hint: "Use ./.github/workflows/FILE.yml or OWNER/REPO/.github/workflows/FILE.yml@REF.",
    });
  }
  return { owner: match[1]!, repo: match[2]!, path, ref: match[4]! };
}

function refName(ref: string): string {
  return ref.replace(/^refs\/(heads|tags)\//, "");
}

function obj(v: unknown): Record<string, unknown> {
  return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function truthy(value: unknown): boolean {
  if (typeof value === "string") return value !== "" && value !== "false";
  return Boolean(value);
}

export function createPipeline(deps: PipelineDeps): Pipeline {
  const { store, config, secretBox } = deps;
  const clock = deps.clock ?? (() => new Date());
  const logger = deps.logger ?? nullLogger;
  const replicaId = config.replicaId ?? `replica-${randomUUID()}`;
  const leaseSeconds = config.runLeaseSeconds ?? 30;
  const pollMs = config.pollIntervalMs ?? 1000;
  const sweepMs = config.sweepIntervalMs ?? 5000;
  const publicUrl = (config.publicUrl ?? "http://localhost:8080").replace(/\/+$/, "");
  const mirrors = createMirrors(config.dataDir);
  const driving = new Map<number, Driving>();
  /** Workflows parsed while creating a run, handed to its first drive instead of reading and parsing the file again. */
  const parsedForRun = new Map<number, Workflow>();
  const timers: NodeJS.Timeout[] = [];
  let running = false;
  let stopping = false;

  // ------------------------------------------------------------ repository access

  const credentialsOf = (repo: Repository): string | null => {
    if (!repo.credentials) return null;
    try {
      return secretBox.decrypt(repo.credentials.toString("utf8"), sealContext.credentials(repo.id));
    } catch {
      logger.warn(`repository ${repo.fullName}: stored credentials cannot be decrypted; fetching without them`);
      return null;
    }
  };
  const sourceOf = (repo: Repository): MirrorSource => ({ id: repo.id, gitUrl: repo.gitUrl, credentials: credentialsOf(repo) });

  /** The mirror, fetched when it lacks the commit (or always when `sha` is absent). */
  const mirrorWith = async (repo: Repository, sha?: string): Promise<string> => {
    const dir = mirrors.path(repo.id);
    if (sha && (await hasCommit(dir, sha))) return dir;
    return mirrors.fetch(sourceOf(repo));
  };

  /** The secrets of the repository, or of one of its environments (by its stored name); undecryptable ones are left out. */
  const secretsOf = async (repo: Repository, environment: string | null = null): Promise<Record<string, string>> =>
    openSecrets({ store, secretBox }, repo.id, environment, (name) =>
      logger.warn(`repository ${repo.fullName}: ${environment === null ? "" : `environment ${environment}: `}secret ${name} cannot be decrypted; left out`),
    );

  /**
   * The workflow a job calls with `uses:`: `./path` from the run's own commit,
   * `owner/repo/path@ref` from the mirror of a repository registered on this
   * server (fetched when the ref is not there yet).
   */
  const loadCalledWorkflow = async (repo: Repository, headSha: string, uses: string): Promise<Workflow> => {
    let source = repo;
    let sha = headSha;
    let file: string;
    if (uses.startsWith("./")) {
      file = uses.slice(2).replace(/@.*$/, "");
    } else {
      const ref = parseCalledWorkflowRef(uses);
      const called = await store.getRepositoryByName(ref.owner, ref.repo);
      if (!called) {
        throw new SlipwayError("WORKFLOW_NOT_FOUND", `the called workflow '${uses}' is in ${ref.owner}/${ref.repo}, which is not registered on this server`, {
          hint: `Register it (slipway repo add ${ref.owner}/${ref.repo} --url GIT_URL) or copy the workflow into this repository and call it as ./${ref.path}.`,
        });
      }
      source = called;
      let mirror = await mirrorWith(called, /^[0-9a-f]{40}$/.test(ref.ref) ? ref.ref : undefined);
      let resolved = await resolveRef(mirror, ref.ref);
      if (!resolved) {
        mirror = await mirrors.fetch(sourceOf(called));
        resolved = await resolveRef(mirror, ref.ref);
      }
      if (!resolved) {
        throw new SlipwayError("WORKFLOW_NOT_FOUND", `the called workflow '${uses}': ${ref.owner}/${ref.repo} has no branch, tag or commit '${ref.ref}'`, {
          hint: "Name an existing branch, tag or full commit id after the @.",
        });
      }
      sha = resolved;
      file = ref.path;
    }
    const mirror = await mirrorWith(source, sha);
    const text = await readFileAt(mirror, sha, file);
    if (text === null) {
      throw new SlipwayError("WORKFLOW_NOT_FOUND", `the called workflow ${file} is not in ${source.fullName} at ${sha.slice(0, 12)}`, {
        hint: "Check the path after the repository name: reusable workflows live in .github/workflows/.",
      });
    }
    return parseWorkflowOrThrow(uses.startsWith("./") ? file : uses, text);
  };

  /**
   * The repository's configuration variables (the `vars` context), read when
   * a run is created and each time it is driven, so a re-run sees current values.
   * Like secrets, they are not given to runs of pull requests from forks.
   */
  const varsOf = async (repo: Repository, eventPayload: unknown): Promise<Record<string, string>> => {
    if (isFromFork(eventPayload)) return {};
    const out: Record<string, string> = {};
    for (const variable of await store.listVariables(repo.id)) out[variable.name] = variable.value;
    return out;
  };

  /**
   * The engine's environment provider for one run: the environment a job names
   * is created when it does not exist yet (as GitHub does), and its variables
   * are read each time a job naming it is prepared (its secrets are released
   * when a runner claims the job). Runs of pull requests from forks get none.
   */
  const environmentsFor = (repo: Repository, eventPayload: unknown) => {
    const fork = isFromFork(eventPayload);
    return {
      contexts: async (name: string): Promise<{ vars: Record<string, string> }> => {
        const environment = await store.ensureEnvironment(repo.id, name);
        if (fork) return { vars: {} };
        const vars: Record<string, string> = {};
        for (const variable of await store.listVariables(repo.id, environment.name)) vars[variable.name] = variable.value;
        return { vars };
      },
    };
  };

  // ------------------------------------------------------------ commit statuses

  const sendStatus = (repo: Repository, run: WorkflowRun, state: StatusState, description: string): void => {
    if (!run.headSha) return;
    const token = credentialsOf(repo);
    const bare = token && token.includes(":") ? token.slice(token.indexOf(":") + 1) : token;
    const target = config.resolveForge ? config.resolveForge(repo, bare) : inferForgeTarget(repo, bare);
    if (!target) return;
    void postCommitStatus(
      target,
      {
        owner: repo.owner,
        name: repo.name,
        sha: run.headSha,
        state,
        context: `slipway/${run.workflowName}`,
        description,
        targetUrl: `${publicUrl}/${repo.fullName}/actions/runs/${run.id}`,
      },
      { fetch: config.fetch, onError: (m) => logger.warn(m) },
    );
  };

  // ------------------------------------------------------------ contexts

  const githubContext = (repo: Repository, run: WorkflowRun): Record<string, unknown> => githubContextOfRun(repo, run, publicUrl);

  const concurrencyOf = (
    workflow: Workflow,
    github: Record<string, unknown>,
    inputs: Record<string, unknown>,
    vars: Record<string, string>,
  ): { group: string; cancelInProgress: boolean } | null => {
    if (!workflow.concurrency) return null;
    const contexts = { github, inputs, vars };
    const group = evaluateTemplate(workflow.concurrency.group, contexts);
    const text = group === null || group === undefined ? "" : String(group);
    if (text === "") return null;
    return { group: text, cancelInProgress: truthy(evaluateTemplate(workflow.concurrency.cancelInProgress, contexts)) };
  };

  // ------------------------------------------------------------ creating runs

  /** The title a run gets without `run-name` (see run-title.ts); masked and capped. */
  const defaultTitleOf = async (repo: Repository, workflowName: string, event: string, payload: unknown, sha: string): Promise<string> => {
    const commitTitle = needsCommitTitle(event, payload) ? await readCommitTitle(mirrors.path(repo.id), sha) : null;
    return finishTitle(defaultRunTitle(workflowName, event, payload, commitTitle), Object.values(await secretsOf(repo)));
  };

  /**
   * The run's `run-name` evaluated with its github context, typed inputs and
   * the repository's variables; null when the workflow has none, it is blank,
   * or it fails (a warning says why and the run keeps its default title).
   */
  const runNameOf = async (repo: Repository, workflow: Workflow, run: WorkflowRun, inputs: Record<string, unknown>, vars: Record<string, string>): Promise<string | null> => {
    if (workflow.runName === undefined) return null;
    try {
      const github = { ...githubContext(repo, run), event: obj(run.eventPayload), event_name: run.event, workflow: workflow.name ?? workflow.file };
      const name = evaluateRunName(workflow, { github, inputs, vars });
      return name === null ? null : finishTitle(name, Object.values(await secretsOf(repo)));
    } catch (error) {
      logger.warn(`run ${run.id}: run-name of ${workflow.file} cannot be evaluated (${(error as Error).message}); the run keeps its default title`);
      return null;
    }
  };

  /** A run for a workflow file that does not parse: failed at once, its errors in the job's log and error. */
  const recordInvalidWorkflow = async (repo: Repository, file: string, messages: string[], base: Omit<Parameters<Store["createRun"]>[0], "repositoryId" | "workflowFile" | "workflowName">) => {
    const displayTitle = await defaultTitleOf(repo, file, base.event, base.eventPayload, base.headSha);
    const run = await store.createRun({ ...base, repositoryId: repo.id, workflowFile: file, workflowName: file, status: "queued", displayTitle });
    const [job] = await store.enqueueJobs(run.id, [{ key: "invalid-workflow", name: "Invalid workflow file", labels: [], status: "pending" }]);
    const text = messages.map((m) => `::error::${m}`).join("\n") + "\n";
    await store.appendLogChunk({ jobId: job!.id, step: -1, seq: 0, data: text });
    await store.updateJob(job!.id, { status: "completed", conclusion: "failure", error: `invalid workflow file: ${messages.join("; ")}`.slice(0, 2000) });
    const done = await store.updateRun(run.id, { status: "completed", conclusion: "failure" });
    sendStatus(repo, done ?? run, "failure", "Invalid workflow file");
    logger.warn(`repository ${repo.fullName}: ${file} is invalid; run ${run.id} failed`);
    return run;
  };

  const createRunFor = async (
    repo: Repository,
    workflow: Workflow,
    input: {
      event: string;
      payload: Record<string, unknown>;
      sha: string;
      branch: string | null;
      actor: string | null;
      inputs?: Record<string, unknown>;
      /** The `inputs` context (typed against the workflow's declarations) for `run-name`; default none. */
      typedInputs?: Record<string, unknown>;
    },
  ): Promise<WorkflowRun> => {
    const workflowName = workflow.name ?? workflow.file;
    const vars = await varsOf(repo, input.payload);
    let run = await store.createRun({
      repositoryId: repo.id,
      workflowFile: workflow.file,
      workflowName: workflow.name ?? workflow.file,
      event: input.event,
      headBranch: input.branch,
      headSha: input.sha,
      actor: input.actor,
      status: "queued",
      eventPayload: input.payload,
      inputs: input.inputs ?? null,
      displayTitle: await defaultTitleOf(repo, workflowName, input.event, input.payload, input.sha),
    });
    // run-name may use the run's id and number, known once the run exists.
    const runName = await runNameOf(repo, workflow, run, input.typedInputs ?? {}, vars);
    if (runName !== null) run = (await store.updateRun(run.id, { displayTitle: runName })) ?? run;
    try {
      const c = concurrencyOf(workflow, githubContext(repo, run), input.inputs ?? obj(input.payload.inputs), vars);
      if (c) run = (await store.updateRun(run.id, { concurrencyGroup: c.group })) ?? run;
    } catch (error) {
      logger.warn(`run ${run.id}: concurrency group: ${(error as Error).message}`);
    }
    await store.openRunLease(run.id);
    sendStatus(repo, run, "pending", "Queued");
    parsedForRun.set(run.id, workflow);
    launch(run.id);
    return run;
  };

  const parseAll = (files: { path: string; text: string }[]) => {
    const valid: Workflow[] = [];
    const invalid: { file: string; messages: string[] }[] = [];
    for (const f of files) {
      const parsed = parseWorkflow(f.path, f.text);
      if (parsed.workflow) valid.push(parsed.workflow);
      else invalid.push({ file: f.path, messages: parsed.errors.map((e) => (e.position ? `${e.position.file} (Line: ${e.position.line}, Col: ${e.position.col}): ${e.message}` : e.message)) });
    }
    return { valid, invalid };
  };

  async function onTrigger(trigger: Trigger): Promise<void> {
    const repo = await store.getRepository(trigger.repositoryId);
    if (!repo) {
      logger.warn(`trigger ${trigger.deliveryId}: repository ${trigger.repositoryId} is gone`);
      return;
    }
    if (/^0+$/.test(trigger.sha)) return; // a deleted branch or tag starts nothing
    const mirror = await mirrorWith(repo, trigger.sha);
    if (!(await hasCommit(mirror, trigger.sha))) {
      logger.warn(`trigger ${trigger.deliveryId}: commit ${trigger.sha} is not in ${repo.fullName}`);
      return;
    }
    const { valid, invalid } = parseAll(await readWorkflowFiles(mirror, trigger.sha));
    const changedFiles = trigger.changedFiles ?? (trigger.event === "push" ? await listChangedFiles(mirror, trigger.before, trigger.sha) : null);
    const payload = { ...trigger.payload };
    const actor = String(obj(payload.sender).login ?? obj(payload.pusher).name ?? obj(payload.user).username ?? "") || null;
    const branch = trigger.event === "pull_request" ? String(obj(obj(payload.pull_request).head).ref ?? "") || null : trigger.ref.startsWith("refs/heads/") ? refName(trigger.ref) : null;
    for (const bad of invalid) {
      await recordInvalidWorkflow(repo, bad.file, bad.messages, { event: trigger.event, headBranch: branch, headSha: trigger.sha, actor, eventPayload: payload });
    }
    const selected = selectWorkflows(valid, { event: trigger.event, payload, ref: trigger.ref, changedFiles });
    for (const { workflow } of selected) {
      await createRunFor(repo, workflow, { event: trigger.event, payload, sha: trigger.sha, branch, actor });
    }
  }

  const dispatcher: WorkflowDispatcher = {
    async dispatch(input) {
      const repo = input.repository;
      const mirror = await mirrorWith(repo);
      const resolved = await resolveRefName(mirror, input.ref);
      const sha = resolved?.sha;
      if (!sha) throw new SlipwayError("NOT_FOUND", `No ref '${input.ref}' in ${repo.fullName}`, { hint: "Pass an existing branch or tag as `ref`." });
      const text = await readFileAt(mirror, sha, input.workflowFile);
      if (text === null) throw new SlipwayError("NOT_FOUND", `No workflow ${input.workflowFile} at ${input.ref}`, { hint: "Check the workflow file name and the ref." });
      const parsed = parseWorkflow(input.workflowFile, text);
      if (!parsed.workflow) {
        throw new SlipwayError("WORKFLOW_INVALID", `${input.workflowFile}: ${parsed.errors.length} error(s)`, { details: parsed.errors, position: parsed.errors[0]?.position });
      }
      const workflow = parsed.workflow;
      if (!workflow.on.workflowDispatch) {
        throw new SlipwayError("VALIDATION_FAILED", `Workflow does not have 'workflow_dispatch' trigger`, { hint: "Add `on: workflow_dispatch` to the workflow." });
      }
      const ref = input.ref.startsWith("refs/") ? input.ref : resolved?.matched === `refs/heads/${input.ref}` ? resolved.matched : `refs/tags/${input.ref}`;
      const payload = { ref, inputs: input.inputs, workflow: input.workflowFile, sender: { login: input.actor } };
      // Validates the inputs before a run exists (answers 422 instead of a failed run).
      const checked = planRun({ workflows: [workflow], event: "workflow_dispatch", payload, github: { repository: repo.fullName, sha, ref }, inputs: input.inputs });
      return createRunFor(repo, workflow, {
        event: "workflow_dispatch",
        payload,
        sha,
        branch: ref.startsWith("refs/heads/") ? refName(ref) : null,
        actor: input.actor,
        inputs: input.inputs,
        typedInputs: checked.workflows[0]?.inputs ?? {},
      });
    },
  };

  // ------------------------------------------------------------ driving runs

  /** Starts driving a run in the background unless this replica already does. */
  function launch(runId: number): void {
    if (stopping) {
      parsedForRun.delete(runId);
      return;
    }
    const current = driving.get(runId);
    if (current) {
      current.again = true;
      return;
    }
    const entry: Driving = { controller: new AbortController(), stopped: new AbortController(), done: Promise.resolve() };
    driving.set(runId, entry);
    entry.done = drive(runId, entry)
      .catch((error: unknown) => logger.error(`run ${runId}: driving failed: ${isSlipwayError(error) || error instanceof Error ? error.message : String(error)}`))
      .finally(() => {
        if (driving.get(runId) === entry) driving.delete(runId);
        if (entry.again) launch(runId);
      });
  }

  async function drive(runId: number, entry: Driving): Promise<void> {
    const parsed = parsedForRun.get(runId);
    parsedForRun.delete(runId);
    const lease = await store.acquireRunLease(runId, replicaId, leaseSeconds, clock());
    if (!lease) return;
    if (lease.cancelRequested) entry.controller.abort();
    let owned = true;
    const renew = setInterval(() => {
      void store.acquireRunLease(runId, replicaId, leaseSeconds, clock()).then(
        (l) => {
          if (!l) {
            owned = false;
            entry.stopped.abort();
          } else if (l.cancelRequested && !entry.controller.signal.aborted) {
            entry.controller.abort();
            entry.wake?.();
          }
        },
        (error: unknown) => logger.warn(`run ${runId}: renewing its lease: ${(error as Error).message}`),
      );
    }, Math.max(50, Math.min(5000, (leaseSeconds * 1000) / 3)));
    try {
      const finished = await driveOwned(runId, entry, parsed);
      if (finished && owned && !entry.stopped.signal.aborted) await store.releaseRunLease(runId, replicaId, { finished: true });
    } finally {
      clearInterval(renew);
      if (entry.stopped.signal.aborted && owned) await store.releaseRunLease(runId, replicaId).catch(() => undefined);
    }
  }

  /** Waits while an older run of the same concurrency group is unfinished; false when this run must not go on. */
  async function waitForGroup(run: WorkflowRun, workflow: Workflow, github: Record<string, unknown>, vars: Record<string, string>, entry: Driving): Promise<boolean> {
    const c = (() => {
      try {
        return concurrencyOf(workflow, github, run.inputs ?? obj(obj(run.eventPayload).inputs), vars);
      } catch {
        return null;
      }
    })();
    if (!c || !run.concurrencyGroup) return true;
    const cancelled = new Set<number>();
    let marked = false;
    for (;;) {
      if (entry.controller.signal.aborted || entry.stopped.signal.aborted) return false;
      const others = (await store.listRuns({ repositoryId: run.repositoryId, concurrencyGroup: run.concurrencyGroup, perPage: 100 })).items.filter(
        (r) => r.id < run.id && r.status !== "completed",
      );
      if (others.length === 0) return true;
      if (!marked) {
        // GitHub shows a run waiting for its concurrency group as pending.
        marked = true;
        await store.updateRun(run.id, { status: "pending" });
      }
      for (const other of others) {
        if (cancelled.has(other.id)) continue;
        const started = (await store.listJobs(other.id)).length > 0;
        // A newer run replaces an older one still waiting in the group; with cancel-in-progress it also cancels the running one.
        if (!started || c.cancelInProgress) {
          cancelled.add(other.id);
          await cancelRun(other.id).catch((error: unknown) => logger.warn(`run ${other.id}: cancel for concurrency group: ${(error as Error).message}`));
        }
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }

  /** Drives the run's current attempt; true when it reached its end (false when this replica stopped). */
  async function driveOwned(runId: number, entry: Driving, parsedWorkflow?: Workflow): Promise<boolean> {
    let run = await store.getRun(runId);
    if (!run) return true;
    const repo = await store.getRepository(run.repositoryId);
    if (!repo) return true;
    const github = githubContext(repo, run);
    let workflow: Workflow;
    if (parsedWorkflow) {
      workflow = parsedWorkflow;
    } else {
      try {
        const mirror = await mirrorWith(repo, run.headSha);
        const text = await readFileAt(mirror, run.headSha, run.workflowFile);
        if (text === null) throw new Error(`${run.workflowFile} is not in commit ${run.headSha}`);
        const parsed = parseWorkflow(run.workflowFile, text);
        if (!parsed.workflow) throw new Error(parsed.errors.map((e) => e.message).join("; "));
        workflow = parsed.workflow;
      } catch (error) {
        await failRun(repo, run, `cannot load the workflow: ${(error as Error).message}`);
        return true;
      }
    }

    if ((await store.listJobs(runId)).length === 0) {
      const go = await waitForGroup(run, workflow, github, await varsOf(repo, run.eventPayload), entry);
      if (entry.stopped.signal.aborted) return false;
      if (!go) {
        await store.cancelRun(runId);
        const done = (await store.getRun(runId)) ?? run;
        sendStatus(repo, done, "cancelled", "Cancelled");
        return true;
      }
    }
    run = (await store.getRun(runId)) ?? run;

    const vars = await varsOf(repo, run.eventPayload);
    let plan: RunPlan;
    try {
      plan = planRun({
        workflows: [workflow],
        event: run.event,
        payload: obj(run.eventPayload),
        github,
        vars,
        ...(run.inputs ? { inputs: run.inputs } : {}),
      });
    } catch (error) {
      await failRun(repo, run, (error as Error).message);
      return true;
    }
    const attempt = run.runAttempt;
    await enqueuePlaceholders(run, plan);

    const environments = environmentsFor(repo, run.eventPayload);
    const executor = createQueueExecutor({
      store,
      repositoryId: repo.id,
      runId,
      attempt,
      stopped: entry.stopped.signal,
      pollMs,
      maxRetries: config.jobMaxRetries ?? 0,
    });
    entry.wake = executor.wake;
    const persist = async (job: RunJobInfo & { result: RunJobResult }): Promise<void> => {
      if (entry.stopped.signal.aborted) return;
      const jobs = await store.listJobs(runId, { attempt });
      let row: Job | undefined = jobs.find((j) => j.key === job.key);
      if (row?.status === "completed") return;
      if (!row) {
        [row] = await store.enqueueJobs(runId, [{ key: job.key, name: job.name, matrix: job.matrix, labels: [], status: "pending" }], { attempt });
      }
      const conclusion = job.result.conclusion;
      await store.updateJob(row!.id, {
        status: "completed",
        conclusion,
        error: job.result.reason ?? null,
        expectedStatus: ["pending", "queued", "waiting"],
      });
    };
    let pending = Promise.resolve();
    sendStatus(repo, run, "running", "In progress");
    const result = await executeRun(plan, {
      executors: [executor],
      signal: entry.controller.signal,
      concurrency: 10_000,
      now: clock,
      loadWorkflow: (ref) => loadCalledWorkflow(repo, run!.headSha, ref),
      environmentContexts: environments.contexts,
      events: {
        jobCompleted: (job) => {
          pending = pending.then(() => persist(job)).catch((error: unknown) => logger.warn(`run ${runId}: recording job ${job.key}: ${(error as Error).message}`));
        },
        message: (level, text) => (level === "error" ? logger.warn(`run ${runId}: ${text}`) : logger.info(`run ${runId}: ${text}`)),
      },
    }).catch((error: unknown) => {
      if (error instanceof DrivingStopped) return null;
      throw error;
    });
    await pending;
    if (!result || entry.stopped.signal.aborted) return false;
    const current = await store.getRun(runId);
    if (!current || current.runAttempt !== attempt) return true;
    const done = await store.updateRun(runId, { status: "completed", conclusion: result.conclusion });
    sendStatus(repo, done ?? current, result.conclusion, result.conclusion === "success" ? "Succeeded" : result.conclusion === "failure" ? "Failed" : "Cancelled");
    logger.info(`run ${runId} (${repo.fullName} ${run.workflowFile}) attempt ${attempt} ${result.conclusion}`);
    return true;
  }

  /** Every job known before the run, as `pending`, so the run's status covers the whole plan. */
  async function enqueuePlaceholders(run: WorkflowRun, plan: RunPlan): Promise<void> {
    const existing = new Set((await store.listJobs(run.id)).map((j) => j.key));
    const jobs: Parameters<Store["enqueueJobs"]>[1] = [];
    const taken = new Set<string>();
    const add = (key: string, name: string, matrix: Record<string, unknown> | null, needs: string[]) => {
      let k = key;
      for (let n = 2; taken.has(k); n += 1) k = `${key}-${n}`;
      taken.add(k);
      if (!existing.has(k)) jobs.push({ key: k, name, matrix, needs, labels: [], status: "pending", maxRetries: config.jobMaxRetries ?? 0 });
    };
    for (const pw of plan.workflows) {
      for (const pj of pw.jobs) {
        if (pj.uses !== undefined || pj.matrix?.kind === "runtime") continue;
        if (pj.matrix && pj.matrix.legs.length > 1) {
          pj.matrix.legs.forEach((leg, i) => add(`${pj.id}-${i + 1}`, pj.matrix!.kind === "static" ? pj.matrix!.names[i]! : pj.name, leg, pj.needs));
        } else if (pj.matrix && pj.matrix.legs.length === 1) {
          add(pj.id, pj.matrix.names[0]!, pj.matrix.legs[0]!, pj.needs);
        } else {
          add(pj.id, pj.name, null, pj.needs);
        }
      }
    }
    if (jobs.length > 0) await store.enqueueJobs(run.id, jobs);
  }

  async function failRun(repo: Repository, run: WorkflowRun, message: string): Promise<void> {
    logger.warn(`run ${run.id}: ${message}`);
    const jobs = await store.listJobs(run.id);
    let job = jobs.find((j) => j.status !== "completed");
    if (!job && jobs.length === 0) [job] = await store.enqueueJobs(run.id, [{ key: "setup", name: "Set up run", labels: [], status: "pending" }]);
    for (const j of jobs.filter((x) => x.status !== "completed")) {
      await store.updateJob(j.id, { status: "completed", conclusion: j === job ? "failure" : "cancelled", error: j === job ? message.slice(0, 2000) : null });
    }
    if (job && jobs.length === 0) await store.updateJob(job.id, { status: "completed", conclusion: "failure", error: message.slice(0, 2000) });
    const done = await store.updateRun(run.id, { status: "completed", conclusion: "failure" });
    sendStatus(repo, done ?? run, "failure", "Failed to start");
  }

  // ------------------------------------------------------------ cancel, re-run

  async function cancelRun(runId: number): Promise<void> {
    const run = await store.getRun(runId);
    if (!run) throw new SlipwayError("NOT_FOUND", `Workflow run ${runId} does not exist`);
    if (run.status === "completed") throw new SlipwayError("CONFLICT", "Cannot cancel a workflow run that is completed.");
    const requested = await store.requestRunCancel(runId);
    const local = driving.get(runId);
    if (local) {
      local.controller.abort();
      local.wake?.();
    } else if (requested) {
      // Nobody may be driving it right now: take it, see the request and cancel.
      launch(runId);
    } else {
      // A run without a lease (created outside the pipeline): cancel its jobs directly.
      await store.cancelRun(runId);
    }
  }

  async function rerun(runId: number, options: { failedOnly?: boolean } = {}): Promise<WorkflowRun> {
    const run = await store.getRun(runId);
    if (!run) throw new SlipwayError("NOT_FOUND", `Workflow run ${runId} does not exist`);
    if (run.status !== "completed") throw new SlipwayError("CONFLICT", "Only a completed workflow run can be re-run.");
    const previous = await store.listJobs(runId);
    const failed = (j: Job) => j.conclusion === "failure" || j.conclusion === "cancelled" || j.conclusion === "timed_out" || j.conclusion === "startup_failure";
    if (options.failedOnly && !previous.some(failed)) throw new SlipwayError("CONFLICT", "The run has no failed jobs.");
    const rerunKeys = new Set(planRerun(previous, options.failedOnly ? failed : () => true).map((j) => j.key));
    const reuse = previous.filter((j) => !rerunKeys.has(j.key) && j.conclusion === "success");
    const next = await store.startRunAttempt(runId);
    // Every job of the attempt is listed up front, so the run's status never reads as completed
    // while only the reused jobs are there; the re-run ones are planned again when driven.
    const copies = await store.enqueueJobs(
      runId,
      previous.map((old) => ({
        key: old.key,
        name: old.name,
        matrix: old.matrix,
        needs: old.needs,
        labels: reuse.includes(old) ? old.labels : [],
        request: reuse.includes(old) ? old.request : null,
        maxRetries: old.maxRetries,
        status: "pending" as const,
      })),
      { attempt: next.runAttempt },
    );
    for (const old of reuse) {
      const copy = copies.find((c) => c.key === old.key);
      for (const step of await store.listSteps(old.id)) {
        await store.recordStep(copy!.id, { number: step.number, name: step.name, status: step.status, conclusion: step.conclusion, startedAt: step.startedAt, completedAt: step.completedAt });
      }
      await store.completeJob(copy!.id, { conclusion: "success", outputs: old.outputs ?? {}, error: null });
    }
    await store.openRunLease(runId);
    launch(runId);
    return (await store.getRun(runId)) ?? next;
  }

  // ------------------------------------------------------------ periodic work

  async function sweep(now = clock()): Promise<void> {
    const expired = await store.expireLeases(now);
    for (const e of expired) logger.info(`job ${e.job.id} of run ${e.job.runId}: runner lost, ${e.outcome}`);
    if (expired.length > 0) for (const d of driving.values()) d.wake?.();
    for (const lease of await store.listOpenRunLeases(now)) launch(lease.runId);
  }

  const allRepositories = async (): Promise<Repository[]> => {
    const out: Repository[] = [];
    for (let page = 1; ; page += 1) {
      const p = await store.listRepositories({ page, perPage: 100 });
      out.push(...p.items);
      if (p.items.length < 100) return out;
    }
  };

  async function fireSchedules(now = clock()): Promise<number> {
    const minute = new Date(Math.floor(now.getTime() / 60_000) * 60_000);
    let fired = 0;
    for (const repo of await allRepositories()) {
      try {
        const mirror = await mirrors.fetch(sourceOf(repo)).catch(() => mirrors.path(repo.id));
        const sha = await resolveRef(mirror, `refs/heads/${repo.defaultBranch}`);
        if (!sha) continue;
        const { valid } = parseAll(await readWorkflowFiles(mirror, sha));
        for (const workflow of valid) {
          for (const s of workflow.on.schedule ?? []) {
            let matches: boolean;
            try {
              matches = cronMatches(parseCron(s.cron), minute, s.timezone);
            } catch {
              continue;
            }
            if (!matches) continue;
            if (!(await store.claimScheduleTick({ repositoryId: repo.id, workflowFile: workflow.file, cron: s.cron, minute }))) continue;
            fired += 1;
            await createRunFor(repo, workflow, {
              event: "schedule",
              payload: { schedule: s.cron, ref: `refs/heads/${repo.defaultBranch}` },
              sha,
              branch: repo.defaultBranch,
              actor: null,
            });
          }
        }
      } catch (error) {
        logger.warn(`schedules of ${repo.fullName}: ${(error as Error).message}`);
      }
    }
    return fired;
  }

  const lastPolled = new Map<number, number>();
  const headsFile = (repoId: number) => path.join(config.dataDir, "mirrors", `${repoId}.heads.json`);

  async function pollRepositories(now = clock()): Promise<number> {
    let fired = 0;
    for (const repo of await allRepositories()) {
      if (repo.pollingIntervalSeconds === null || repo.pollingIntervalSeconds <= 0) continue;
      const last = lastPolled.get(repo.id);
      if (last !== undefined && now.getTime() - last < repo.pollingIntervalSeconds * 1000) continue;
      lastPolled.set(repo.id, now.getTime());
      try {
        const mirror = await mirrors.fetch(sourceOf(repo));
        const heads = await listHeads(mirror);
        let known: Record<string, string> | null = null;
        try {
          known = JSON.parse(await readFile(headsFile(repo.id), "utf8")) as Record<string, string>;
        } catch {
          known = null;
        }
        await mkdir(path.dirname(headsFile(repo.id)), { recursive: true });
        await writeFile(headsFile(repo.id), JSON.stringify(heads));
        // The first look only learns the heads: history is not replayed.
        if (known === null) continue;
        for (const [ref, sha] of Object.entries(heads)) {
          if (known[ref] === sha) continue;
          const committed = await commitMinute(mirror, sha);
          // One replica fires a given new head.
          if (!(await store.claimScheduleTick({ repositoryId: repo.id, workflowFile: `poll:${ref}@${sha}`, cron: "poll", minute: committed }))) continue;
          fired += 1;
          const before = known[ref] ?? null;
          await onTrigger({
            provider: "github",
            deliveryId: `poll-${repo.id}-${sha}`,
            repo: repo.fullName,
            repositoryId: repo.id,
            event: "push",
            action: null,
            ref,
            sha,
            before,
            payload: { ref, before: before ?? "0".repeat(40), after: sha, repository: { full_name: repo.fullName, default_branch: repo.defaultBranch }, created: before === null },
            changedFiles: null,
            fromFork: false,
          });
        }
      } catch (error) {
        logger.warn(`polling ${repo.fullName}: ${(error as Error).message}`);
      }
    }
    return fired;
  }

  // ------------------------------------------------------------ lifecycle

  const every = (ms: number, task: () => Promise<unknown>) => {
    let busy = false;
    const t = setInterval(() => {
      if (busy || stopping) return;
      busy = true;
      task()
        .catch((error: unknown) => logger.warn(`pipeline: ${(error as Error).message}`))
        .finally(() => (busy = false));
    }, ms);
    t.unref();
    timers.push(t);
  };

  async function start(): Promise<void> {
    if (running) return;
    running = true;
    stopping = false;
    await sweep();
    every(sweepMs, () => sweep());
    if (config.schedules !== false) {
      let lastMinute = -1;
      every(Math.min(10_000, sweepMs), async () => {
        const now = clock();
        const m = Math.floor(now.getTime() / 60_000);
        if (m === lastMinute) return;
        lastMinute = m;
        await fireSchedules(now);
      });
    }
    every(config.pollingCheckMs ?? 15_000, () => pollRepositories());
  }

  async function stop(): Promise<void> {
    stopping = true;
    running = false;
    for (const t of timers.splice(0)) clearInterval(t);
    for (const d of driving.values()) d.stopped.abort();
    await Promise.allSettled([...driving.values()].map((d) => d.done));
  }

  deps.signal?.addEventListener("abort", () => void stop(), { once: true });

  return {
    onTrigger,
    dispatcher,
    cancelRun,
    rerun,
    start,
    stop,
    tick: { sweep, schedules: fireSchedules, polling: pollRepositories },
    async idle() {
      while (driving.size > 0) await Promise.allSettled([...driving.values()].map((d) => d.done));
    },
    notify() {
      for (const d of driving.values()) d.wake?.();
    },
  };
}

async function listHeads(mirror: string): Promise<Record<string, string>> {
  const { execFile } = await import("node:child_process");
  return new Promise((resolve, reject) => {
    execFile("git", ["for-each-ref", "--format=%(refname) %(objectname)", "refs/heads"], { cwd: mirror }, (error, stdout) => {
      if (error) return reject(error);
      const out: Record<string, string> = {};
      for (const line of stdout.split("\n")) {
        const [ref, sha] = line.trim().split(" ");
        if (ref && sha) out[ref] = sha;
      }
      resolve(out);
    });
  });
}

async function commitMinute(mirror: string, sha: string): Promise<Date> {
  const { execFile } = await import("node:child_process");
  return new Promise((resolve) => {
    execFile("git", ["show", "-s", "--format=%ct", sha], { cwd: mirror }, (error, stdout) => {
      const seconds = error ? 0 : Number(stdout.trim());
      resolve(new Date(Math.floor(seconds / 60) * 60_000));
    });
  });
}

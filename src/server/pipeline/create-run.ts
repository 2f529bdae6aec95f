/**
 * Creating runs: a trigger (webhook, polling, schedule) or a dispatch becomes
 * one run per selected workflow, with its title, concurrency group and open
 * lease, handed to the driver. A workflow file that does not parse becomes a
 * failed run showing its errors.
 */
import { SlipwayError } from "../../lib/index.js";
import { planRun, selectWorkflows } from "../../engine/index.js";
import type { Repository, Store, WorkflowRun } from "../../store/index.js";
import { evaluateTemplate, toBooleanSetting, type Workflow } from "../../workflow/index.js";
import type { WorkflowDispatcher } from "../context.js";
import type { RunHandoff } from "./pipeline-types.js";
import type { Trigger } from "../webhooks.js";
import { hasCommit, listChangedFiles, readCommitTitle, readFileAt, readWorkflowFiles, resolveRefName } from "./git-mirror.js";
import { asObject, githubContextOfRun, refName } from "./github-context.js";
import { parseWorkflowFiles, parseWorkflowOnce, type RepositoryAccess } from "./repository-access.js";
import { defaultRunTitle, evaluateRunName, finishTitle, needsCommitTitle } from "./run-title.js";
import type { MessageLogger } from "../../lib/index.js";


/** The workflow's concurrency group evaluated for a run; null when it has none or it is blank. */
export function concurrencyOf(
  workflow: Workflow,
  github: Record<string, unknown>,
  inputs: Record<string, unknown>,
  vars: Record<string, string>,
): { group: string; cancelInProgress: boolean } | null {
  if (!workflow.concurrency) return null;
  const contexts = { github, inputs, vars };
  const group = evaluateTemplate(workflow.concurrency.group, contexts);
  const text = group === null || group === undefined ? "" : String(group);
  if (text === "") return null;
  return { group: text, cancelInProgress: toBooleanSetting(evaluateTemplate(workflow.concurrency.cancelInProgress, contexts)) };
}

export interface NewRunInput {
  event: string;
  payload: Record<string, unknown>;
  sha: string;
  branch: string | null;
  actor: string | null;
  inputs?: Record<string, unknown>;
  /** The `inputs` context (typed against the workflow's declarations) for `run-name`; default none. */
  typedInputs?: Record<string, unknown>;
}

export type RunCreator = ReturnType<typeof createRunCreator>;

export function createRunCreator(deps: {
  store: Store;
  access: RepositoryAccess;
  logger: MessageLogger;
  publicUrl: string;
  /** Hands a new run, whose lease it holds, to the driver with what creating it read. */
  launch: (runId: number, handoff: RunHandoff) => void;
  /** The driver's lease, which a new run's lease is opened with. */
  lease: { owner: string; leaseSeconds: number; clock: () => Date };
}) {
  const { store, access, logger, publicUrl } = deps;

  /** The title a run gets without `run-name` (see run-title.ts); masked and capped. */
  const defaultTitleOf = async (repo: Repository, workflowName: string, event: string, payload: unknown, sha: string): Promise<string> => {
    const commitTitle = needsCommitTitle(event, payload) ? await readCommitTitle(access.mirrors.path(repo.id), sha) : null;
    return finishTitle(defaultRunTitle(workflowName, event, payload, commitTitle), Object.values(await access.secretsOf(repo)));
  };

  /**
   * The run's `run-name` evaluated with its github context, typed inputs and
   * the repository's variables; null when the workflow has none, it is blank,
   * or it fails (a warning says why and the run keeps its default title).
   */
  const runNameOf = async (repo: Repository, workflow: Workflow, run: WorkflowRun, inputs: Record<string, unknown>, vars: Record<string, string>): Promise<string | null> => {
    if (workflow.runName === undefined) return null;
    try {
      const github = { ...githubContextOfRun(repo, run, publicUrl), event: asObject(run.eventPayload), event_name: run.event, workflow: workflow.name ?? workflow.file };
      const name = evaluateRunName(workflow, { github, inputs, vars });
      return name === null ? null : finishTitle(name, Object.values(await access.secretsOf(repo)));
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
    access.sendStatus(repo, done ?? run, "failure", "Invalid workflow file");
    logger.warn(`repository ${repo.fullName}: ${file} is invalid; run ${run.id} failed`);
    return run;
  };

  /** Records a queued run of `workflow`, opens its lease and hands it to the driver. */
  const createRunFor = async (repo: Repository, workflow: Workflow, input: NewRunInput): Promise<WorkflowRun> => {
    const workflowName = workflow.name ?? workflow.file;
    const vars = await access.varsOf(repo, input.payload);
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
      lease: { owner: deps.lease.owner, leaseSeconds: deps.lease.leaseSeconds, now: deps.lease.clock() },
    });
    // run-name may use the run's id and number, known once the run exists.
    const runName = await runNameOf(repo, workflow, run, input.typedInputs ?? {}, vars);
    if (runName !== null) run = (await store.updateRun(run.id, { displayTitle: runName })) ?? run;
    try {
      const c = concurrencyOf(workflow, githubContextOfRun(repo, run, publicUrl), input.inputs ?? asObject(input.payload.inputs), vars);
      if (c) run = (await store.updateRun(run.id, { concurrencyGroup: c.group })) ?? run;
    } catch (error) {
      logger.warn(`run ${run.id}: concurrency group: ${(error as Error).message}`);
    }
    access.sendStatus(repo, run, "pending", "Queued");
    deps.launch(run.id, { workflow, run, repository: repo, vars });
    return run;
  };

  async function onTrigger(trigger: Trigger): Promise<void> {
    const repo = await store.getRepository(trigger.repositoryId);
    if (!repo) {
      logger.warn(`trigger ${trigger.deliveryId}: repository ${trigger.repositoryId} is gone`);
      return;
    }
    if (/^0+$/.test(trigger.sha)) return; // a deleted branch or tag starts nothing
    const mirror = await access.mirrorWith(repo, trigger.sha);
    if (!(await hasCommit(mirror, trigger.sha))) {
      logger.warn(`trigger ${trigger.deliveryId}: commit ${trigger.sha} is not in ${repo.fullName}`);
      return;
    }
    const { valid, invalid } = parseWorkflowFiles(await readWorkflowFiles(mirror, trigger.sha));
    const changedFiles = trigger.changedFiles ?? (trigger.event === "push" ? await listChangedFiles(mirror, trigger.before, trigger.sha) : null);
    const payload = { ...trigger.payload };
    const actor = String(asObject(payload.sender).login ?? asObject(payload.pusher).name ?? asObject(payload.user).username ?? "") || null;
    const branch = trigger.event === "pull_request" ? String(asObject(asObject(payload.pull_request).head).ref ?? "") || null : trigger.ref.startsWith("refs/heads/") ? refName(trigger.ref) : null;
    // A disabled workflow (GitHub's enable/disable) starts nothing until it is enabled again.
    const disabled = new Set((await store.listWorkflowStates(repo.id)).filter((w) => w.state !== "active").map((w) => w.workflowFile));
    for (const bad of invalid.filter((w) => !disabled.has(w.file))) {
      await recordInvalidWorkflow(repo, bad.file, bad.messages, { event: trigger.event, headBranch: branch, headSha: trigger.sha, actor, eventPayload: payload });
    }
    const selected = selectWorkflows(valid, { event: trigger.event, payload, ref: trigger.ref, changedFiles });
    for (const { workflow } of selected.filter((w) => !disabled.has(w.workflow.file))) {
      await createRunFor(repo, workflow, { event: trigger.event, payload, sha: trigger.sha, branch, actor });
    }
  }

  const dispatcher: WorkflowDispatcher = {
    async dispatch(input) {
      const repo = input.repository;
      // The ref as the source has it now: read from a local source's ref files when the mirror has its commit, else fetched.
      const local = await access.resolveWithoutFetch(repo, input.ref);
      const mirror = local?.mirror ?? (await access.mirrorWith(repo));
      const resolved = local ?? (await resolveRefName(mirror, input.ref));
      const sha = resolved?.sha;
      if (!sha) throw new SlipwayError("REF_NOT_FOUND", `No ref '${input.ref}' in ${repo.fullName}`, { hint: "Pass an existing branch or tag as `ref`." });
      const text = await readFileAt(mirror, sha, input.workflowFile);
      if (text === null) throw new SlipwayError("WORKFLOW_NOT_FOUND", `No workflow ${input.workflowFile} at ${input.ref}`, { hint: "Check the workflow file name and the ref." });
      const parsed = parseWorkflowOnce(input.workflowFile, text);
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

  return { onTrigger, dispatcher, createRunFor };
}

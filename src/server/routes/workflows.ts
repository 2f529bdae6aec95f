/**
 * A repository's workflows with GitHub's endpoints: list, get, enable and
 * disable, usage, the runs of one workflow and workflow_dispatch. Wherever
 * GitHub takes a `workflow_id`, Slipway takes the numeric id the list gives
 * or the file name (`ci.yml`, or its full path).
 *
 * A disabled workflow (`disabled_manually`) starts no run on push, pull
 * request, schedule or dispatch until it is enabled again; its earlier runs
 * stay readable.
 */
import { createHash } from "node:crypto";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { SlipwayError } from "../../lib/index.js";
import type { Repository, WorkflowRun, WorkflowState } from "../../store/index.js";
import { actorOf } from "../auth.js";
import { apiBase, sealContext, type RouteContext } from "../context.js";
import { notFound, validationFailed } from "../http-errors.js";
import { runJson } from "../json.js";
import { createWorkflowCatalog } from "../pipeline/workflow-catalog.js";
import { listRunsPage } from "./run-filters.js";

const WORKFLOW_LIST_WAIT_MS = 5_000;

interface WorkflowEntry {
  id: number;
  file: string;
  json: Record<string, unknown>;
}

/** What the workflow routes share with the badge and run routes. */
export interface WorkflowDirectory {
  /** Every workflow the repository has or had, in GitHub's shape. */
  list(repo: Repository): Promise<WorkflowEntry[]>;
  /** The workflow file a `workflow_id` (numeric id or file name) names; NOT_FOUND for an unknown id. */
  resolve(repo: Repository, workflowId: string): Promise<string>;
  /** The file names of the repository's disabled workflows. */
  disabled(repo: Repository): Promise<Set<string>>;
}

function body(request: { body: unknown }): Record<string, unknown> {
  const b = request.body;
  return b && typeof b === "object" && !Array.isArray(b) ? (b as Record<string, unknown>) : {};
}

/** `build.yml` or a full path: the workflow's path inside the repository. */
export function workflowPath(id: string): string {
  if (!/^[\w.\-/]+\.ya?ml$/.test(id) || id.includes("..")) throw validationFailed("workflow_id", "a workflow id, or a workflow file name such as ci.yml");
  return id.includes("/") ? id : `.github/workflows/${id}`;
}

/** A workflow's numeric id: stable for its path in its repository, whether or not it has run. */
function workflowId(repositoryId: number, file: string): number {
  return Number.parseInt(createHash("sha256").update(`${repositoryId}:${file}`).digest("hex").slice(0, 12), 16);
}

const fileName = (file: string) => file.split("/").pop() ?? file;

export function createWorkflowDirectory(ctx: RouteContext): WorkflowDirectory {
  const { store, config } = ctx;
  const api = apiBase(config);
  const catalog = createWorkflowCatalog(config.dataDir);
  const credentialsOf = (repo: Repository): string | null => {
    if (!repo.credentials) return null;
    try {
      return ctx.secretBox.decrypt(repo.credentials.toString("utf8"), sealContext.credentials(repo.id));
    } catch {
      return null;
    }
  };

  /**
   * The files under .github/workflows at the default branch (read from the
   * server's mirror), then files that only earlier runs know (state
   * `deleted`). Slipway adds `dispatch_inputs`: the workflow_dispatch inputs,
   * `{}` when there are none, null without a workflow_dispatch trigger. When
   * the repository cannot be read and was never mirrored, the list comes
   * from the runs alone, without `dispatch_inputs` (unknown).
   */
  const list = async (repo: Repository): Promise<WorkflowEntry[]> => {
    const fromRuns = new Map<string, { latest: WorkflowRun; first: WorkflowRun }>();
    for (let n = 1; n <= 50; n++) {
      const batch = await store.listRuns({ repositoryId: repo.id, page: n, perPage: 100 });
      for (const run of batch.items) {
        const entry = fromRuns.get(run.workflowFile);
        if (!entry) fromRuns.set(run.workflowFile, { latest: run, first: run });
        else if (run.id < entry.first.id) entry.first = run;
      }
      if (n * 100 >= batch.totalCount || batch.items.length === 0) break;
    }
    const states = new Map<string, WorkflowState>((await store.listWorkflowStates(repo.id)).map((s) => [s.workflowFile, s.state]));
    // A slow forge does not hold the list up: without an answer in time the runs alone answer.
    let timer: NodeJS.Timeout | undefined;
    const listed = await Promise.race([
      catalog.list({ id: repo.id, gitUrl: repo.gitUrl, credentials: credentialsOf(repo) }, repo.defaultBranch).catch(() => null),
      new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), WORKFLOW_LIST_WAIT_MS))),
    ]).finally(() => clearTimeout(timer));
    const entry = (file: string, name: string, present: boolean, extra: Record<string, unknown>): WorkflowEntry => {
      const runs = fromRuns.get(file);
      const id = workflowId(repo.id, file);
      const state = present ? (states.get(file) ?? "active") : "deleted";
      const query = `?workflow=${encodeURIComponent(fileName(file))}`;
      return {
        id,
        file,
        json: {
          id,
          node_id: `W_${id}`,
          name,
          path: file,
          state,
          created_at: runs?.first.createdAt ?? repo.createdAt,
          updated_at: runs?.latest.updatedAt ?? repo.updatedAt,
          url: `${api}/repos/${repo.fullName}/actions/workflows/${id}`,
          html_url: `${config.publicUrl}/${repo.fullName}/workflows${query}`,
          badge_url: `${config.publicUrl}/${repo.fullName}/actions/workflows/${encodeURIComponent(fileName(file))}/badge.svg`,
          ...extra,
        },
      };
    };
    const entries: WorkflowEntry[] = [];
    const present = new Set<string>();
    for (const w of listed?.workflows ?? []) {
      present.add(w.path);
      entries.push(entry(w.path, w.name, true, { dispatch_inputs: w.dispatchInputs, ...(w.errors.length > 0 ? { errors: w.errors } : {}) }));
    }
    for (const [file, runs] of fromRuns) {
      if (present.has(file)) continue;
      entries.push(entry(file, runs.latest.workflowName, !listed, listed ? { dispatch_inputs: null } : {}));
    }
    return entries;
  };

  return {
    list,
    async resolve(repo, raw) {
      if (!/^\d{1,16}$/.test(raw)) return workflowPath(raw);
      const id = Number(raw);
      const known = (await list(repo)).find((w) => w.id === id)?.file;
      const stated = known ?? (await store.listWorkflowStates(repo.id)).find((s) => workflowId(repo.id, s.workflowFile) === id)?.workflowFile;
      if (!stated) throw notFound("WORKFLOW_NOT_FOUND", `Workflow ${raw}`);
      return stated;
    },
    async disabled(repo) {
      return new Set((await store.listWorkflowStates(repo.id)).filter((s) => s.state !== "active").map((s) => s.workflowFile));
    },
  };
}

export function registerWorkflowRoutes(app: FastifyInstance, ctx: RouteContext, workflows: WorkflowDirectory): void {
  const { store, config } = ctx;
  const api = apiBase(config);
  const base = "/api/v3/repos/:owner/:repo/actions/workflows";
  const paramOf = (request: FastifyRequest) => (request.params as { workflow_id: string }).workflow_id;

  app.get(base, { config: { permission: "repo:read" } }, async (request) => {
    const entries = await workflows.list(request.repository!);
    const q = request.query as { page?: string; per_page?: string };
    const perPage = Math.min(100, Math.max(1, Number.parseInt(q.per_page ?? "100", 10) || 100));
    const page = Math.max(1, Number.parseInt(q.page ?? "1", 10) || 1);
    return { total_count: entries.length, workflows: entries.slice((page - 1) * perPage, page * perPage).map((e) => e.json) };
  });

  const entryOf = async (request: FastifyRequest): Promise<WorkflowEntry> => {
    const repo = request.repository!;
    const raw = paramOf(request);
    // One listing answers both the id and the entry.
    const listed = await workflows.list(repo);
    const entry = /^\d{1,16}$/.test(raw) ? listed.find((w) => w.id === Number(raw)) : listed.find((w) => w.file === workflowPath(raw));
    if (!entry) throw notFound("WORKFLOW_NOT_FOUND", `Workflow ${paramOf(request)}`);
    return entry;
  };

  app.get(`${base}/:workflow_id`, { config: { permission: "repo:read" } }, async (request) => (await entryOf(request)).json);

  const setState = (state: WorkflowState) => async (request: FastifyRequest, reply: { status(code: number): { send(): unknown } }) => {
    const entry = await entryOf(request);
    if (entry.json.state === "deleted") throw notFound("WORKFLOW_NOT_FOUND", `Workflow ${paramOf(request)}`);
    await store.setWorkflowState(request.repository!.id, entry.file, state);
    await ctx.audit(request, state === "active" ? "workflow.enable" : "workflow.disable", `repo:${request.repository!.fullName}`, { workflow: entry.file });
    return reply.status(204).send();
  };
  app.put(`${base}/:workflow_id/enable`, { config: { permission: "repo:write" } }, setState("active"));
  app.put(`${base}/:workflow_id/disable`, { config: { permission: "repo:write" } }, setState("disabled_manually"));

  // Self-hosted runners bill nothing: GitHub answers an empty `billable` for them.
  app.get(`${base}/:workflow_id/timing`, { config: { permission: "repo:read" } }, async (request) => {
    await entryOf(request);
    return { billable: {} };
  });

  app.get(`${base}/:workflow_id/runs`, { config: { permission: "repo:read" } }, async (request) => {
    const repo = request.repository!;
    const workflowFile = await workflows.resolve(repo, paramOf(request));
    const page = await listRunsPage(ctx, [repo.id], request.query as Record<string, string | undefined>, workflowFile);
    return { total_count: page.totalCount, workflow_runs: page.items.map((r) => runJson(r, repo, api, config.publicUrl)) };
  });

  app.post(`${base}/:workflow_id/dispatches`, { config: { permission: "repo:write" } }, async (request, reply) => {
    const b = body(request);
    const repo = request.repository!;
    const ref = b.ref;
    if (typeof ref !== "string" || ref === "") throw validationFailed("ref", "the branch or tag to run the workflow on");
    const inputs = b.inputs ?? {};
    if (typeof inputs !== "object" || inputs === null || Array.isArray(inputs)) throw validationFailed("inputs", "an object of input names to values");
    if (Object.keys(inputs).length > 25) throw validationFailed("inputs", "at most 25 inputs");
    const workflowFile = await workflows.resolve(repo, paramOf(request));
    if ((await workflows.disabled(repo)).has(workflowFile)) {
      throw new SlipwayError("WORKFLOW_DISABLED", "Cannot trigger a 'workflow_dispatch' on a disabled workflow");
    }
    const run = await ctx.dispatcher.dispatch({ repository: repo, workflowFile, ref, inputs: inputs as Record<string, unknown>, actor: actorOf(request.principal) });
    await ctx.audit(request, "workflow.dispatch", `repo:${repo.fullName}`, { workflow: workflowFile, ref, run_id: run.id });
    // GitHub answers 204; Slipway always returns the new run (GitHub's `return_run_details` shape).
    return reply.status(200).send({
      workflow_run_id: run.id,
      run_url: `${api}/repos/${repo.fullName}/actions/runs/${run.id}`,
      html_url: `${config.publicUrl}/${repo.fullName}/actions/runs/${run.id}`,
    });
  });
}

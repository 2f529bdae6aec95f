/**
 * Flag rollouts: a running job's `slipway/rollout` step reads and replaces
 * the fractional split of a flag in its environment, with the job's token.
 * The token may do this only while its job runs (its lease holds), only for
 * its own run's repository, and only in the environment the job names
 * (`jobs.<id>.environment`). These routes declare `public` and authenticate
 * the job token themselves, since a job token is no user credential.
 * People change a flag's split through the flag routes.
 *
 * A change is written like every flag change: validated against the flag-set
 * schema in the write transaction, a new version, audited with the flag's
 * before and after and the reason. Evaluations see it when the flag hub
 * next revalidates the environment's set.
 *
 * Each write also moves the job's rollout of that flag (flag_rollouts) in the
 * same transaction: `kind` says whether it is a step, the last step, or the
 * starting split written back. A rollout halted by a failed deployment
 * refuses every further write of its job, and of any job started before the
 * halt (FLAG_ROLLOUT_HALTED).
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { SlipwayError } from "../../lib/index.js";
import { assertFlagSet } from "../../flags/index.js";
import {
  advanceFlagRollout,
  readFlagSplit,
  refusesFlagRolloutWrite,
  replaceFlagSplit,
  FLAG_ROLLOUT_WRITE_KINDS,
  type FlagRolloutWriteKind,
  type FlagSplit,
} from "../../release/index.js";
import type { EnvironmentRecord, Job, Repository } from "../../store/index.js";
import { jobTokenKey, resolveJobCaller } from "../auth.js";
import type { RouteContext } from "../context.js";
import { notFound, validationFailed } from "../http-errors.js";

const BASE = "/api/v3/repos/:owner/:repo/environments/:environment_name/flag-rollouts/:key";

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

interface RolloutCaller {
  job: Job;
  repository: Repository;
  environment: EnvironmentRecord;
  key: string;
}

function forbidden(message: string): SlipwayError {
  return new SlipwayError("FLAG_ROLLOUT_FORBIDDEN", message);
}

/** The running job behind the request's token, checked against the route's repository and environment. */
async function authenticateJob(ctx: RouteContext, request: FastifyRequest): Promise<RolloutCaller> {
  const params = request.params as { owner: string; repo: string; environment_name: string; key: string };
  const principal = await resolveJobCaller(request, { store: ctx.store, now: ctx.now, limiter: ctx.limiter, jobTokenKey: jobTokenKey(ctx.secretBox) }, "a flag rollout");
  if (principal.kind !== "job") throw forbidden("only a running job's token may step a flag's split");
  const { job } = principal;
  const repository = await ctx.store.getRepositoryByName(params.owner, params.repo);
  const run = await ctx.store.getRun(job.runId);
  if (!repository || run?.repositoryId !== repository.id) throw forbidden(`job ${job.id} does not belong to repository ${params.owner}/${params.repo}`);
  const named = job.request?.environment;
  if (!named || named.toLowerCase() !== params.environment_name.toLowerCase()) {
    throw forbidden(`job ${job.id} ${named ? `deploys to environment ${named}` : "names no environment"}, not ${params.environment_name}`);
  }
  const environment = await ctx.store.getEnvironment(repository.id, params.environment_name);
  if (!environment) throw notFound("ENVIRONMENT_NOT_FOUND", `Environment ${params.environment_name}`);
  return { job, repository, environment, key: params.key };
}

function flagOf(document: Json | undefined, key: string, environment: EnvironmentRecord): Json {
  const flags = isObject(document?.flags) ? document.flags : {};
  const flag = flags[key];
  if (!isObject(flag)) throw notFound("FLAG_NOT_FOUND", `Flag ${key} in environment ${environment.name}`);
  return flag;
}

function readSplitBody(body: unknown): { split: FlagSplit; reason: string; kind: FlagRolloutWriteKind } {
  const b = isObject(body) ? body : {};
  const raw = b.split;
  if (!Array.isArray(raw) || raw.length === 0 || raw.some((e) => !Array.isArray(e) || e.length !== 2 || typeof e[0] !== "string" || typeof e[1] !== "number")) {
    throw validationFailed("split", 'the split as [["variant", weight], ...], e.g. [["stable", 75], ["canary", 25]]');
  }
  const reason = typeof b.reason === "string" && b.reason.trim() !== "" ? b.reason.trim().slice(0, 500) : "rollout";
  const kind = b.kind ?? "step";
  if (!FLAG_ROLLOUT_WRITE_KINDS.includes(kind as FlagRolloutWriteKind)) throw validationFailed("kind", `one of ${FLAG_ROLLOUT_WRITE_KINDS.join(", ")}`);
  return { split: raw as FlagSplit, reason, kind: kind as FlagRolloutWriteKind };
}

export function registerRolloutRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { store } = ctx;

  app.get(BASE, { config: { permission: "public" } }, async (request) => {
    const { environment, key } = await authenticateJob(ctx, request);
    const current = await store.getFlagSet(environment.id);
    return { key, environment: environment.name, version: current?.version ?? 0, split: readFlagSplit(key, flagOf(current?.document, key, environment)) };
  });

  app.put(BASE, { config: { permission: "public" } }, async (request) => {
    const { job, repository, environment, key } = await authenticateJob(ctx, request);
    const { split, reason, kind } = readSplitBody(request.body);
    const actor = `job:${job.id}`;
    const jobStarted = job.startedAt ?? job.createdAt;
    let before: FlagSplit = [];
    const { after } = await store.changeFlagSet(environment.id, actor, async (current, rollouts) => {
      const mine = await rollouts.readFlagRollouts({ flagKey: key, jobId: job.id, haltedSince: jobStarted });
      const halted = mine.find((r) => r.state === "halted" && r.haltedAt !== null && refusesFlagRolloutWrite({ jobId: r.jobId, haltedAt: r.haltedAt }, { id: job.id, startedAt: jobStarted }));
      if (halted) {
        throw new SlipwayError("FLAG_ROLLOUT_HALTED", `the rollout of flag ${key} in environment ${environment.name} was halted (${halted.haltReason ?? "a deployment failed"}); job ${job.id} takes no further step of it`);
      }
      const own = mine.find((r) => r.jobId === job.id) ?? null;
      const document = (current?.document ?? { flags: {} }) as Json;
      const flag = flagOf(document, key, environment);
      before = readFlagSplit(key, flag);
      const next = replaceFlagSplit(key, flag, split);
      const nextDocument = { ...document, flags: { ...(document.flags as Json), [key]: next } };
      assertFlagSet(nextDocument, `flag set of ${repository.fullName} environment ${environment.name}`);
      const progress = advanceFlagRollout(own, { kind, before, after: split });
      return {
        document: nextDocument,
        reason,
        rollout: { flagKey: key, jobId: job.id, runId: job.runId, ...progress },
        audit: {
          action: "flags.flag.rollout",
          target: `repo:${repository.fullName}`,
          details: { environment: environment.name, version: (current?.version ?? 0) + 1, reason, run: job.runId, job: job.id, flags: { [key]: { before: flag, after: next } }, request_id: request.id },
        },
      };
    });
    return { key, environment: environment.name, version: after.version, before, split };
  });
}

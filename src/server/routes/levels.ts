/**
 * Where a secret or a configuration variable lives: the repository itself,
 * or one of its deployment environments. The repository-level and
 * environment-level routes are the same handlers over a different level.
 */
import type { FastifyRequest } from "fastify";
import type { RouteContext } from "../context.js";
import { notFound } from "../http-errors.js";

export interface Level {
  /** The environment's stored name; null at repository level. */
  environment: string | null;
}

/** Resolves the level a request addresses; throws NOT_FOUND for an environment that does not exist. */
export type LevelOf = (request: FastifyRequest) => Promise<Level>;

export const repositoryLevel: LevelOf = async () => ({ environment: null });

/** The environment named by `:environment_name` (case-insensitive), as stored. */
export function environmentLevel(ctx: RouteContext): LevelOf {
  return async (request) => {
    const raw = (request.params as { environment_name: string }).environment_name;
    const environment = await ctx.store.getEnvironment(request.repository!.id, raw);
    if (!environment) throw notFound("ENVIRONMENT_NOT_FOUND", `Environment ${raw}`);
    return { environment: environment.name };
  };
}

/** Audit details naming the environment when there is one. */
export function levelDetails(level: Level, details: Record<string, unknown>): Record<string, unknown> {
  return level.environment === null ? details : { ...details, environment: level.environment };
}

/**
 * Actions configuration variables of a repository or of one of its
 * deployment environments (the `vars` context of its runs' jobs), with
 * GitHub's endpoints and shapes. Variables are not secret: their
 * values are stored in plain text and returned by these endpoints. Reading
 * takes the write role (people who can push can see them in workflow logs
 * anyway); changing them takes the admin role, as for secrets. Every change
 * is audited with the variable's name.
 */
import type { FastifyInstance } from "fastify";
import type { VariableRecord } from "../../store/index.js";
import { pageOf, type RouteContext } from "../context.js";
import { notFound, validationFailed } from "../http-errors.js";
import { levelDetails, repositoryLevel, type LevelOf } from "./levels.js";
import { bodyOf } from "./request-parts.js";

function variableJson(variable: VariableRecord): Record<string, unknown> {
  return { name: variable.name, value: variable.value, created_at: variable.createdAt, updated_at: variable.updatedAt };
}

function nameParam(params: unknown): string {
  return (params as { name: string }).name;
}

export function registerVariableRoutes(app: FastifyInstance, ctx: RouteContext): void {
  registerVariableRoutesAt(app, ctx, "/api/v3/repos/:owner/:repo/actions/variables", repositoryLevel);
}

/** Registers the variable routes under `base` (ending in `/variables`), at the level `levelOf` resolves. */
export function registerVariableRoutesAt(app: FastifyInstance, ctx: RouteContext, base: string, levelOf: LevelOf): void {
  const { store } = ctx;

  app.get(base, { config: { permission: "repo:write" } }, async (request) => {
    const { environment } = await levelOf(request);
    const variables = await store.listVariables(request.repository!.id, environment);
    const { page, perPage } = pageOf(request.query);
    return { total_count: variables.length, variables: variables.slice((page - 1) * perPage, page * perPage).map(variableJson) };
  });

  app.post(base, { config: { permission: "repo:admin" } }, async (request, reply) => {
    const b = bodyOf(request);
    if (typeof b.name !== "string") throw validationFailed("name", "the variable's name as a string, e.g. {\"name\": \"GREETING\", \"value\": \"hello\"}");
    if (typeof b.value !== "string") throw validationFailed("value", "the variable's value as a string (at most 48 KB)");
    const repo = request.repository!;
    const level = await levelOf(request);
    const variable = await store.createVariable({ repositoryId: repo.id, environment: level.environment, name: b.name, value: b.value });
    await ctx.audit(request, "variable.create", `repo:${repo.fullName}`, levelDetails(level, { name: variable.name }));
    return reply.status(201).send({});
  });

  app.get(`${base}/:name`, { config: { permission: "repo:write" } }, async (request) => {
    const repo = request.repository!;
    const { environment } = await levelOf(request);
    const variable = await store.getVariable(repo.id, nameParam(request.params), environment);
    if (!variable) throw notFound("VARIABLE_NOT_FOUND", `Variable ${nameParam(request.params).toUpperCase()}`);
    return variableJson(variable);
  });

  app.patch(`${base}/:name`, { config: { permission: "repo:admin" } }, async (request, reply) => {
    const b = bodyOf(request);
    if (b.name !== undefined && typeof b.name !== "string") throw validationFailed("name", "a new name for the variable, as a string");
    if (b.value !== undefined && typeof b.value !== "string") throw validationFailed("value", "the variable's new value as a string (at most 48 KB)");
    if (b.name === undefined && b.value === undefined) throw validationFailed("value", "send `value`, `name` (to rename), or both");
    const repo = request.repository!;
    const level = await levelOf(request);
    const name = nameParam(request.params);
    const updated = await store.updateVariable(
      repo.id,
      name,
      {
        ...(typeof b.name === "string" ? { name: b.name } : {}),
        ...(typeof b.value === "string" ? { value: b.value } : {}),
      },
      level.environment,
    );
    if (!updated) throw notFound("VARIABLE_NOT_FOUND", `Variable ${name.toUpperCase()}`);
    const previous = name.toUpperCase();
    await ctx.audit(request, "variable.update", `repo:${repo.fullName}`, levelDetails(level, previous === updated.name ? { name: updated.name } : { name: updated.name, previous_name: previous }));
    return reply.status(204).send();
  });

  app.delete(`${base}/:name`, { config: { permission: "repo:admin" } }, async (request, reply) => {
    const repo = request.repository!;
    const level = await levelOf(request);
    const name = nameParam(request.params);
    if (!(await store.deleteVariable(repo.id, name, level.environment))) throw notFound("VARIABLE_NOT_FOUND", `Variable ${name.toUpperCase()}`);
    await ctx.audit(request, "variable.delete", `repo:${repo.fullName}`, levelDetails(level, { name: name.toUpperCase() }));
    return reply.status(204).send();
  });
}

/**
 * Custom deployment protection rules, with GitHub's endpoints: an
 * environment's rules (`…/environments/{name}/deployment_protection_rules`)
 * and the callback that decides (`POST …/runs/{run_id}/deployment_protection_rule`).
 * Where GitHub names an app, Slipway takes the `url` to call and a `secret`
 * to sign with: a rule is kept as a hidden webhook of the repository that
 * receives only `deployment_protection_rule` events, delivered through the
 * same outbox. A job held for the environment waits until every rule
 * approved; one rejection fails it, as a reviewer's does. A callback without
 * `state` is a status report, kept in the run's review log. The
 * environment's PUT body (`custom_protection_rules: [{url, secret}]`) sets
 * the same records at once, through `readCustomRulesBody` and
 * `replaceCustomRules`.
 */
import type { FastifyInstance } from "fastify";
import { customRuleLogin } from "../../release/index.js";
import type { EnvironmentRecord, Repository, RepositoryHook } from "../../store/index.js";
import { idParam, sealContext, type RouteContext } from "../context.js";
import { reviewGates } from "../deployments/gate.js";
import { MASK, protectionOf } from "../deployments/protection.js";
import { notFound, validationFailed } from "../http-errors.js";
import { repositoryUrlSettingsOf } from "../repository-url.js";
import { checkHookUrl } from "../webhooks-out/index.js";
import { requestedRun } from "./requested.js";

const RULES = "/api/v3/repos/:owner/:repo/environments/:environment_name/deployment_protection_rules";
const CALLBACK = "/api/v3/repos/:owner/:repo/actions/runs/:run_id/deployment_protection_rule";
/** GitHub's limit of custom rules per environment. */
const MAX_RULES = 6;
/** The one event a rule's hook receives; hooks with only it are rules, not webhooks. */
export const RULE_EVENT = "deployment_protection_rule";

function ruleJson(hook: RepositoryHook): Record<string, unknown> {
  return {
    id: hook.id,
    node_id: Buffer.from(`DeploymentProtectionRule:${hook.id}`).toString("base64"),
    enabled: hook.active,
    // GitHub names an app here; a Slipway rule is its URL.
    app: { id: hook.id, slug: "slipway-custom-rule", integration_url: hook.url, node_id: Buffer.from(`CustomRule:${hook.id}`).toString("base64") },
    url: hook.url,
  };
}

/** What a PUT body's `custom_protection_rules` entry asks for; `secret` undefined keeps the secret of the rule already at that URL. */
interface RuleEntry {
  url: string;
  secret: string | null | undefined;
}

/**
 * The custom rules a PUT body's `custom_protection_rules` asks for
 * (`[{url, secret}]`; null or [] for none), checked before anything is
 * written; undefined when the body leaves them out.
 */
export async function readCustomRulesBody(body: unknown, urlSettings: ReturnType<typeof repositoryUrlSettingsOf>): Promise<RuleEntry[] | undefined> {
  const value = (body as { custom_protection_rules?: unknown } | null)?.custom_protection_rules;
  if (value === undefined) return undefined;
  if (value === null) return [];
  if (!Array.isArray(value)) throw validationFailed("custom_protection_rules", "must be a list of {url, secret}, or null");
  if (value.length > MAX_RULES) throw validationFailed("custom_protection_rules", `an environment has at most ${MAX_RULES} custom protection rules`);
  const entries: RuleEntry[] = [];
  for (const [i, item] of value.entries()) {
    const field = `custom_protection_rules[${i}]`;
    const { url, secret } = (typeof item === "object" && item !== null ? item : {}) as { url?: unknown; secret?: unknown };
    if (typeof url !== "string" || url === "") throw validationFailed(`${field}.url`, "is required: the http(s) URL the deployment_protection_rule event is posted to");
    if (secret !== undefined && secret !== null && typeof secret !== "string") throw validationFailed(`${field}.secret`, "must be a string");
    if (entries.some((e) => e.url === url)) throw validationFailed(`${field}.url`, "is listed twice");
    await checkHookUrl(url, urlSettings, { field: `${field}.url`, saving: true });
    entries.push({ url, secret: secret === MASK ? undefined : secret === "" ? null : secret });
  }
  return entries;
}

/**
 * Makes the rules of an environment the entries, in their order: a rule
 * already at an entry's URL stays (its id kept; its secret replaced when the
 * entry gives one), the others are created, and rules no entry names are
 * deleted. Returns the rule ids to keep in the environment's protection.
 */
export async function replaceCustomRules(ctx: RouteContext, repo: Repository, current: readonly number[], entries: readonly RuleEntry[]): Promise<number[]> {
  const { store } = ctx;
  const seal = (secret: string | null) => (secret === null ? null : Buffer.from(ctx.secretBox.encrypt(secret, sealContext.outgoingHook(repo.id)), "utf8"));
  const existing: RepositoryHook[] = [];
  for (const id of current) {
    const hook = await store.getHook(repo.id, id);
    if (hook) existing.push(hook);
  }
  const ids: number[] = [];
  for (const entry of entries) {
    const kept = existing.find((h) => h.url === entry.url);
    if (kept) {
      if (entry.secret !== undefined) await store.updateHook(repo.id, kept.id, { secret: seal(entry.secret) });
      ids.push(kept.id);
      continue;
    }
    const hook = await store.createHook({ repositoryId: repo.id, url: entry.url, contentType: "json", insecureSsl: "0", secret: seal(entry.secret ?? null), events: [RULE_EVENT], active: true });
    ids.push(hook.id);
  }
  for (const hook of existing) if (!ids.includes(hook.id)) await store.deleteHook(repo.id, hook.id);
  return ids;
}

export function registerDeploymentProtectionRuleRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { store, config } = ctx;
  const urlSettings = repositoryUrlSettingsOf(config);

  const environmentOf = async (repo: Repository, params: unknown): Promise<EnvironmentRecord> => {
    const name = (params as { environment_name: string }).environment_name;
    const environment = await store.getEnvironment(repo.id, name);
    if (!environment) throw notFound("ENVIRONMENT_NOT_FOUND", `Environment ${name}`);
    return environment;
  };
  const rulesOf = async (repo: Repository, environment: EnvironmentRecord): Promise<RepositoryHook[]> => {
    const out: RepositoryHook[] = [];
    for (const id of protectionOf(environment).customRules) {
      const hook = await store.getHook(repo.id, id);
      if (hook) out.push(hook);
    }
    return out;
  };
  const ruleOf = async (repo: Repository, environment: EnvironmentRecord, params: unknown): Promise<RepositoryHook> => {
    const id = idParam((params as { protection_rule_id?: string }).protection_rule_id);
    const rule = (await rulesOf(repo, environment)).find((h) => h.id === id);
    if (!rule) throw notFound("NOT_FOUND", "Deployment protection rule");
    return rule;
  };

  app.get(RULES, { config: { permission: "repo:read" } }, async (request) => {
    const rules = await rulesOf(request.repository!, await environmentOf(request.repository!, request.params));
    return { total_count: rules.length, custom_deployment_protection_rules: rules.map(ruleJson) };
  });

  app.post(RULES, { config: { permission: "repo:admin" } }, async (request, reply) => {
    const repo = request.repository!;
    const environment = await environmentOf(repo, request.params);
    const body = (request.body ?? {}) as { url?: unknown; secret?: unknown };
    if (typeof body.url !== "string" || body.url === "") throw validationFailed("url", "is required: the http(s) URL the deployment_protection_rule event is posted to");
    await checkHookUrl(body.url, urlSettings, { field: "url", saving: true });
    if (body.secret !== undefined && body.secret !== null && typeof body.secret !== "string") throw validationFailed("secret", "must be a string");
    const protection = protectionOf(environment);
    if (protection.customRules.length >= MAX_RULES) throw validationFailed("url", `an environment has at most ${MAX_RULES} custom protection rules`);
    const hook = await store.createHook({
      repositoryId: repo.id,
      url: body.url,
      contentType: "json",
      insecureSsl: "0",
      secret: typeof body.secret === "string" && body.secret !== "" ? Buffer.from(ctx.secretBox.encrypt(body.secret, sealContext.outgoingHook(repo.id)), "utf8") : null,
      events: [RULE_EVENT],
      active: true,
    });
    await store.setEnvironmentProtection(environment.id, { ...protection, customRules: [...protection.customRules, hook.id] });
    await ctx.audit(request, "environment.protection_rule.create", `repo:${repo.fullName}`, { environment: environment.name, rule: hook.id });
    return reply.status(201).send(ruleJson(hook));
  });

  app.get(`${RULES}/:protection_rule_id`, { config: { permission: "repo:read" } }, async (request) => {
    const repo = request.repository!;
    return ruleJson(await ruleOf(repo, await environmentOf(repo, request.params), request.params));
  });

  app.delete(`${RULES}/:protection_rule_id`, { config: { permission: "repo:admin" } }, async (request, reply) => {
    const repo = request.repository!;
    const environment = await environmentOf(repo, request.params);
    const rule = await ruleOf(repo, environment, request.params);
    const protection = protectionOf(environment);
    await store.setEnvironmentProtection(environment.id, { ...protection, customRules: protection.customRules.filter((id) => id !== rule.id) });
    await store.deleteHook(repo.id, rule.id);
    await ctx.audit(request, "environment.protection_rule.delete", `repo:${repo.fullName}`, { environment: environment.name, rule: rule.id });
    // Jobs that waited only for this rule may go now.
    await reviewGates(store, ctx.now(), { repositoryId: repo.id, environment: environment.name });
    return reply.status(204).send();
  });

  // `protection_rule_id` (Slipway's) names the rule when the environment has several.
  app.post(CALLBACK, { config: { permission: "repo:write" } }, async (request, reply) => {
    const repo = request.repository!;
    const run = await requestedRun(store, request);
    const body = (request.body ?? {}) as { environment_name?: unknown; state?: unknown; comment?: unknown; protection_rule_id?: unknown };
    if (typeof body.environment_name !== "string" || body.environment_name === "") throw validationFailed("environment_name", "is required");
    if (body.state !== undefined && body.state !== "approved" && body.state !== "rejected") throw validationFailed("state", 'must be "approved" or "rejected" (or left out for a status report)');
    if (body.comment !== undefined && typeof body.comment !== "string") throw validationFailed("comment", "must be a string");
    const environment = await store.getEnvironment(repo.id, body.environment_name);
    const waiting = environment ? (await store.listWaitingGates({ runId: run.id })).filter((g) => g.environment.toLowerCase() === environment.name.toLowerCase()) : [];
    if (!environment || waiting.length === 0) throw validationFailed("environment_name", `run ${run.id} does not wait for the environment ${body.environment_name}`);
    const rules = protectionOf(environment).customRules;
    let ruleId: number;
    if (body.protection_rule_id !== undefined) {
      if (typeof body.protection_rule_id !== "number" || !rules.includes(body.protection_rule_id)) throw validationFailed("protection_rule_id", `must be one of the custom protection rules of ${environment.name} (${rules.join(", ") || "none"})`);
      ruleId = body.protection_rule_id;
    } else if (rules.length === 1) {
      ruleId = rules[0]!;
    } else {
      throw validationFailed(rules.length === 0 ? "environment_name" : "protection_rule_id", rules.length === 0 ? `the environment ${environment.name} has no custom protection rule` : "is required: the environment has several custom protection rules");
    }
    const user = request.principal.kind === "user" ? request.principal.user : null;
    const state = body.state ?? "reported";
    await store.addReview({ runId: run.id, environment: environment.name, userId: user?.id ?? 0, login: customRuleLogin(ruleId), state, comment: body.comment ?? "", sha: run.headSha, bypass: false });
    await ctx.audit(request, `deployment.custom_rule.${state}`, `repo:${repo.fullName}`, { run: run.id, environment: environment.name, rule: ruleId });
    if (state !== "reported") await reviewGates(store, ctx.now(), { runId: run.id });
    return reply.status(204).send();
  });
}

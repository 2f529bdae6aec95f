/** Runners: their one-time registration tokens, credentials, labels and heartbeats. */
import type { Selectable } from "kysely";
import {
  affected, fromJson, normaliseLabels, nowIso, resolvePage, toIso, toJson, toNum, toNumOrNull, type StoreContext,
} from "./context.js";
import type { RegistrationTokensTable, RunnersTable } from "./schema.js";
import type { Page, PageOptions } from "./store.js";

type RunnerState = "online" | "offline";

/**
 * Whose jobs a runner may claim: any repository's (`instance`) or one
 * repository's only. Registration tokens carry the scope of the runners they
 * register.
 */
export type RunnerScope = { kind: "instance" } | { kind: "repository"; repositoryId: number };

const INSTANCE_SCOPE: RunnerScope = { kind: "instance" };

export interface Runner {
  id: number;
  name: string;
  /** Lower-cased. */
  labels: string[];
  credentialHash: string;
  state: RunnerState;
  lastSeenAt: string | null;
  /** The job it claimed last and has not finished (with capacity > 1 it may hold others too). */
  currentJobId: number | null;
  capacity: number;
  version: string | null;
  createdAt: string;
  scope: RunnerScope;
}

interface NewRunner {
  name: string;
  labels: string[];
  credentialHash: string;
  capacity?: number;
  version?: string | null;
  /** Default: the instance. */
  scope?: RunnerScope;
}

interface RegistrationToken {
  tokenHash: string;
  expiresAt: string;
  usedAt: string | null;
  createdAt: string;
  scope: RunnerScope;
}

interface RunnerListOptions extends PageOptions {
  /** Only the runners whose jobs may come from this repository: its own and the instance's. */
  usableBy?: number;
}

export interface RunnerStore {
  /** A one-time token registering runners of `scope` (default: the instance). */
  createRunnerRegistrationToken(input: { tokenHash: string; expiresAt: Date | string; scope?: RunnerScope }): Promise<RegistrationToken>;
  /** Marks the token used; the token (with the scope it registers) only for the first use of an unexpired token, else null. */
  consumeRunnerRegistrationToken(tokenHash: string, now?: Date): Promise<RegistrationToken | null>;
  createRunner(input: NewRunner): Promise<Runner>;
  getRunner(id: number): Promise<Runner | null>;
  getRunnerByCredentialHash(credentialHash: string): Promise<Runner | null>;
  listRunners(options?: RunnerListOptions): Promise<Page<Runner>>;
  /** Records a heartbeat: state `online`, `lastSeenAt` now; optional new labels/version. */
  touchRunner(id: number, update?: { labels?: string[]; version?: string | null; at?: Date }): Promise<Runner | null>;
  /** Marks runners not seen since `before` offline; returns their ids. */
  markStaleRunnersOffline(before: Date): Promise<number[]>;
  deleteRunner(id: number): Promise<boolean>;
}

function mapRunner(r: Selectable<RunnersTable>): Runner {
  return {
    id: toNum(r.id),
    name: r.name,
    labels: fromJson<string[]>(r.labels) ?? [],
    credentialHash: r.credential_hash,
    state: r.state as RunnerState,
    lastSeenAt: r.last_seen_at,
    currentJobId: toNumOrNull(r.current_job_id),
    capacity: toNum(r.capacity),
    version: r.version,
    createdAt: r.created_at,
    scope: scopeOf(r),
  };
}

function mapRegistrationToken(r: Selectable<RegistrationTokensTable>): RegistrationToken {
  return { tokenHash: r.token_hash, expiresAt: r.expires_at, usedAt: r.used_at, createdAt: r.created_at, scope: scopeOf(r) };
}

function scopeOf(r: { scope: string; repository_id: number | string | bigint | null }): RunnerScope {
  if (r.scope === "instance") return INSTANCE_SCOPE;
  if (r.scope === "repository" && r.repository_id !== null) return { kind: "repository", repositoryId: toNum(r.repository_id) };
  throw new Error(`unknown runner scope ${r.scope}`);
}

function scopeColumns(scope: RunnerScope | undefined): { scope: string; repository_id: number | null } {
  const s = scope ?? INSTANCE_SCOPE;
  return s.kind === "repository" ? { scope: "repository", repository_id: s.repositoryId } : { scope: "instance", repository_id: null };
}

export function createRunnerStore(ctx: StoreContext): RunnerStore {
  const { db } = ctx;
  return {
    async createRunnerRegistrationToken(input) {
      const row = await db
        .insertInto("runner_registration_tokens")
        .values({ token_hash: input.tokenHash, expires_at: toIso(input.expiresAt), used_at: null, created_at: nowIso(ctx), ...scopeColumns(input.scope) })
        .returningAll()
        .executeTakeFirstOrThrow();
      return mapRegistrationToken(row);
    },
    async consumeRunnerRegistrationToken(tokenHash, now) {
      const at = now ? toIso(now) : nowIso(ctx);
      const row = await db
        .updateTable("runner_registration_tokens")
        .set({ used_at: at })
        .where("token_hash", "=", tokenHash)
        .where("used_at", "is", null)
        .where("expires_at", ">", at)
        .returningAll()
        .executeTakeFirst();
      return row ? mapRegistrationToken(row) : null;
    },
    async createRunner(input) {
      const row = await db
        .insertInto("runners")
        .values({
          name: input.name,
          labels: JSON.stringify(normaliseLabels(input.labels)),
          credential_hash: input.credentialHash,
          state: "offline",
          last_seen_at: null,
          current_job_id: null,
          capacity: input.capacity ?? 1,
          version: input.version ?? null,
          created_at: nowIso(ctx),
          ...scopeColumns(input.scope),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return mapRunner(row);
    },
    async getRunner(id) {
      const row = await db.selectFrom("runners").selectAll().where("id", "=", id).executeTakeFirst();
      return row ? mapRunner(row) : null;
    },
    async getRunnerByCredentialHash(credentialHash) {
      const row = await db.selectFrom("runners").selectAll().where("credential_hash", "=", credentialHash).executeTakeFirst();
      return row ? mapRunner(row) : null;
    },
    async listRunners(options) {
      const { limit, offset } = resolvePage(options);
      const usableBy = options?.usableBy;
      const query = db
        .selectFrom("runners")
        .$if(usableBy !== undefined, (q) => q.where((eb) => eb.or([eb("scope", "=", "instance"), eb.and([eb("scope", "=", "repository"), eb("repository_id", "=", usableBy!)])])));
      const rows = await query.selectAll().orderBy("id").limit(limit).offset(offset).execute();
      const count = await query.select((eb) => eb.fn.countAll().as("n")).executeTakeFirstOrThrow();
      return { items: rows.map(mapRunner), totalCount: toNum(count.n as number) };
    },
    async touchRunner(id, update) {
      const values: Record<string, unknown> = { state: "online", last_seen_at: update?.at ? toIso(update.at) : nowIso(ctx) };
      if (update?.labels !== undefined) values.labels = toJson(normaliseLabels(update.labels));
      if (update?.version !== undefined) values.version = update.version;
      const row = await db.updateTable("runners").set(values).where("id", "=", id).returningAll().executeTakeFirst();
      return row ? mapRunner(row) : null;
    },
    async markStaleRunnersOffline(before) {
      const rows = await db
        .updateTable("runners")
        .set({ state: "offline" })
        .where("state", "=", "online")
        .where((eb) => eb.or([eb("last_seen_at", "is", null), eb("last_seen_at", "<", toIso(before))]))
        .returning("id")
        .execute();
      return rows.map((r) => toNum(r.id)).sort((a, b) => a - b);
    },
    async deleteRunner(id) {
      return affected(await db.deleteFrom("runners").where("id", "=", id).executeTakeFirst()) > 0;
    },
  };
}

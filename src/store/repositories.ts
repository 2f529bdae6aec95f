/** Repositories: where runs come from, with their (encrypted) credentials and webhook secret. */
import type { Selectable } from "kysely";
import { affected, nowIso, resolvePage, toBuffer, toNum, toNumOrNull, type StoreContext } from "./context.js";
import type { RepositoriesTable } from "./schema.js";
import type { Page, PageOptions } from "./store.js";

export interface Repository {
  id: number;
  owner: string;
  name: string;
  /** `owner/name`. */
  fullName: string;
  gitUrl: string;
  /** Encrypted by the caller; the store never interprets it. */
  credentials: Buffer | null;
  defaultBranch: string;
  /** Encrypted by the caller. */
  webhookSecret: Buffer | null;
  /** Null when the repository is not polled. */
  pollingIntervalSeconds: number | null;
  createdAt: string;
  updatedAt: string;
}

interface NewRepository {
  owner: string;
  name: string;
  gitUrl: string;
  credentials?: Buffer | null;
  /** Default `main`. */
  defaultBranch?: string;
  webhookSecret?: Buffer | null;
  pollingIntervalSeconds?: number | null;
}

type RepositoryPatch = Partial<Omit<NewRepository, "owner" | "name">>;

export interface RepositoryStore {
  createRepository(input: NewRepository): Promise<Repository>;
  getRepository(id: number): Promise<Repository | null>;
  getRepositoryByName(owner: string, name: string): Promise<Repository | null>;
  listRepositories(options?: PageOptions): Promise<Page<Repository>>;
  updateRepository(id: number, patch: RepositoryPatch): Promise<Repository | null>;
  deleteRepository(id: number): Promise<boolean>;
}

function mapRepository(r: Selectable<RepositoriesTable>): Repository {
  return {
    id: toNum(r.id),
    owner: r.owner,
    name: r.name,
    fullName: `${r.owner}/${r.name}`,
    gitUrl: r.git_url,
    credentials: toBuffer(r.credentials),
    defaultBranch: r.default_branch,
    webhookSecret: toBuffer(r.webhook_secret),
    pollingIntervalSeconds: toNumOrNull(r.polling_interval_seconds),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export function createRepositoryStore(ctx: StoreContext): RepositoryStore {
  const { db } = ctx;
  return {
    async createRepository(input) {
      const at = nowIso(ctx);
      const row = await db
        .insertInto("repositories")
        .values({
          owner: input.owner,
          name: input.name,
          git_url: input.gitUrl,
          credentials: input.credentials ?? null,
          default_branch: input.defaultBranch ?? "main",
          webhook_secret: input.webhookSecret ?? null,
          polling_interval_seconds: input.pollingIntervalSeconds ?? null,
          created_at: at,
          updated_at: at,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return mapRepository(row);
    },
    async getRepository(id) {
      const row = await db.selectFrom("repositories").selectAll().where("id", "=", id).executeTakeFirst();
      return row ? mapRepository(row) : null;
    },
    async getRepositoryByName(owner, name) {
      const row = await db
        .selectFrom("repositories")
        .selectAll()
        .where("owner", "=", owner)
        .where("name", "=", name)
        .executeTakeFirst();
      return row ? mapRepository(row) : null;
    },
    async listRepositories(options) {
      const { limit, offset } = resolvePage(options);
      const rows = await db.selectFrom("repositories").selectAll().orderBy("owner").orderBy("name").limit(limit).offset(offset).execute();
      const count = await db.selectFrom("repositories").select((eb) => eb.fn.countAll().as("n")).executeTakeFirstOrThrow();
      return { items: rows.map(mapRepository), totalCount: toNum(count.n as number) };
    },
    async updateRepository(id, patch) {
      const values: Record<string, unknown> = { updated_at: nowIso(ctx) };
      if (patch.gitUrl !== undefined) values.git_url = patch.gitUrl;
      if (patch.credentials !== undefined) values.credentials = patch.credentials;
      if (patch.defaultBranch !== undefined) values.default_branch = patch.defaultBranch;
      if (patch.webhookSecret !== undefined) values.webhook_secret = patch.webhookSecret;
      if (patch.pollingIntervalSeconds !== undefined) values.polling_interval_seconds = patch.pollingIntervalSeconds;
      const row = await db.updateTable("repositories").set(values).where("id", "=", id).returningAll().executeTakeFirst();
      return row ? mapRepository(row) : null;
    },
    async deleteRepository(id) {
      return affected(await db.deleteFrom("repositories").where("id", "=", id).executeTakeFirst()) > 0;
    },
  };
}

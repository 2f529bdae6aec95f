/** Artifact metadata: what a run uploaded, where its bytes lie, when it expires. */
import type { Selectable } from "kysely";
import { affected, nowIso, toIso, toIsoOrNull, toNum, toNumOrNull, type StoreContext } from "./context.js";
import type { ArtifactsTable } from "./schema.js";

export interface Artifact {
  id: number;
  runId: number;
  jobId: number | null;
  name: string;
  size: number;
  path: string;
  expiresAt: string | null;
  createdAt: string;
}

interface NewArtifact {
  runId: number;
  jobId?: number | null;
  name: string;
  size: number;
  path: string;
  expiresAt?: Date | string | null;
}

export interface ArtifactStore {
  createArtifact(input: NewArtifact): Promise<Artifact>;
  getArtifact(id: number): Promise<Artifact | null>;
  listArtifacts(runId: number): Promise<Artifact[]>;
  listExpiredArtifacts(now?: Date): Promise<Artifact[]>;
  deleteArtifact(id: number): Promise<boolean>;
}

export function mapArtifact(r: Selectable<ArtifactsTable>): Artifact {
  return {
    id: toNum(r.id),
    runId: toNum(r.run_id),
    jobId: toNumOrNull(r.job_id),
    name: r.name,
    size: toNum(r.size),
    path: r.path,
    expiresAt: r.expires_at,
    createdAt: r.created_at,
  };
}

export function createArtifactStore(ctx: StoreContext): ArtifactStore {
  const { db } = ctx;
  return {
    async createArtifact(input) {
      const row = await db
        .insertInto("artifacts")
        .values({
          run_id: input.runId,
          job_id: input.jobId ?? null,
          name: input.name,
          size: input.size,
          path: input.path,
          expires_at: toIsoOrNull(input.expiresAt),
          created_at: nowIso(ctx),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return mapArtifact(row);
    },
    async getArtifact(id) {
      const row = await db.selectFrom("artifacts").selectAll().where("id", "=", id).executeTakeFirst();
      return row ? mapArtifact(row) : null;
    },
    async listArtifacts(runId) {
      const rows = await db.selectFrom("artifacts").selectAll().where("run_id", "=", runId).orderBy("id").execute();
      return rows.map(mapArtifact);
    },
    async listExpiredArtifacts(now) {
      const at = now ? toIso(now) : nowIso(ctx);
      const rows = await db.selectFrom("artifacts").selectAll().where("expires_at", "<=", at).orderBy("id").execute();
      return rows.map(mapArtifact);
    },
    async deleteArtifact(id) {
      return affected(await db.deleteFrom("artifacts").where("id", "=", id).executeTakeFirst()) > 0;
    },
  };
}

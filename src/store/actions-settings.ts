/**
 * Per-repository Actions settings kept beside the workflow files: whether a
 * workflow is enabled (GitHub's enable/disable), the repository's X25519 key
 * pair that clients seal secret values to, and the repository-wide artifact
 * list. The private key arrives already encrypted by the server.
 */
import { sql } from "kysely";
import { nowIso, resolvePage, toBuffer, toNum, type StoreContext } from "./context.js";
import { mapArtifact, type Artifact } from "./artifacts.js";
import type { Page, PageOptions } from "./store.js";

/** GitHub's states a user can set; `active` is the default of every workflow file. */
export type WorkflowState = "active" | "disabled_manually";

interface WorkflowStateRecord {
  repositoryId: number;
  workflowFile: string;
  state: WorkflowState;
  updatedAt: string;
}

export interface RepositoryKeyPair {
  repositoryId: number;
  /** Names this pair; clients send it back with values sealed to it. */
  keyId: string;
  /** 32 raw bytes. */
  publicKey: Buffer;
  /** Encrypted by the caller. */
  privateKey: Buffer;
  createdAt: string;
}

export interface ActionsSettingsStore {
  /** Workflows with a stored state (every other workflow is `active`). */
  listWorkflowStates(repositoryId: number): Promise<WorkflowStateRecord[]>;
  setWorkflowState(repositoryId: number, workflowFile: string, state: WorkflowState): Promise<WorkflowStateRecord>;
  getRepositoryKeyPair(repositoryId: number): Promise<RepositoryKeyPair | null>;
  /** Stores the pair unless the repository has one already; returns the pair in force (the first one wins a race). */
  ensureRepositoryKeyPair(input: Omit<RepositoryKeyPair, "createdAt">): Promise<RepositoryKeyPair>;
  /** Artifacts of every run of the repository, newest first, optionally of one name. */
  listRepositoryArtifacts(repositoryId: number, options?: PageOptions & { name?: string }): Promise<Page<Artifact>>;
}

export function createActionsSettingsStore(ctx: StoreContext): ActionsSettingsStore {
  const { db } = ctx;
  const getKeyPair = async (repositoryId: number): Promise<RepositoryKeyPair | null> => {
    const row = await db.selectFrom("repository_key_pairs").selectAll().where("repository_id", "=", repositoryId).executeTakeFirst();
    return row
      ? { repositoryId: toNum(row.repository_id), keyId: row.key_id, publicKey: toBuffer(row.public_key)!, privateKey: toBuffer(row.private_key)!, createdAt: row.created_at }
      : null;
  };
  return {
    async listWorkflowStates(repositoryId) {
      const rows = await db.selectFrom("workflow_states").selectAll().where("repository_id", "=", repositoryId).orderBy("workflow_file").execute();
      return rows.map((r) => ({ repositoryId: toNum(r.repository_id), workflowFile: r.workflow_file, state: r.state as WorkflowState, updatedAt: r.updated_at }));
    },
    async setWorkflowState(repositoryId, workflowFile, state) {
      const at = nowIso(ctx);
      await db
        .insertInto("workflow_states")
        .values({ repository_id: repositoryId, workflow_file: workflowFile, state, updated_at: at })
        .onConflict((oc) => oc.columns(["repository_id", "workflow_file"]).doUpdateSet({ state, updated_at: at }))
        .execute();
      return { repositoryId, workflowFile, state, updatedAt: at };
    },
    getRepositoryKeyPair: getKeyPair,
    async ensureRepositoryKeyPair(input) {
      await db
        .insertInto("repository_key_pairs")
        .values({ repository_id: input.repositoryId, key_id: input.keyId, public_key: input.publicKey, private_key: input.privateKey, created_at: nowIso(ctx) })
        .onConflict((oc) => oc.column("repository_id").doNothing())
        .execute();
      return (await getKeyPair(input.repositoryId))!;
    },
    async listRepositoryArtifacts(repositoryId, options = {}) {
      const { limit, offset } = resolvePage(options);
      let query = db.selectFrom("artifacts").innerJoin("workflow_runs", "workflow_runs.id", "artifacts.run_id").where("workflow_runs.repository_id", "=", repositoryId);
      if (options.name !== undefined) query = query.where("artifacts.name", "=", options.name);
      const count = await query.select(sql<number | string>`count(*)`.as("n")).executeTakeFirst();
      const rows = await query.selectAll("artifacts").orderBy("artifacts.id", "desc").limit(limit).offset(offset).execute();
      return { items: rows.map(mapArtifact), totalCount: toNum(count?.n ?? 0) };
    },
  };
}

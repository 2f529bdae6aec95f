/**
 * Secret-scanning results: one alert per secret of a repository (keyed by
 * the finding's fingerprint, so a secret seen again on another line or
 * commit joins its alert and a resolved alert stays resolved), the places it
 * was added, the result of each pushed commit, and history scans with their
 * progress. No secret value ever reaches these tables.
 */
import type { Selectable } from "kysely";
import { fromJson, nowIso, resolvePage, toNum, type StoreContext } from "./context.js";
import type { Database } from "./schema.js";
import type { Page, PageOptions } from "./store.js";

type Row<T extends keyof Database> = Selectable<Database[T]>;

export type SecretAlertResolution = "false_positive" | "wont_fix" | "revoked" | "used_in_tests";

export interface SecretAlert {
  id: number;
  repositoryId: number;
  /** Per repository, from 1. */
  number: number;
  ruleId: string;
  description: string;
  fingerprint: string;
  state: "open" | "resolved";
  resolution: SecretAlertResolution | null;
  resolutionComment: string | null;
  resolvedBy: string | null;
  resolvedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface SecretAlertLocation {
  commitSha: string;
  path: string;
  startLine: number;
  endLine: number;
  startColumn: number;
  endColumn: number;
  createdAt: string;
}

/** One finding to record: where, which rule, and its fingerprint (never the secret). */
interface SecretFindingInput extends Omit<SecretAlertLocation, "createdAt"> {
  ruleId: string;
  description: string;
  fingerprint: string;
}

interface CommitSecretScan {
  repositoryId: number;
  sha: string;
  status: "pending" | "completed";
  alertNumbers: number[];
  updatedAt: string;
}

export interface SecretScan {
  id: number;
  repositoryId: number;
  ref: string;
  sha: string | null;
  status: "queued" | "in_progress" | "completed" | "failed";
  commitsTotal: number;
  commitsScanned: number;
  alertsFound: number;
  error: string | null;
  requestedBy: string | null;
  createdAt: string;
  completedAt: string | null;
}

export interface SecretFindingStore {
  /**
   * Records findings: each fingerprint not seen in the repository opens an
   * alert, a known one keeps its alert (and its state); every location is
   * kept once. Returns each finding's alert, in input order, and which are new.
   */
  recordSecretFindings(repositoryId: number, findings: SecretFindingInput[]): Promise<{ alerts: SecretAlert[]; created: number[] }>;
  /** Newest first; optionally of one state. */
  listSecretAlerts(repositoryId: number, options?: PageOptions & { state?: "open" | "resolved" }): Promise<Page<SecretAlert>>;
  getSecretAlert(repositoryId: number, number: number): Promise<SecretAlert | null>;
  listSecretAlertsByNumber(repositoryId: number, numbers: number[]): Promise<SecretAlert[]>;
  /** Oldest first. */
  listSecretAlertLocations(alertId: number): Promise<SecretAlertLocation[]>;
  /** Opens or resolves an alert; null when it does not exist. */
  updateSecretAlert(
    repositoryId: number,
    number: number,
    change: { state: "open" } | { state: "resolved"; resolution: SecretAlertResolution; comment: string | null; resolvedBy: string | null },
  ): Promise<SecretAlert | null>;
  setCommitSecretScan(repositoryId: number, sha: string, result: { status: "pending" | "completed"; alertNumbers: number[] }): Promise<void>;
  getCommitSecretScan(repositoryId: number, sha: string): Promise<CommitSecretScan | null>;
  createSecretScan(scan: { repositoryId: number; ref: string; requestedBy: string | null }): Promise<SecretScan>;
  updateSecretScan(id: number, change: Partial<Pick<SecretScan, "sha" | "status" | "commitsTotal" | "commitsScanned" | "alertsFound" | "error" | "completedAt">>): Promise<void>;
  getSecretScan(repositoryId: number, id: number): Promise<SecretScan | null>;
}

function mapAlert(r: Row<"secret_alerts">): SecretAlert {
  return {
    id: toNum(r.id),
    repositoryId: toNum(r.repository_id),
    number: toNum(r.number),
    ruleId: r.rule_id,
    description: r.description,
    fingerprint: r.fingerprint,
    state: r.state as SecretAlert["state"],
    resolution: r.resolution as SecretAlertResolution | null,
    resolutionComment: r.resolution_comment,
    resolvedBy: r.resolved_by,
    resolvedAt: r.resolved_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function mapScan(r: Row<"secret_scans">): SecretScan {
  return {
    id: toNum(r.id),
    repositoryId: toNum(r.repository_id),
    ref: r.ref,
    sha: r.sha,
    status: r.status as SecretScan["status"],
    commitsTotal: toNum(r.commits_total),
    commitsScanned: toNum(r.commits_scanned),
    alertsFound: toNum(r.alerts_found),
    error: r.error,
    requestedBy: r.requested_by,
    createdAt: r.created_at,
    completedAt: r.completed_at,
  };
}

export function createSecretFindingStore(ctx: StoreContext): SecretFindingStore {
  const { db } = ctx;
  const getAlert = async (repositoryId: number, number: number) => {
    const r = await db.selectFrom("secret_alerts").selectAll().where("repository_id", "=", repositoryId).where("number", "=", number).executeTakeFirst();
    return r ? mapAlert(r) : null;
  };
  return {
    async recordSecretFindings(repositoryId, findings) {
      if (findings.length === 0) return { alerts: [], created: [] };
      // Serialised by the write lock, so alert numbers never collide across replicas.
      return ctx.write(async (trx) => {
        const now = nowIso(ctx);
        const byFingerprint = new Map<string, SecretAlert>();
        const created: number[] = [];
        const alerts: SecretAlert[] = [];
        for (const f of findings) {
          let alert = byFingerprint.get(f.fingerprint);
          if (!alert) {
            const found = await trx.selectFrom("secret_alerts").selectAll().where("repository_id", "=", repositoryId).where("fingerprint", "=", f.fingerprint).executeTakeFirst();
            if (found) {
              alert = mapAlert(found);
            } else {
              const top = await trx.selectFrom("secret_alerts").select((eb) => eb.fn.max("number").as("n")).where("repository_id", "=", repositoryId).executeTakeFirst();
              const number = toNum(top?.n ?? 0) + 1;
              const row = await trx
                .insertInto("secret_alerts")
                .values({ repository_id: repositoryId, number, rule_id: f.ruleId, description: f.description, fingerprint: f.fingerprint, state: "open", created_at: now, updated_at: now })
                .returningAll()
                .executeTakeFirstOrThrow();
              alert = mapAlert(row);
              created.push(alert.number);
            }
            byFingerprint.set(f.fingerprint, alert);
          }
          await trx
            .insertInto("secret_alert_locations")
            .values({ alert_id: alert.id, commit_sha: f.commitSha, path: f.path, start_line: f.startLine, end_line: f.endLine, start_column: f.startColumn, end_column: f.endColumn, created_at: now })
            .onConflict((oc) => oc.columns(["alert_id", "commit_sha", "path", "start_line"]).doNothing())
            .execute();
          alerts.push(alert);
        }
        return { alerts, created };
      });
    },
    async listSecretAlerts(repositoryId, options) {
      const { limit, offset } = resolvePage(options);
      let q = db.selectFrom("secret_alerts").where("repository_id", "=", repositoryId);
      if (options?.state) q = q.where("state", "=", options.state);
      const [rows, count] = await Promise.all([
        q.selectAll().orderBy("number", "desc").limit(limit).offset(offset).execute(),
        q.select((eb) => eb.fn.countAll().as("n")).executeTakeFirst(),
      ]);
      return { items: rows.map(mapAlert), totalCount: toNum((count?.n as number | string | undefined) ?? 0) };
    },
    getSecretAlert: getAlert,
    async listSecretAlertsByNumber(repositoryId, numbers) {
      if (numbers.length === 0) return [];
      const rows = await db.selectFrom("secret_alerts").selectAll().where("repository_id", "=", repositoryId).where("number", "in", numbers).orderBy("number").execute();
      return rows.map(mapAlert);
    },
    async listSecretAlertLocations(alertId) {
      const rows = await db.selectFrom("secret_alert_locations").selectAll().where("alert_id", "=", alertId).orderBy("created_at").orderBy("path").orderBy("start_line").execute();
      return rows.map((r) => ({
        commitSha: r.commit_sha,
        path: r.path,
        startLine: toNum(r.start_line),
        endLine: toNum(r.end_line),
        startColumn: toNum(r.start_column),
        endColumn: toNum(r.end_column),
        createdAt: r.created_at,
      }));
    },
    async updateSecretAlert(repositoryId, number, change) {
      const now = nowIso(ctx);
      const values =
        change.state === "open"
          ? { state: "open", resolution: null, resolution_comment: null, resolved_by: null, resolved_at: null, updated_at: now }
          : { state: "resolved", resolution: change.resolution, resolution_comment: change.comment, resolved_by: change.resolvedBy, resolved_at: now, updated_at: now };
      await db.updateTable("secret_alerts").set(values).where("repository_id", "=", repositoryId).where("number", "=", number).execute();
      return getAlert(repositoryId, number);
    },
    async setCommitSecretScan(repositoryId, sha, result) {
      const values = { status: result.status, alert_numbers: JSON.stringify([...new Set(result.alertNumbers)].sort((a, b) => a - b)), updated_at: nowIso(ctx) };
      await db
        .insertInto("secret_commit_scans")
        .values({ repository_id: repositoryId, sha, ...values })
        .onConflict((oc) => oc.columns(["repository_id", "sha"]).doUpdateSet(values))
        .execute();
    },
    async getCommitSecretScan(repositoryId, sha) {
      const r = await db.selectFrom("secret_commit_scans").selectAll().where("repository_id", "=", repositoryId).where("sha", "=", sha).executeTakeFirst();
      if (!r) return null;
      return { repositoryId: toNum(r.repository_id), sha: r.sha, status: r.status as CommitSecretScan["status"], alertNumbers: fromJson<number[]>(r.alert_numbers) ?? [], updatedAt: r.updated_at };
    },
    async createSecretScan(scan) {
      const row = await db
        .insertInto("secret_scans")
        .values({ repository_id: scan.repositoryId, ref: scan.ref, status: "queued", requested_by: scan.requestedBy, created_at: nowIso(ctx) })
        .returningAll()
        .executeTakeFirstOrThrow();
      return mapScan(row);
    },
    async updateSecretScan(id, change) {
      const values: Partial<Record<string, string | number | null>> = {};
      if (change.sha !== undefined) values.sha = change.sha;
      if (change.status !== undefined) values.status = change.status;
      if (change.commitsTotal !== undefined) values.commits_total = change.commitsTotal;
      if (change.commitsScanned !== undefined) values.commits_scanned = change.commitsScanned;
      if (change.alertsFound !== undefined) values.alerts_found = change.alertsFound;
      if (change.error !== undefined) values.error = change.error;
      if (change.completedAt !== undefined) values.completed_at = change.completedAt;
      if (Object.keys(values).length === 0) return;
      await db.updateTable("secret_scans").set(values).where("id", "=", id).execute();
    },
    async getSecretScan(repositoryId, id) {
      const r = await db.selectFrom("secret_scans").selectAll().where("repository_id", "=", repositoryId).where("id", "=", id).executeTakeFirst();
      return r ? mapScan(r) : null;
    },
  };
}

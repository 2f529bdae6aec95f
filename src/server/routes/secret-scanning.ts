/**
 * Secret-scanning alerts of a repository, in GitHub's shapes where GitHub has
 * them (`number`, `state`, `resolution`, `secret_type`, locations), and
 * history scans on demand. An alert's `secret` is always redacted: the
 * server never stored it. As on GitHub, alerts take the admin role.
 */
import type { FastifyInstance } from "fastify";
import { SlipwayError } from "../../lib/index.js";
import type { Repository, SecretAlert, SecretAlertLocation, SecretAlertResolution, SecretScan } from "../../store/index.js";
import { apiBase, idParam, pageOf, type RouteContext } from "../context.js";
import { notFound, validationFailed } from "../http-errors.js";
import { actorOf } from "../auth.js";

const BASE = "/api/v3/repos/:owner/:repo/secret-scanning";
const RESOLUTIONS: readonly SecretAlertResolution[] = ["false_positive", "wont_fix", "revoked", "used_in_tests"];
/** What the `secret` field always holds. */
const REDACTED = "[redacted]";

function bodyOf(request: { body: unknown }): Record<string, unknown> {
  const b = request.body;
  return b && typeof b === "object" && !Array.isArray(b) ? (b as Record<string, unknown>) : {};
}

function locationJson(l: SecretAlertLocation): Record<string, unknown> {
  return {
    type: "commit",
    details: { path: l.path, start_line: l.startLine, end_line: l.endLine, start_column: l.startColumn, end_column: l.endColumn, commit_sha: l.commitSha },
  };
}

function alertJson(alert: SecretAlert, repo: Repository, api: string, first: SecretAlertLocation | undefined): Record<string, unknown> {
  const url = `${api}/repos/${repo.fullName}/secret-scanning/alerts/${alert.number}`;
  return {
    number: alert.number,
    created_at: alert.createdAt,
    updated_at: alert.updatedAt,
    url,
    locations_url: `${url}/locations`,
    state: alert.state,
    resolution: alert.resolution,
    resolved_at: alert.resolvedAt,
    resolved_by: alert.resolvedBy === null ? null : { login: alert.resolvedBy },
    resolution_comment: alert.resolutionComment,
    secret_type: alert.ruleId,
    secret_type_display_name: alert.description,
    secret: REDACTED,
    fingerprint: alert.fingerprint,
    first_location_detected: first ? locationJson(first).details : null,
  };
}

function scanJson(scan: SecretScan, repo: Repository, api: string): Record<string, unknown> {
  return {
    id: scan.id,
    url: `${api}/repos/${repo.fullName}/secret-scanning/scans/${scan.id}`,
    ref: scan.ref,
    sha: scan.sha,
    status: scan.status,
    commits_total: scan.commitsTotal,
    commits_scanned: scan.commitsScanned,
    alerts_found: scan.alertsFound,
    error: scan.error,
    requested_by: scan.requestedBy,
    created_at: scan.createdAt,
    completed_at: scan.completedAt,
  };
}

export function registerSecretScanningRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { store } = ctx;
  const api = apiBase(ctx.config);

  const alertOf = async (repo: Repository, params: unknown): Promise<SecretAlert> => {
    const raw = (params as { number?: string }).number;
    const number = idParam(raw);
    const alert = number === undefined ? null : await store.getSecretAlert(repo.id, number);
    if (!alert) throw notFound("SECRET_ALERT_NOT_FOUND", `Secret-scanning alert ${raw ?? ""} of ${repo.fullName}`);
    return alert;
  };
  const fullJson = async (alert: SecretAlert, repo: Repository) => alertJson(alert, repo, api, (await store.listSecretAlertLocations(alert.id))[0]);

  app.get(`${BASE}/alerts`, { config: { permission: "repo:admin" } }, async (request) => {
    const repo = request.repository!;
    const q = (request.query ?? {}) as Record<string, string | undefined>;
    if (q.state !== undefined && q.state !== "open" && q.state !== "resolved") throw validationFailed("state", "`open` or `resolved`");
    const { page, perPage } = pageOf(request.query);
    const alerts = await store.listSecretAlerts(repo.id, { page, perPage, state: q.state as "open" | "resolved" | undefined });
    return Promise.all(alerts.items.map((a) => fullJson(a, repo)));
  });

  app.get(`${BASE}/alerts/:number`, { config: { permission: "repo:admin" } }, async (request) => {
    const repo = request.repository!;
    return fullJson(await alertOf(repo, request.params), repo);
  });

  app.get(`${BASE}/alerts/:number/locations`, { config: { permission: "repo:admin" } }, async (request) => {
    const repo = request.repository!;
    const alert = await alertOf(repo, request.params);
    const { page, perPage } = pageOf(request.query);
    return (await store.listSecretAlertLocations(alert.id)).slice((page - 1) * perPage, page * perPage).map(locationJson);
  });

  app.patch(`${BASE}/alerts/:number`, { config: { permission: "repo:admin" } }, async (request) => {
    const repo = request.repository!;
    const alert = await alertOf(repo, request.params);
    const b = bodyOf(request);
    if (b.state !== "open" && b.state !== "resolved") throw validationFailed("state", "`open` or `resolved`");
    if (b.resolution_comment !== undefined && b.resolution_comment !== null && typeof b.resolution_comment !== "string") throw validationFailed("resolution_comment", "a string");
    let updated: SecretAlert | null;
    if (b.state === "resolved") {
      if (typeof b.resolution !== "string" || !RESOLUTIONS.includes(b.resolution as SecretAlertResolution)) {
        throw validationFailed("resolution", `one of ${RESOLUTIONS.join(", ")} when state is resolved`);
      }
      updated = await store.updateSecretAlert(repo.id, alert.number, {
        state: "resolved",
        resolution: b.resolution as SecretAlertResolution,
        comment: typeof b.resolution_comment === "string" ? b.resolution_comment.slice(0, 2000) : null,
        resolvedBy: actorOf(request.principal),
      });
    } else {
      updated = await store.updateSecretAlert(repo.id, alert.number, { state: "open" });
    }
    await ctx.audit(request, "secret_scanning_alert.update", `repo:${repo.fullName}`, { number: alert.number, state: b.state, resolution: b.resolution ?? null });
    return fullJson(updated!, repo);
  });

  app.post(`${BASE}/scans`, { config: { permission: "repo:admin" } }, async (request, reply) => {
    const repo = request.repository!;
    const b = bodyOf(request);
    if (b.ref !== undefined && (typeof b.ref !== "string" || b.ref.trim() === "")) throw validationFailed("ref", "a branch, tag or commit to scan; default the repository's default branch");
    const scanning = ctx.secretScanning;
    if (!scanning) throw new SlipwayError("SECRET_SCANNING_UNAVAILABLE", `Secret scanning does not run in this server process`);
    const scan = await scanning.startHistoryScan(repo, typeof b.ref === "string" ? b.ref : null, actorOf(request.principal));
    await ctx.audit(request, "secret_scanning_scan.create", `repo:${repo.fullName}`, { id: scan.id, ref: scan.ref });
    return reply.status(202).send(scanJson(scan, repo, api));
  });

  app.get(`${BASE}/scans/:scan_id`, { config: { permission: "repo:admin" } }, async (request) => {
    const repo = request.repository!;
    const raw = (request.params as { scan_id?: string }).scan_id;
    const id = idParam(raw);
    const scan = id === undefined ? null : await store.getSecretScan(repo.id, id);
    if (!scan) throw notFound("SECRET_SCAN_NOT_FOUND", `Secret scan ${raw ?? ""} of ${repo.fullName}`);
    return scanJson(scan, repo, api);
  });
}

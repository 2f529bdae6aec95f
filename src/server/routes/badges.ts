/**
 * Workflow status badges at GitHub's address,
 * `/{owner}/{repo}/actions/workflows/{file}/badge.svg?branch=&event=`: an SVG
 * saying `passing`, `failing` or `no status` for the latest completed run of
 * the workflow (on that branch, for that event). The badge answers anyone
 * only when the repository is readable anonymously; otherwise it answers the
 * callers who can read the repository (a session or token) and 404 to
 * everyone else, exactly as for a repository that does not exist. Answers
 * carry a short Cache-Control and an ETag.
 */
import { createHash } from "node:crypto";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Conclusion, Repository } from "../../store/index.js";
import { effectiveRank, resolvePrincipal } from "../auth.js";
import type { RouteContext } from "../context.js";
import { notFound } from "../http-errors.js";
import { workflowPath } from "./workflows.js";

const CACHE_SECONDS = 60;
const COLOURS = { passing: "#2ea44f", failing: "#cb2431", "no status": "#6a737d" } as const;
type BadgeStatus = keyof typeof COLOURS;

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Verdana 11px averages about 6.5 px a character; exact widths are not needed for a readable badge. */
const widthOf = (text: string) => Math.round(text.length * 6.5 + 12);

function renderBadge(label: string, status: BadgeStatus): string {
  const left = widthOf(label);
  const right = widthOf(status);
  const total = left + right;
  const l = escapeXml(label);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${total}" height="20" role="img" aria-label="${l}: ${status}">`,
    `<title>${l}: ${status}</title>`,
    `<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>`,
    `<clipPath id="r"><rect width="${total}" height="20" rx="3" fill="#fff"/></clipPath>`,
    `<g clip-path="url(#r)"><rect width="${left}" height="20" fill="#555"/><rect x="${left}" width="${right}" height="20" fill="${COLOURS[status]}"/><rect width="${total}" height="20" fill="url(#s)"/></g>`,
    `<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">`,
    `<text x="${left / 2}" y="14">${l}</text><text x="${left + right / 2}" y="14">${status}</text>`,
    `</g></svg>`,
  ].join("");
}

function statusOf(conclusion: Conclusion | null | undefined): BadgeStatus {
  if (conclusion === undefined || conclusion === null) return "no status";
  return conclusion === "success" || conclusion === "neutral" || conclusion === "skipped" ? "passing" : "failing";
}

export function registerBadgeRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { store, config } = ctx;
  const authOptions = { store, now: ctx.now, limiter: ctx.limiter, publicOrigin: new URL(config.publicUrl).origin };

  /** The repository when the caller may read it; anonymous readability makes the badge public. */
  const readable = async (request: FastifyRequest, owner: string, name: string): Promise<{ repo: Repository; public: boolean } | null> => {
    const repo = await store.getRepositoryByName(owner, name);
    if (!repo) return null;
    if ((await effectiveRank(store, { kind: "anonymous" }, repo)) > 0) return { repo, public: true };
    const principal = await resolvePrincipal(request, authOptions).catch(() => null);
    return principal && (await effectiveRank(store, principal, repo)) > 0 ? { repo, public: false } : null;
  };

  app.get("/:owner/:repo/actions/workflows/:file/badge.svg", { config: { permission: "public" } }, async (request, reply) => {
    const { owner, repo: name, file } = request.params as { owner: string; repo: string; file: string };
    const q = request.query as { branch?: string; event?: string };
    const found = await readable(request, owner, name);
    if (!found) throw notFound("REPOSITORY_NOT_FOUND", `Repository ${owner}/${name}`);
    const workflowFile = workflowPath(file);
    const latest = await store.listRuns({ repositoryId: found.repo.id, workflowFile, status: "completed", branch: q.branch || undefined, event: q.event || undefined, perPage: 1 });
    const run = latest.items[0];
    const svg = renderBadge(run?.workflowName ?? file.replace(/\.ya?ml$/, ""), statusOf(run?.conclusion));
    const etag = `"${createHash("sha256").update(svg).digest("base64url").slice(0, 27)}"`;
    void reply
      .header("cache-control", `${found.public ? "public" : "private"}, max-age=${CACHE_SECONDS}`)
      .header("etag", etag)
      .header("x-content-type-options", "nosniff");
    if (request.headers["if-none-match"] === etag) return reply.status(304).send();
    return reply.type("image/svg+xml; charset=utf-8").send(svg);
  });
}

/**
 * GitHub's pagination header: every paginated list answers a `Link` header
 * with `first`, `prev`, `next` and `last` pages (those that exist), so that
 * clients such as `octokit.paginate` walk every page. A list is a body with
 * a numeric `total_count` beside one array, or the bare array of a route
 * known to page it (then `next` is offered while pages come back full; other
 * bare arrays are whole lists and get no links).
 */
import type { FastifyReply, FastifyRequest } from "fastify";

const DEFAULT_PER_PAGE = 30;
const PAGED_ARRAY_ROUTES = new Set(["/api/v3/repos/:owner/:repo/check-runs/:check_run_id/annotations"]);

function itemsOf(payload: unknown, route: string | undefined): { items: unknown[]; total: number | null } | null {
  if (Array.isArray(payload)) return route !== undefined && PAGED_ARRAY_ROUTES.has(route) ? { items: payload, total: null } : null;
  if (!payload || typeof payload !== "object") return null;
  const body = payload as Record<string, unknown>;
  if (typeof body.total_count !== "number") return null;
  const arrays = Object.values(body).filter(Array.isArray);
  return arrays.length === 1 ? { items: arrays[0]!, total: body.total_count } : null;
}

/** Sets the Link header for a list answer; anything else is left alone. */
export function addPageLinks(request: FastifyRequest, reply: FastifyReply, payload: unknown): void {
  const list = itemsOf(payload, request.routeOptions.url);
  if (!list) return;
  const url = new URL(request.url, `${request.protocol}://${request.host}`);
  const page = Math.max(1, Number.parseInt(url.searchParams.get("page") ?? "1", 10) || 1);
  const asked = url.searchParams.get("per_page");
  // A list that answers more than the default page (e.g. the workflows, whole by default) sets its own page size.
  const perPage = asked !== null ? Math.min(100, Math.max(1, Number.parseInt(asked, 10) || DEFAULT_PER_PAGE)) : Math.max(DEFAULT_PER_PAGE, list.items.length);
  const last = list.total === null ? null : Math.max(1, Math.ceil(list.total / perPage));
  const hasNext = last === null ? list.items.length >= perPage : page < last;
  const link = (n: number, rel: string) => {
    url.searchParams.set("page", String(n));
    url.searchParams.set("per_page", String(perPage));
    return `<${url.toString()}>; rel="${rel}"`;
  };
  const links: string[] = [];
  if (page > 1) links.push(link(page - 1, "prev"));
  if (hasNext) links.push(link(page + 1, "next"));
  if (last !== null && page < last) links.push(link(last, "last"));
  if (page > 1) links.push(link(1, "first"));
  if (links.length > 0) void reply.header("link", links.join(", "));
}

/**
 * Which git URLs the server accepts as a repository's source, and how a
 * fetch reaches only the address that was checked.
 *
 * Accepted: `https://`, `http://`, `ssh://` and scp-like `user@host:path`.
 * Local paths and `file://` only from an instance admin, or from anyone when
 * the instance allows local repositories. The server's data dir (and
 * anything under it, symlinks resolved) is never a source. A network URL's
 * host is resolved and every address it resolves to must be public, unless
 * the host is listed in `allowedRepositoryHosts` or private hosts are allowed.
 */
import { lookup } from "node:dns/promises";
import { realpathSync } from "node:fs";
import { BlockList, isIP } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { redactUrl, SlipwayError } from "../lib/index.js";

export interface RepositoryUrlSettings {
  /** The server's data dir: never a repository source. */
  dataDir: string;
  allowLocalRepositories?: boolean;
  /** Host names (`git.internal`) or patterns (`*.corp.example`) fetched even when they resolve to private addresses. */
  allowedRepositoryHosts?: readonly string[];
  allowPrivateRepositoryHosts?: boolean;
}

export type RepositorySource =
  | { kind: "local"; path: string }
  | { kind: "network"; scheme: "http" | "https" | "ssh"; host: string; port: number };

/** What a fetch of a checked URL gives git: config entries (GIT_CONFIG_*) and environment. */
export interface FetchPlan {
  source: RepositorySource;
  config: Array<[string, string]>;
  env: Record<string, string>;
}

/** A failure that carries git's own text for instance admins only; others see the message and hint. */
export class RepositoryFetchError extends SlipwayError {
  constructor(
    message: string,
    hint: string,
    readonly adminDetail: string,
  ) {
    super("REPOSITORY_UNREACHABLE", message, { hint });
  }
}

/** A repository URL without its user-info, as shown for cloning (`clone_url`); messages use lib's redactUrl. */
export function withoutCredentials(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^@/\s'"]*@/gi, "$1");
}

/** A host name or IP address: nothing a shell or ssh would read as more than a name. */
const HOST = /^(?:[a-z0-9][a-z0-9.-]*|[0-9a-f:.]*:[0-9a-f:.]*)$/;
const SCP_LIKE = /^(?:([A-Za-z0-9._~+][A-Za-z0-9._~+-]*)@)?([A-Za-z0-9][A-Za-z0-9.-]*|\[[0-9A-Fa-f:.]+\]):(?!\/\/)(.+)$/;

/** The kind of source a URL names; null when it is none of the accepted forms. */
function parseRepositoryUrl(url: string): RepositorySource | null {
  if (/\s/.test(url) || url.length > 4096) return null;
  if (url.startsWith("/")) return { kind: "local", path: path.resolve(url) };
  if (/^file:\/\//i.test(url)) {
    try {
      return { kind: "local", path: path.resolve(fileURLToPath(url)) };
    } catch {
      return null;
    }
  }
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme === "http" || scheme === "https" || scheme === "ssh") {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return null;
    }
    const host = parsed.hostname.replace(/^\[(.*)\]$/, "$1").toLowerCase();
    if (!HOST.test(host) || decodeURIComponent(parsed.username).startsWith("-")) return null;
    const port = parsed.port ? Number(parsed.port) : scheme === "https" ? 443 : scheme === "http" ? 80 : 22;
    return { kind: "network", scheme, host, port };
  }
  if (scheme !== undefined) return null;
  const scp = SCP_LIKE.exec(url);
  if (!scp) return null;
  const host = scp[2]!.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  return HOST.test(host) ? { kind: "network", scheme: "ssh", host, port: 22 } : null;
}

/** Address ranges a repository host may not resolve to, by what they are. */
const FORBIDDEN: Array<[string, number, "ipv4" | "ipv6", string]> = [
  ["0.0.0.0", 8, "ipv4", "unspecified"],
  ["127.0.0.0", 8, "ipv4", "loopback"],
  ["169.254.0.0", 16, "ipv4", "link-local (cloud metadata)"],
  ["10.0.0.0", 8, "ipv4", "private"],
  ["172.16.0.0", 12, "ipv4", "private"],
  ["192.168.0.0", 16, "ipv4", "private"],
  ["100.64.0.0", 10, "ipv4", "shared (carrier-grade NAT, cloud metadata)"],
  ["192.0.0.0", 24, "ipv4", "reserved"],
  ["224.0.0.0", 4, "ipv4", "multicast"],
  ["240.0.0.0", 4, "ipv4", "reserved"],
  ["::", 128, "ipv6", "unspecified"],
  ["::1", 128, "ipv6", "loopback"],
  ["fe80::", 10, "ipv6", "link-local"],
  ["fc00::", 7, "ipv6", "private (unique local, cloud metadata)"],
  ["ff00::", 8, "ipv6", "multicast"],
];

const ranges = FORBIDDEN.map(([network, prefix, family, what]) => {
  const list = new BlockList();
  list.addSubnet(network, prefix, family);
  return { list, what };
});

/**
 * What a forbidden address is ("loopback", "private" …); null for a public
 * one. An IPv4-mapped IPv6 address counts as its IPv4 address (BlockList
 * matches those against IPv4 ranges).
 */
export function classifyAddress(address: string): string | null {
  const family = isIP(address) === 4 ? "ipv4" : isIP(address) === 6 ? "ipv6" : null;
  if (family === null) return "not an IP address";
  for (const r of ranges) if (r.list.check(address, family)) return r.what;
  return null;
}

/** Whether the settings let `host` resolve to any address (listed, matched by a `*.domain` pattern, or every host allowed). */
export function hostAllowed(host: string, settings: RepositoryUrlSettings): boolean {
  if (settings.allowPrivateRepositoryHosts) return true;
  for (const raw of settings.allowedRepositoryHosts ?? []) {
    const pattern = raw.trim().toLowerCase().replace(/^\[(.*)\]$/, "$1");
    if (pattern === host) return true;
    if (pattern.startsWith("*.") && host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1) return true;
  }
  return false;
}

function refused(shown: string, reason: string, hint: string): SlipwayError {
  return new SlipwayError("REPOSITORY_URL_REFUSED", `git_url ${shown} is refused: ${reason}`, { hint });
}

const FORMS_HINT = "Use an https://, http://, ssh:// or git@host:path URL.";
const PRIVATE_HINT =
  "Use the repository's public address; an instance admin can allow this host with the allowedRepositoryHosts setting (or every private host with allowPrivateRepositoryHosts).";

/** The real path of `p`, or of its nearest existing ancestor joined with the rest. */
function realPathOf(p: string): string {
  const rest: string[] = [];
  let current = p;
  for (;;) {
    try {
      return path.join(realpathSync(current), ...rest);
    } catch {
      const parent = path.dirname(current);
      if (parent === current) return p;
      rest.unshift(path.basename(current));
      current = parent;
    }
  }
}

function isInside(child: string, parent: string): boolean {
  const relative = path.relative(parent, child);
  return relative === "" || (!relative.startsWith("..") && !path.isAbsolute(relative));
}

/** The host's addresses; a name that does not resolve gives none. */
export async function resolveHost(host: string): Promise<string[]> {
  if (isIP(host)) return [host];
  try {
    return (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
  } catch {
    return [];
  }
}

/**
 * Checks a URL against the settings. `registering` says who asks: an
 * instance admin may name local paths; at fetch time (no `registering`) a
 * local path is accepted, since only an admin or an instance allowing local
 * repositories could have stored it. A name that resolves to nothing is
 * accepted when registering (the fetch checks again) and refused at fetch
 * time. Returns the source and the addresses git may connect to.
 */
export async function checkRepositoryUrl(
  url: string,
  settings: RepositoryUrlSettings,
  registering?: { admin: boolean },
): Promise<{ source: RepositorySource; addresses: string[] }> {
  const shown = redactUrl(url);
  const source = parseRepositoryUrl(url);
  if (!source) throw refused(shown, "not an accepted form of git URL", FORMS_HINT);
  if (source.kind === "local") {
    if (registering && !registering.admin && !settings.allowLocalRepositories) {
      throw refused(shown, "local paths and file:// URLs are for instance admins", `${FORMS_HINT} An instance admin can register local repositories, or allow them for everyone with the allowLocalRepositories setting.`);
    }
    const dataDir = realPathOf(path.resolve(settings.dataDir));
    if (isInside(realPathOf(source.path), dataDir)) {
      throw refused(shown, "it is inside the server's data dir", "Register the repository's own location; the server's data dir (its mirrors included) is never a repository source.");
    }
    return { source, addresses: [] };
  }
  const addresses = await resolveHost(source.host);
  if (addresses.length === 0) {
    if (registering) return { source, addresses };
    throw new SlipwayError("REPOSITORY_UNREACHABLE", `cannot fetch ${shown}: the host name ${source.host} does not resolve`, {
      hint: "Check the host name in the repository's git URL, and the server's DNS.",
    });
  }
  if (!hostAllowed(source.host, settings)) {
    for (const address of addresses) {
      const what = classifyAddress(address);
      if (what !== null) throw refused(shown, `${source.host} resolves to a ${what} address`, PRIVATE_HINT);
    }
  }
  return { source, addresses };
}

/**
 * Checks the URL for a fetch and says how git reaches only the checked
 * addresses: over http(s) through `http.curloptResolve` (redirects off, as
 * one could lead elsewhere); over ssh through `HostName` (with `HostKeyAlias`
 * keeping the host key checked against the name).
 */
export async function planFetch(url: string, settings: RepositoryUrlSettings): Promise<FetchPlan> {
  const { source, addresses } = await checkRepositoryUrl(url, settings);
  const plan: FetchPlan = { source, config: [], env: {} };
  if (source.kind === "local") {
    plan.env.GIT_ALLOW_PROTOCOL = "file";
    return plan;
  }
  plan.env.GIT_ALLOW_PROTOCOL = source.scheme === "ssh" ? "ssh" : "http:https";
  if (isIP(source.host)) return plan;
  if (source.scheme === "ssh") {
    const base = process.env.GIT_SSH_COMMAND ?? "ssh";
    plan.env.GIT_SSH_COMMAND = `${base} -o HostName=${addresses[0]} -o HostKeyAlias=${source.host}`;
    plan.env.GIT_SSH_VARIANT = "ssh";
  } else {
    const pinned = addresses.map((a) => (isIP(a) === 6 ? `[${a}]` : a)).join(",");
    plan.config.push(["http.curloptResolve", `${source.host}:${source.port}:${pinned}`], ["http.followRedirects", "false"]);
  }
  return plan;
}

/** A short, safe reason for a failed fetch, from git's text, with what to do about it. */
export function describeFetchFailure(gitText: string): { reason: string; hint: string } {
  if (/could not resolve host|name or service not known|temporary failure in name resolution/i.test(gitText)) {
    return { reason: "the host name does not resolve", hint: "Check the host name in the repository's git URL, and the server's DNS." };
  }
  if (/authentication failed|could not read (username|password)|permission denied|\b40[13]\b|access denied/i.test(gitText)) {
    return { reason: "the server refused the credentials", hint: "Set the repository's credentials (a token or user:password) or its deploy key, and check that they may read it." };
  }
  if (/not found|does not appear to be a git repository|does not exist|\b404\b/i.test(gitText)) {
    return { reason: "no repository at that URL", hint: "Check the repository's git URL (owner, name and path)." };
  }
  if (/redirect/i.test(gitText)) {
    return { reason: "the server answered with a redirect", hint: "Register the URL the repository is served at (the redirect's target); redirects are not followed." };
  }
  if (/connection refused|timed out|failed to connect|could not connect|connection reset|network is unreachable|ssl|tls|certificate/i.test(gitText)) {
    return { reason: "the connection failed", hint: "Check that the git server is up and reachable from the Slipway server, and its TLS certificate." };
  }
  return { reason: "git could not fetch it", hint: "Check the repository's git URL and credentials; an instance admin sees git's own message." };
}

/** The repository-URL settings of a configuration. */
export function repositoryUrlSettingsOf(config: {
  dataDir: string;
  allowLocalRepositories?: boolean;
  allowedRepositoryHosts?: readonly string[];
  allowPrivateRepositoryHosts?: boolean;
}): RepositoryUrlSettings {
  return {
    dataDir: config.dataDir,
    allowLocalRepositories: config.allowLocalRepositories ?? false,
    allowedRepositoryHosts: config.allowedRepositoryHosts ?? [],
    allowPrivateRepositoryHosts: config.allowPrivateRepositoryHosts ?? false,
  };
}

/**
 * `uses:` references of steps: `./path`, `owner/repo@ref`,
 * `owner/repo/path@ref`, `docker://image`.
 */
import { SlipwayError } from "../../lib/index.js";

interface LocalActionReference {
  kind: "local";
  /** As written, relative to the workspace (e.g. `./.github/actions/x` or `./`). */
  path: string;
}

export interface RemoteActionReference {
  kind: "remote";
  owner: string;
  repo: string;
  /** Folder inside the repository holding action.yml; "" for the root. */
  path: string;
  ref: string;
}

interface DockerActionReference {
  kind: "docker";
  image: string;
}

export type ActionReference = LocalActionReference | RemoteActionReference | DockerActionReference;

const NAME = /^(?!\.\.?$)[A-Za-z0-9_.-]+$/;

/** Parses a step's `uses:` value; a malformed value is ACTION_NOT_FOUND. */
export function parseActionReference(uses: string): ActionReference {
  const text = uses.trim();
  if (text.startsWith("docker://")) return { kind: "docker", image: text.slice("docker://".length) };
  if (text.startsWith("./") || text === "." || text.startsWith("../")) return { kind: "local", path: text };
  const at = text.lastIndexOf("@");
  const bad = (): SlipwayError =>
    new SlipwayError("ACTION_NOT_FOUND", `invalid action reference '${uses}': expected {owner}/{repo}[/path]@ref, ./path or docker://image`);
  if (at <= 0 || at === text.length - 1) throw bad();
  const ref = text.slice(at + 1);
  const parts = text.slice(0, at).split("/");
  if (parts.length < 2) throw bad();
  const [owner, repo, ...rest] = parts as [string, string, ...string[]];
  if (!NAME.test(owner) || !NAME.test(repo) || rest.some((p) => p === "" || p === ".." || p === ".")) throw bad();
  return { kind: "remote", owner, repo, path: rest.join("/"), ref };
}

/** `owner/repo[/path]@ref` */
export function formatActionReference(ref: RemoteActionReference): string {
  return `${ref.owner}/${ref.repo}${ref.path ? `/${ref.path}` : ""}@${ref.ref}`;
}

/** Lower-cased `owner/repo[/path]` without ref: the name a built-in action answers to. */
export function actionName(ref: RemoteActionReference): string {
  return `${ref.owner}/${ref.repo}${ref.path ? `/${ref.path}` : ""}`.toLowerCase();
}

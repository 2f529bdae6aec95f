/**
 * actions/checkout (any version), offline: checks out the run's own
 * repository from a local source repository with the git CLI.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { SlipwayError } from "../../../lib/index.js";
import type { UsesContext } from "../../uses.js";
import { getBooleanInput, getInput, type BuiltinAction } from "../builtin.js";
import { execCapture } from "../exec.js";

interface CheckoutSource {
  /** A local git repository (working tree or bare) holding the run's commit. */
  dir: string;
  /** `owner/repo`; default `github.repository`. */
  repository?: string;
  /** Commit to check out when no `ref` input is given; default `github.sha`. */
  sha?: string;
}

export interface CheckoutOptions {
  /** The run's repository; without it only a checkout into an already populated workspace succeeds. */
  source?: CheckoutSource | ((context: UsesContext) => CheckoutSource | undefined);
  /**
   * Keep the full history and tags of a workspace that already holds the
   * run's repository, whatever `fetch-depth` says (and never trim a workspace
   * that is the user's own repository). Without it the workspace's history is
   * cut to what GitHub's checkout fetches.
   */
  keepHistory?: boolean;
}

function githubOf(context: UsesContext): Record<string, unknown> {
  return (context.contexts.github as Record<string, unknown> | undefined) ?? {};
}

export function createCheckoutAction(options: CheckoutOptions = {}): BuiltinAction {
  return {
    names: ["actions/checkout"],
    async run(context) {
      const github = githubOf(context);
      const source = typeof options.source === "function" ? options.source(context) : options.source;
      const runRepository = String(source?.repository ?? github.repository ?? "");
      const repository = getInput(context, "repository") || runRepository;
      if (runRepository !== "" && repository.toLowerCase() !== runRepository.toLowerCase()) {
        throw new SlipwayError(
          "ACTION_FETCH_FAILED",
          `actions/checkout of ${repository}: the built-in checks out only the run's repository (${runRepository}) offline`,
          { hint: "Turn the actions/checkout built-in off so the real action fetches other repositories, or check it out in a run: step." },
        );
      }
      const target = path.resolve(context.workspace, getInput(context, "path") || ".");
      const rel = path.relative(context.workspace, target);
      if (rel.startsWith("..") || path.isAbsolute(rel)) {
        throw new SlipwayError("INPUT_INVALID", `actions/checkout: path '${getInput(context, "path")}' is outside the workspace`, {
          hint: "Use a path relative to GITHUB_WORKSPACE.",
        });
      }
      const ref = getInput(context, "ref");
      const sha = String(source?.sha ?? github.sha ?? "");
      const depthText = getInput(context, "fetch-depth") || "1";
      const depth = Number(depthText);
      if (!Number.isInteger(depth) || depth < 0) {
        throw new SlipwayError("INPUT_INVALID", `actions/checkout: fetch-depth must be a whole number, got '${depthText}'`, {
          hint: "Use 0 for the full history or a positive depth.",
        });
      }
      const fetchTags = getBooleanInput(context, "fetch-tags", false) || depth === 0;
      const clean = getBooleanInput(context, "clean", true);
      const submodules = getInput(context, "submodules").toLowerCase();
      if (submodules !== "" && submodules !== "false") {
        context.annotate({ level: "warning", message: "actions/checkout: submodules are not checked out by the built-in" });
      }
      const git = (args: string[], cwd = target) =>
        execCapture("git", args, { cwd, env: { ...context.env, GIT_TERMINAL_PROMPT: "0" }, signal: context.signal });

      const sameDir = source && path.resolve(source.dir) === target;
      if (target === context.workspace && (!source || sameDir || (await holdsCheckout(target, git, sha, ref)))) {
        // The workspace already holds the run's checkout (a local run): keep it, uncommitted changes included.
        context.log(`Using the repository already in ${target}`);
        if (source && !sameDir && !options.keepHistory && existsSync(path.join(target, ".git"))) {
          await trimHistory(git, depth, fetchTags);
          if (depth > 0) context.log(`History cut to depth ${depth}${fetchTags ? "" : ", without tags"}, as actions/checkout fetches it`);
        }
        const head = await git(["rev-parse", "HEAD"]);
        context.setOutput("ref", ref || String(github.ref ?? ""));
        context.setOutput("commit", head.code === 0 ? head.stdout.trim() : sha);
        return;
      }
      if (!source) {
        throw new SlipwayError("ACTION_FETCH_FAILED", `actions/checkout into ${rel || "."}: no source repository for ${repository || "the run"}`, {
          hint: "Run Slipway inside the repository (or pass -C DIR) so the built-in can clone it.",
        });
      }
      if (existsSync(target)) {
        if (clean || !existsSync(path.join(target, ".git"))) {
          for (const name of readdirSync(target)) rmSync(path.join(target, name), { recursive: true, force: true });
        }
      }
      mkdirSync(target, { recursive: true });
      const url = pathToFileURL(path.resolve(source.dir)).href;
      const fail = (what: string, stderr: string): never => {
        throw new SlipwayError("ACTION_FETCH_FAILED", `actions/checkout: ${what}: ${stderr.trim().split("\n").pop() ?? ""}`, {
          hint: `Check that ${ref || sha || "the ref"} exists in ${source.dir}.`,
        });
      };
      if (!existsSync(path.join(target, ".git"))) {
        const init = await git(["init", "--quiet"]);
        if (init.code !== 0) fail("git init failed", init.stderr);
        await git(["remote", "add", "origin", url]);
      }
      const wanted = ref || sha || "HEAD";
      const depthArgs = depth > 0 ? ["--depth", String(depth)] : [];
      const tagArgs = fetchTags ? ["--tags"] : ["--no-tags"];
      const fetched = await git(["fetch", "--quiet", ...tagArgs, ...depthArgs, "origin", wanted]);
      if (fetched.code !== 0) fail(`could not fetch ${wanted}`, fetched.stderr);
      let branch = "";
      if (ref !== "") {
        const name = ref.replace(/^refs\/heads\//, "");
        const heads = await git(["ls-remote", "--heads", "origin", name]);
        if (heads.code === 0 && heads.stdout.trim() !== "") branch = name;
      } else if (String(github.ref ?? "").startsWith("refs/heads/")) {
        branch = String(github.ref).slice("refs/heads/".length);
      }
      const isBranch = branch !== "";
      const co = isBranch
        ? await git(["checkout", "--quiet", "--force", "-B", branch, "FETCH_HEAD"])
        : await git(["checkout", "--quiet", "--force", "--detach", "FETCH_HEAD"]);
      if (co.code !== 0) fail(`could not check out ${wanted}`, co.stderr);
      const head = await git(["rev-parse", "HEAD"]);
      context.log(`Checked out ${repository || "the repository"} at ${head.stdout.trim()} into ${target}`);
      context.setOutput("ref", ref || String(github.ref ?? ""));
      context.setOutput("commit", head.stdout.trim());
    },
  };
}

/**
 * Whether a workspace root already holds the run's checkout: a git work tree
 * at the wanted commit, or a populated folder without git (a copy of the
 * working tree), which is never wiped.
 */
async function holdsCheckout(
  dir: string,
  git: (args: string[]) => Promise<{ code: number; stdout: string }>,
  sha: string,
  ref: string,
): Promise<boolean> {
  if (!existsSync(path.join(dir, ".git"))) return existsSync(dir) && readdirSync(dir).length > 0;
  if (ref !== "") return false;
  const head = await git(["rev-parse", "HEAD"]);
  return head.code === 0 && sha !== "" && head.stdout.trim() === sha;
}

type Git = (args: string[]) => Promise<{ code: number; stdout: string }>;

/**
 * Gives a copied workspace repository the history actions/checkout would
 * fetch: HEAD's branch only (other branches and remote-tracking refs go),
 * no tags unless `fetchTags`, and for a positive depth a shallow boundary
 * `depth` commits down from HEAD (`.git/shallow`, as `git fetch --depth`
 * leaves it), so `git describe` and `git log` see what they see on GitHub.
 * The objects stay (they are shared with the source repository).
 */
async function trimHistory(git: Git, depth: number, fetchTags: boolean): Promise<void> {
  const head = await git(["rev-parse", "HEAD"]);
  if (head.code !== 0) return;
  const branch = await git(["symbolic-ref", "-q", "HEAD"]);
  const keep = branch.code === 0 ? branch.stdout.trim() : "";
  const refs = await git(["for-each-ref", "--format=%(refname)"]);
  const drop = refs.stdout
    .split("\n")
    .filter((r) => r !== "" && r !== keep && !(fetchTags && r.startsWith("refs/tags/")));
  for (const ref of drop) await git(["update-ref", "-d", ref]);
  const gitDir = (await git(["rev-parse", "--absolute-git-dir"])).stdout.trim();
  if (depth === 0) {
    rmSync(path.join(gitDir, "shallow"), { force: true });
    return;
  }
  // Breadth-first from HEAD: the commits at `depth` that have parents become the shallow boundary.
  let level = [head.stdout.trim()];
  const seen = new Set(level);
  const boundary: string[] = [];
  for (let d = 1; d <= depth && level.length > 0; d++) {
    const parents = await git(["rev-list", "--no-walk", "--parents", ...level]);
    const next: string[] = [];
    for (const line of parents.stdout.split("\n").filter(Boolean)) {
      const [commit, ...ps] = line.split(" ");
      if (d === depth) {
        if (ps.length > 0) boundary.push(commit!);
        continue;
      }
      for (const p of ps) {
        if (seen.has(p)) continue;
        seen.add(p);
        next.push(p);
      }
    }
    level = next;
  }
  if (boundary.length === 0) return;
  writeFileSync(path.join(gitDir, "shallow"), boundary.map((c) => `${c}\n`).join(""));
}

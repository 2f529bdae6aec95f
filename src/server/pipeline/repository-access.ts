/**
 * What the pipeline reads from a registered repository and sends back to
 * its forge: mirrors fetched with the stored credentials, secrets and
 * variables (none for runs of pull requests from forks), called workflows,
 * the parsed workflow files of a commit, and commit statuses.
 */
import { releaseActionInputChecks } from "../../release/index.js";
import { SlipwayError } from "../../lib/index.js";
import type { Repository, Store, WorkflowRun } from "../../store/index.js";
import { parseWorkflow, parseWorkflowOrThrow, type Workflow } from "../../workflow/index.js";
import type { SecretBox } from "../security.js";
import { isFromFork } from "../webhooks.js";
import { inferForgeTarget, postCommitStatus, type StatusState } from "./commit-status.js";
import { hasCommit, readFileAt, resolveRef, type MirrorSource, type Mirrors } from "./git-mirror.js";
import type { PipelineConfig } from "./pipeline-types.js";
import { mirrorSourceOf, openSecrets } from "./stored-secrets.js";
import type { MessageLogger } from "../../lib/index.js";

/** `owner/repo/path/to/workflow.yml@ref`, as a job's `uses:` names a workflow in another repository. */
export function parseCalledWorkflowRef(uses: string): { owner: string; repo: string; path: string; ref: string } {
  const match = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)\/([^@]+\.ya?ml)@([^@\s]+)$/.exec(uses.trim());
  const path = match?.[3] ?? "";
  if (!match || path.split("/").some((part) => part === "" || part === "." || part === "..")) {
    throw new SlipwayError("WORKFLOW_NOT_FOUND", `'${uses}' is not a reusable workflow reference`, {
      hint: "Use ./.github/workflows/FILE.yml or OWNER/REPO/.github/workflows/FILE.yml@REF.",
    });
  }
  return { owner: match[1]!, repo: match[2]!, path, ref: match[4]! };
}

/** Parsed workflow files by path and text, newest last; texts above PARSED_TEXT_LIMIT are not kept. */
type ParseWorkflowResult = ReturnType<typeof parseWorkflow>;
const parsedWorkflows = new Map<string, ParseWorkflowResult>();
const PARSED_ENTRIES = 64;
const PARSED_TEXT_LIMIT = 256 * 1024;

/**
 * A workflow file parsed as runs are created from it (with the release
 * actions' input checks). Parsing is pure and costs more than the rest of a
 * dispatch, so the result for one path and text is parsed once and shared:
 * callers must not modify it.
 */
export function parseWorkflowOnce(file: string, text: string): ParseWorkflowResult {
  const key = `${file}\0${text}`;
  const cached = parsedWorkflows.get(key);
  if (cached) {
    parsedWorkflows.delete(key);
    parsedWorkflows.set(key, cached);
    return cached;
  }
  const parsed = parseWorkflow(file, text, { actionInputChecks: releaseActionInputChecks });
  if (text.length <= PARSED_TEXT_LIMIT) {
    parsedWorkflows.set(key, parsed);
    if (parsedWorkflows.size > PARSED_ENTRIES) parsedWorkflows.delete(parsedWorkflows.keys().next().value!);
  }
  return parsed;
}

/** Parses workflow files: the valid ones, and the others with their errors as GitHub words them. */
export function parseWorkflowFiles(files: { path: string; text: string }[]): { valid: Workflow[]; invalid: { file: string; messages: string[] }[] } {
  const valid: Workflow[] = [];
  const invalid: { file: string; messages: string[] }[] = [];
  for (const f of files) {
    const parsed = parseWorkflowOnce(f.path, f.text);
    if (parsed.workflow) valid.push(parsed.workflow);
    else invalid.push({ file: f.path, messages: parsed.errors.map((e) => (e.position ? `${e.position.file} (Line: ${e.position.line}, Col: ${e.position.col}): ${e.message}` : e.message)) });
  }
  return { valid, invalid };
}

export type RepositoryAccess = ReturnType<typeof createRepositoryAccess>;

export function createRepositoryAccess(deps: { store: Store; secretBox: SecretBox; mirrors: Mirrors; config: PipelineConfig; publicUrl: string; logger: MessageLogger }) {
  const { store, secretBox, mirrors, config, logger } = deps;

  const sourceOf = (repo: Repository): MirrorSource =>
    mirrorSourceOf(repo, secretBox, () => logger.warn(`repository ${repo.fullName}: stored credentials cannot be decrypted; fetching without them`));

  /** The mirror, fetched when it lacks the commit (or always when `sha` is absent). */
  const mirrorWith = async (repo: Repository, sha?: string): Promise<string> => {
    const dir = mirrors.path(repo.id);
    if (sha && (await hasCommit(dir, sha))) return dir;
    return mirrors.fetch(sourceOf(repo));
  };

  /**
   * A ref resolved as a fetch then `resolveRefName` would, without the fetch:
   * for a local source whose branch `ref` (or `refs/heads/<ref>`) points at a
   * commit the mirror already has. Null otherwise (the caller fetches). A
   * full ref other than a branch, and a name that is not a branch at the
   * source, are left to the fetch.
   */
  const resolveWithoutFetch = async (repo: Repository, ref: string): Promise<{ mirror: string; sha: string; matched: string } | null> => {
    const dir = mirrors.path(repo.id);
    const matched = ref.startsWith("refs/") ? ref : `refs/heads/${ref}`;
    const sha = await mirrors.localBranchHead(sourceOf(repo), matched);
    return sha && (await hasCommit(dir, sha)) ? { mirror: dir, sha, matched } : null;
  };

  /** The secrets of the repository, or of one of its environments (by its stored name); undecryptable ones are left out. */
  const secretsOf = async (repo: Repository, environment: string | null = null): Promise<Record<string, string>> =>
    openSecrets({ store, secretBox }, repo.id, environment, (name) =>
      logger.warn(`repository ${repo.fullName}: ${environment === null ? "" : `environment ${environment}: `}secret ${name} cannot be decrypted; left out`),
    );

  /**
   * The repository's configuration variables (the `vars` context), read when
   * a run is created and each time it is driven, so a re-run sees current values.
   * Like secrets, they are not given to runs of pull requests from forks.
   */
  const varsOf = async (repo: Repository, eventPayload: unknown): Promise<Record<string, string>> => {
    if (isFromFork(eventPayload)) return {};
    const out: Record<string, string> = {};
    for (const variable of await store.listVariables(repo.id)) out[variable.name] = variable.value;
    return out;
  };

  /**
   * The engine's environment provider for one run: the environment a job names
   * is created when it does not exist yet (as GitHub does), and its variables
   * are read each time a job naming it is prepared (its secrets are released
   * when a runner claims the job). Runs of pull requests from forks get none.
   */
  const environmentsFor = (repo: Repository, eventPayload: unknown) => {
    const fork = isFromFork(eventPayload);
    return {
      contexts: async (name: string): Promise<{ vars: Record<string, string> }> => {
        const environment = await store.ensureEnvironment(repo.id, name);
        if (fork) return { vars: {} };
        const vars: Record<string, string> = {};
        for (const variable of await store.listVariables(repo.id, environment.name)) vars[variable.name] = variable.value;
        return { vars };
      },
    };
  };

  /**
   * The workflow a job calls with `uses:`: `./path` from the run's own commit,
   * `owner/repo/path@ref` from the mirror of a repository registered on this
   * server (fetched when the ref is not there yet).
   */
  const loadCalledWorkflow = async (repo: Repository, headSha: string, uses: string): Promise<Workflow> => {
    let source = repo;
    let sha = headSha;
    let file: string;
    if (uses.startsWith("./")) {
      file = uses.slice(2).replace(/@.*$/, "");
    } else {
      const ref = parseCalledWorkflowRef(uses);
      const called = await store.getRepositoryByName(ref.owner, ref.repo);
      if (!called) {
        throw new SlipwayError("WORKFLOW_NOT_FOUND", `the called workflow '${uses}' is in ${ref.owner}/${ref.repo}, which is not registered on this server`, {
          hint: `Register it (slipway repo add ${ref.owner}/${ref.repo} --url GIT_URL) or copy the workflow into this repository and call it as ./${ref.path}.`,
        });
      }
      source = called;
      let mirror = await mirrorWith(called, /^[0-9a-f]{40}$/.test(ref.ref) ? ref.ref : undefined);
      let resolved = await resolveRef(mirror, ref.ref);
      if (!resolved) {
        mirror = await mirrors.fetch(sourceOf(called));
        resolved = await resolveRef(mirror, ref.ref);
      }
      if (!resolved) {
        throw new SlipwayError("WORKFLOW_NOT_FOUND", `the called workflow '${uses}': ${ref.owner}/${ref.repo} has no branch, tag or commit '${ref.ref}'`, {
          hint: "Name an existing branch, tag or full commit id after the @.",
        });
      }
      sha = resolved;
      file = ref.path;
    }
    const mirror = await mirrorWith(source, sha);
    const text = await readFileAt(mirror, sha, file);
    if (text === null) {
      throw new SlipwayError("WORKFLOW_NOT_FOUND", `the called workflow ${file} is not in ${source.fullName} at ${sha.slice(0, 12)}`, {
        hint: "Check the path after the repository name: reusable workflows live in .github/workflows/.",
      });
    }
    return parseWorkflowOrThrow(uses.startsWith("./") ? file : uses, text);
  };

  /** Posts the run's state as a commit status on its forge, in the background; without a forge target nothing is sent. */
  const sendStatus = (repo: Repository, run: WorkflowRun, state: StatusState, description: string): void => {
    if (!run.headSha) return;
    const token = sourceOf(repo).credentials ?? null;
    const bare = token && token.includes(":") ? token.slice(token.indexOf(":") + 1) : token;
    const target = config.resolveForge ? config.resolveForge(repo, bare) : inferForgeTarget(repo, bare);
    if (!target) return;
    void postCommitStatus(
      target,
      {
        owner: repo.owner,
        name: repo.name,
        sha: run.headSha,
        state,
        context: `slipway/${run.workflowName}`,
        description,
        targetUrl: `${deps.publicUrl}/${repo.fullName}/actions/runs/${run.id}`,
      },
      { fetch: config.fetch, onError: (m) => logger.warn(m) },
    );
  };

  /** Every registered repository, page by page. */
  const allRepositories = async (): Promise<Repository[]> => {
    const out: Repository[] = [];
    for (let page = 1; ; page += 1) {
      const p = await store.listRepositories({ page, perPage: 100 });
      out.push(...p.items);
      if (p.items.length < 100) return out;
    }
  };

  return { mirrors, sourceOf, mirrorWith, resolveWithoutFetch, secretsOf, varsOf, environmentsFor, loadCalledWorkflow, sendStatus, allRepositories };
}

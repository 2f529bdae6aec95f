/**
 * The workflows a repository has at its default branch, read from the
 * server's mirror: file path, display name and workflow_dispatch inputs.
 * The mirror is fetched when it is missing or older than `maxAgeMs`; when a
 * fetch fails the mirror as it is answers, and without any mirror the
 * catalogue says it does not know (null) rather than "no workflows".
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { parseWorkflow, type WorkflowDispatchInput } from "../../workflow/index.js";
import { createMirrors, mirrorPath, readWorkflowFiles, resolveRef, type MirrorSource } from "./git-mirror.js";

interface CatalogWorkflow {
  /** `.github/workflows/ci.yml`. */
  path: string;
  /** The workflow's `name`, else its path (as GitHub shows it). */
  name: string;
  /** The workflow_dispatch inputs; null when the workflow cannot be dispatched. */
  dispatchInputs: Record<string, WorkflowDispatchInput> | null;
  /** Parse errors as `file:line:col: message`; empty for a valid workflow. */
  errors: string[];
}

export interface WorkflowCatalog {
  /** Null when the repository cannot be read and no mirror exists yet. */
  list(source: MirrorSource, branch: string): Promise<{ sha: string; workflows: CatalogWorkflow[] } | null>;
}

const DEFAULT_MAX_AGE_MS = 30_000;

export function createWorkflowCatalog(dataDir: string, options: { maxAgeMs?: number; now?: () => number } = {}): WorkflowCatalog {
  const mirrors = createMirrors(dataDir);
  const maxAgeMs = options.maxAgeMs ?? DEFAULT_MAX_AGE_MS;
  const now = options.now ?? Date.now;
  const fetchedAt = new Map<number, number>();

  const mirrorOf = async (source: MirrorSource): Promise<string | null> => {
    const dir = mirrorPath(dataDir, source.id);
    const have = existsSync(path.join(dir, "HEAD"));
    const last = fetchedAt.get(source.id);
    if (last !== undefined && now() - last < maxAgeMs) return have ? dir : null;
    try {
      await mirrors.fetch(source);
      fetchedAt.set(source.id, now());
      return dir;
    } catch {
      // An unreachable forge is asked again only after maxAgeMs, not on every list.
      fetchedAt.set(source.id, now());
      return have ? dir : null;
    }
  };

  return {
    async list(source, branch) {
      const mirror = await mirrorOf(source);
      if (!mirror) return null;
      const sha = await resolveRef(mirror, branch);
      if (!sha) return { sha: "", workflows: [] };
      const files = await readWorkflowFiles(mirror, sha);
      const workflows = files.map((file): CatalogWorkflow => {
        const parsed = parseWorkflow(file.path, file.text);
        if (!parsed.workflow) {
          return {
            path: file.path,
            name: file.path,
            dispatchInputs: null,
            errors: parsed.errors.map((e) => `${e.position ? `${e.position.file}:${e.position.line}:${e.position.col}: ` : ""}${e.message}`),
          };
        }
        const dispatch = parsed.workflow.on.workflowDispatch;
        return { path: file.path, name: parsed.workflow.name ?? file.path, dispatchInputs: dispatch ? dispatch.inputs : null, errors: [] };
      });
      return { sha, workflows };
    },
  };
}

/**
 * actions/upload-artifact and actions/download-artifact with v3 and v4
 * semantics (v4 for v4 and later refs, branches and SHAs) over an ArtifactStore.
 */
import os from "node:os";
import path from "node:path";
import { SlipwayError } from "../../../lib/index.js";
import type { UsesContext, UsesStepResult } from "../../uses.js";
import type { ArtifactStore } from "../artifact-store.js";
import { validateArtifactName } from "../artifact-store.js";
import { getBooleanInput, getInput, getMultilineInput, majorVersionOf, type BuiltinAction } from "../builtin.js";
import { globToRegExp, leastCommonAncestor, matchPatterns } from "../glob.js";
import type { RemoteActionReference } from "../reference.js";

export type ArtifactStoreSource = ArtifactStore | ((context: UsesContext) => ArtifactStore);

function isV3(ref: RemoteActionReference): boolean {
  const major = majorVersionOf(ref.ref);
  return major !== undefined && major < 4;
}

function storeOf(source: ArtifactStoreSource, context: UsesContext): ArtifactStore {
  return typeof source === "function" ? source(context) : source;
}

function artifactUrl(context: UsesContext, id: number): string {
  const g = (context.contexts.github as Record<string, unknown> | undefined) ?? {};
  const server = String(g.server_url ?? "https://github.com");
  return `${server}/${String(g.repository ?? "")}/actions/runs/${String(g.run_id ?? "")}/artifacts/${id}`;
}

function expandHome(p: string, context: UsesContext): string {
  if (p === "~" || p.startsWith("~/")) return path.join(context.env.HOME || os.homedir(), p.slice(1));
  return p;
}

async function upload(context: UsesContext, ref: RemoteActionReference, source: ArtifactStoreSource): Promise<UsesStepResult> {
  const v3 = isV3(ref);
  const name = getInput(context, "name") || "artifact";
  validateArtifactName(name);
  const patterns = getMultilineInput(context, "path");
  if (patterns.length === 0) {
    throw new SlipwayError("INPUT_INVALID", `Input required and not supplied: path (${context.uses})`, {
      hint: "Add `path:` under `with:` with the files to upload.",
    });
  }
  const ifNoFiles = (getInput(context, "if-no-files-found") || "warn").toLowerCase();
  if (!["warn", "error", "ignore"].includes(ifNoFiles)) {
    throw new SlipwayError("INPUT_INVALID", `if-no-files-found must be warn, error or ignore, got '${ifNoFiles}'`, {
      hint: "Use warn, error or ignore.",
    });
  }
  const retentionText = getInput(context, "retention-days");
  const retentionDays = retentionText === "" ? 0 : Number(retentionText);
  if (!Number.isInteger(retentionDays) || retentionDays < 0 || retentionDays > 90) {
    throw new SlipwayError("INPUT_INVALID", `retention-days must be a whole number from 1 to 90, got '${retentionText}'`, {
      hint: "Use a number of days from 1 to 90 (0 or empty for the default).",
    });
  }
  const overwrite = v3 ? false : getBooleanInput(context, "overwrite", false);
  const includeHidden = v3 ? true : getBooleanInput(context, "include-hidden-files", false);
  const { files, searchRoots } = matchPatterns(patterns, {
    cwd: context.workspace,
    home: context.env.HOME,
    excludeHidden: !includeHidden,
  });
  if (files.length === 0) {
    const message = `No files were found with the provided path: ${patterns.join("\n")}. No artifacts will be uploaded.`;
    if (ifNoFiles === "error") return { outcome: "failure", error: message };
    if (ifNoFiles === "warn") context.annotate({ level: "warning", message });
    else context.log(message);
    return { outcome: "success" };
  }
  const root = leastCommonAncestor(searchRoots);
  const store = storeOf(source, context);
  const info = await store.upload(
    name,
    files.map((f) => ({ path: path.relative(root, f).split(path.sep).join("/"), source: f })),
    { mode: v3 ? "append" : overwrite ? "replace" : "create", retentionDays },
  );
  context.log(`Artifact ${name} has been successfully uploaded! Final size is ${info.size} bytes. Artifact ID is ${info.id}`);
  if (!v3) {
    context.setOutput("artifact-id", String(info.id));
    context.setOutput("artifact-url", artifactUrl(context, info.id));
    context.setOutput("artifact-digest", info.digest);
  }
  return { outcome: "success" };
}

async function download(context: UsesContext, ref: RemoteActionReference, source: ArtifactStoreSource): Promise<UsesStepResult> {
  const v3 = isV3(ref);
  const store = storeOf(source, context);
  const name = getInput(context, "name");
  const target = path.resolve(context.workspace, expandHome(getInput(context, "path") || ".", context));
  if (name !== "") {
    validateArtifactName(name);
    await store.download(name, target);
    context.log(`Artifact ${name} downloaded to ${target}`);
  } else {
    const pattern = v3 ? "" : getInput(context, "pattern");
    const merge = v3 ? false : getBooleanInput(context, "merge-multiple", false);
    const idsText = v3 ? "" : getInput(context, "artifact-ids");
    const ids = idsText === "" ? undefined : new Set(idsText.split(",").map((s) => Number(s.trim())));
    const re = pattern ? globToRegExp(pattern) : undefined;
    const all = (await store.list()).filter((a) => (!re || re.test(a.name)) && (!ids || ids.has(a.id)));
    if (ids && all.length === 0) {
      throw new SlipwayError("ARTIFACT_NOT_FOUND", `Unable to download artifact(s): no artifact with id ${idsText}`);
    }
    for (const a of all) {
      const dest = merge ? target : path.join(target, a.name);
      await store.download(a.name, dest);
    }
    context.log(`Downloaded ${all.length} artifact(s) to ${target}`);
  }
  context.setOutput("download-path", target);
  return { outcome: "success" };
}

export function createArtifactActions(store: ArtifactStoreSource): BuiltinAction[] {
  return [
    { names: ["actions/upload-artifact"], run: (context, ref) => upload(context, ref, store) },
    { names: ["actions/download-artifact"], run: (context, ref) => download(context, ref, store) },
  ];
}

/**
 * What setup actions share: finding an executable on a PATH, and reading a
 * version request from the version file an action's `*-version-file`
 * input names (`.nvmrc`, `.tool-versions`, `go.mod`, ...).
 */
import { accessSync, constants, existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { SlipwayError } from "../../lib/index.js";
import type { UsesContext } from "../uses.js";

/** Finds an executable on a PATH string. */
export function findOnPath(command: string, pathValue: string | undefined): string | undefined {
  for (const dir of (pathValue ?? "").split(path.delimiter)) {
    if (dir === "") continue;
    const full = path.join(dir, command);
    try {
      accessSync(full, constants.X_OK);
      return full;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The version an asdf `.tool-versions` file gives the first of `names` it lists; "" when none. */
export function toolVersionsEntry(text: string, names: string[]): string {
  for (const line of text.split(/\r?\n/)) {
    const [tool, version] = line.trim().split(/\s+/);
    if (tool && version && names.includes(tool)) return version;
  }
  return "";
}

/** The first line that is not empty once `#` comments are dropped. */
export function firstLine(text: string): string {
  return (
    text
      .split(/\r?\n/)
      .map((l) => l.replace(/#.*/, "").trim())
      .find((l) => l !== "") ?? ""
  );
}

/** Reads the version file named by `input` (relative to the workspace) with `read`; CLI_FILE_UNREADABLE when it is missing. */
export function readVersionFile(context: UsesContext, action: string, input: string, file: string, read: (file: string, text: string) => string): string {
  const full = path.resolve(context.workspace, file);
  if (!existsSync(full)) {
    throw new SlipwayError("CLI_FILE_UNREADABLE", `${action}: ${input} '${file}' does not exist in the workspace`, {
      hint: "Check the path (relative to GITHUB_WORKSPACE) and that the repository is checked out.",
    });
  }
  return read(full, readFileSync(full, "utf8")).trim();
}

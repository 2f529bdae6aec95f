/**
 * `shell:` resolution as GitHub's runner does it on Linux and macOS:
 * a shell keyword maps to a command template whose `{0}` is the script
 * file; anything else is a custom template that must contain `{0}`.
 */
import { accessSync, constants } from "node:fs";
import path from "node:path";
import { SlipwayError } from "../lib/index.js";

export interface ResolvedShell {
  /** Executable: a bare name (looked up on PATH by spawn) or a path. */
  command: string;
  /** Arguments with `{0}` still in them. */
  args: string[];
  /** Extension for the script file, with its dot ("" for none). */
  extension: string;
}

const EXTENSIONS: Record<string, string> = {
  bash: ".sh",
  sh: ".sh",
  zsh: ".sh",
  dash: ".sh",
  python: ".py",
  python3: ".py",
  node: ".js",
  pwsh: ".ps1",
  powershell: ".ps1",
  perl: ".pl",
  ruby: ".rb",
};

const lookupCache = new Map<string, string | null>();

/** The absolute path of `name` on `pathValue`, or null. Cached per (PATH, name). */
function findExecutable(name: string, pathValue: string | undefined): string | null {
  if (name.includes("/")) return isExecutable(name) ? name : null;
  const key = `${pathValue ?? ""}\0${name}`;
  const cached = lookupCache.get(key);
  if (cached !== undefined) return cached;
  let found: string | null = null;
  for (const dir of (pathValue ?? "").split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) {
      found = candidate;
      break;
    }
  }
  lookupCache.set(key, found);
  return found;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Splits a shell template into words: whitespace separates, single and
 * double quotes group (and are removed), as the runner's argument parsing does.
 */
function splitShellWords(text: string): string[] {
  const words: string[] = [];
  let current = "";
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (const ch of text) {
    if (quote) {
      if (ch === quote) quote = null;
      else current += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(current);
      current = "";
      inWord = false;
    } else {
      current += ch;
      inWord = true;
    }
  }
  if (inWord) words.push(current);
  return words;
}

/**
 * Resolves `shell:` (undefined = default) against the step's PATH.
 * Default: `bash -e {0}` when bash is on PATH, else `sh -e {0}`.
 */
export function resolveShell(shell: string | undefined, pathValue: string | undefined): ResolvedShell {
  const name = shell?.trim() ?? "";
  switch (name) {
    case "":
      return findExecutable("bash", pathValue)
        ? { command: "bash", args: ["-e", "{0}"], extension: ".sh" }
        : { command: "sh", args: ["-e", "{0}"], extension: ".sh" };
    case "bash":
      return { command: "bash", args: ["--noprofile", "--norc", "-eo", "pipefail", "{0}"], extension: ".sh" };
    case "sh":
      return { command: "sh", args: ["-e", "{0}"], extension: ".sh" };
    case "python":
      return {
        command: findExecutable("python", pathValue) || !findExecutable("python3", pathValue) ? "python" : "python3",
        args: ["{0}"],
        extension: ".py",
      };
    case "node":
      return { command: "node", args: ["{0}"], extension: ".js" };
    case "pwsh":
      return { command: "pwsh", args: ["-command", ". '{0}'"], extension: ".ps1" };
    case "powershell":
      return { command: "powershell", args: ["-command", ". '{0}'"], extension: ".ps1" };
    case "cmd":
      throw new SlipwayError("WORKFLOW_INVALID", "shell: cmd is only available on Windows runners", {
        hint: "Use bash, sh, pwsh or python on this host.",
      });
  }
  if (!name.includes("{0}")) {
    throw new SlipwayError("WORKFLOW_INVALID", `shell: '${name}' is not a known shell and does not contain the {0} placeholder`, {
      hint: "Use bash, sh, pwsh, python, or a command template such as `perl {0}`.",
    });
  }
  const words = splitShellWords(name);
  const command = words[0]!;
  return { command, args: words.slice(1), extension: EXTENSIONS[path.basename(command)] ?? "" };
}

/** The argument list with `{0}` replaced by the script path. */
export function fillShellArgs(shell: ResolvedShell, scriptPath: string): string[] {
  return shell.args.map((a) => a.split("{0}").join(scriptPath));
}

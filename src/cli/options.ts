/**
 * Turns command-line flags into data: repeated flags, and for `slipway run`
 * secrets, vars, env, inputs and matrix filters, with errors that name the
 * flag and never echo a secret value.
 */
import fs from "node:fs";
import { SlipwayError } from "../lib/index.js";
import { parseDotenv } from "./dotenv.js";

/** A commander argument parser for a repeatable flag: each use adds its value to the list. */
export function collectRepeated(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** A file named on the command line, as text; CLI_FILE_UNREADABLE names it when it cannot be read. */
export function readTextFile(file: string, what: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === "ENOENT" ? "does not exist" : "cannot be read";
    throw new SlipwayError("CLI_FILE_UNREADABLE", `${what} ${file} ${reason}`);
  }
}

function splitPair(value: string, flag: string, sep = "="): [string, string | undefined] {
  const i = value.indexOf(sep);
  const key = i < 0 ? value : value.slice(0, i);
  if (!key) throw new SlipwayError("CLI_USAGE", `${flag} needs NAME${sep}VALUE, got an empty name`);
  return i < 0 ? [key, undefined] : [key, value.slice(i + 1)];
}

/** `-s NAME=VALUE`, or `-s NAME` taking the value from the environment. Files come first; flags override. */
export function collectSecrets(flags: string[], files: string[], env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of files) Object.assign(out, parseDotenv(readTextFile(f, "secret file"), f));
  for (const flag of flags) {
    const [key, value] = splitPair(flag, "-s/--secret");
    if (value !== undefined) out[key] = value;
    else if (env[key] !== undefined) out[key] = env[key]!;
    else throw new SlipwayError("CLI_USAGE", `secret ${key} has no value: -s ${key} reads it from the environment, where it is not set`, {
      hint: `Pass -s ${key}=VALUE, export ${key}, or put it in a --secret-file.`,
    });
  }
  return out;
}

export function collectPairs(flags: string[], files: string[], flag: string, fileWhat: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of files) Object.assign(out, parseDotenv(readTextFile(f, fileWhat), f));
  for (const v of flags) {
    const [key, value] = splitPair(v, flag);
    if (value === undefined) throw new SlipwayError("CLI_USAGE", `${flag} ${key} needs a value: ${flag} ${key}=VALUE`);
    out[key] = value;
  }
  return out;
}

/** `--matrix key:value` (act's form), repeated; several values for one key keep any of them. */
export function collectMatrixFilter(flags: string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const v of flags) {
    const [key, value] = splitPair(v, "--matrix", ":");
    if (value === undefined) throw new SlipwayError("CLI_USAGE", `--matrix ${key} needs a value: --matrix ${key}:VALUE`);
    (out[key] ??= []).push(value);
  }
  return out;
}

export function readEventPayload(file: string | undefined): Record<string, unknown> | undefined {
  if (!file) return undefined;
  const text = readTextFile(file, "event payload");
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new SlipwayError("EVENT_PAYLOAD_INVALID", `${file} is not valid JSON: ${(e as Error).message}`);
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new SlipwayError("EVENT_PAYLOAD_INVALID", `${file} must hold a JSON object`);
  }
  return parsed as Record<string, unknown>;
}

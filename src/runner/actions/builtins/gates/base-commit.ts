/**
 * What a gate compares against: the commit the change starts from. An
 * explicit `base-ref` input wins; otherwise a pull request's base commit, or a
 * push's `before` (not for a new branch, whose `before` is all zeros). The
 * gates read the base from the job's checkout, so they need its history:
 * `fetch-depth: 0` (or enough depth) on actions/checkout.
 */
import { SlipwayError } from "../../../../lib/index.js";
import type { UsesContext } from "../../../uses.js";
import { getInput } from "../../builtin.js";
import { execCapture } from "../../exec.js";

const ZERO_SHA = /^0+$/;

function eventField(context: UsesContext, ...keys: string[]): string | undefined {
  let value: unknown = (context.contexts.github as Record<string, unknown> | undefined)?.event;
  for (const key of keys) value = value && typeof value === "object" ? (value as Record<string, unknown>)[key] : undefined;
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** The base ref to compare with, or undefined when the event names none and no `base-ref` is given. */
export function baseRefOf(context: UsesContext): string | undefined {
  const given = getInput(context, "base-ref");
  if (given !== "") return given;
  const pullBase = eventField(context, "pull_request", "base", "sha");
  if (pullBase) return pullBase;
  const before = eventField(context, "before");
  return before && !ZERO_SHA.test(before) ? before : undefined;
}

async function git(context: UsesContext, args: string[]): Promise<string> {
  const result = await execCapture("git", args, { cwd: context.workspace, env: context.env, signal: context.signal });
  if (result.code !== 0) {
    throw new SlipwayError("GATE_BASE_UNREADABLE", `${context.uses}: git ${args[0]} failed: ${result.stderr.trim().split("\n")[0] ?? `exit ${result.code}`}`);
  }
  return result.stdout;
}

/** Paths changed between `base` and HEAD (added, copied, modified, renamed), relative to the workspace. */
export async function changedFiles(context: UsesContext, base: string): Promise<string[]> {
  const out = await git(context, ["diff", "--name-only", "--diff-filter=ACMR", "-z", `${base}...HEAD`]);
  return out.split("\0").filter((name) => name !== "");
}

/** The unified diff between `base` and HEAD (only what the change adds is of interest to a scanner). */
export async function diffSince(context: UsesContext, base: string): Promise<string> {
  return git(context, ["diff", "--unified=0", "--no-color", "--no-ext-diff", `${base}...HEAD`]);
}

/** A file's text at `ref`, or null when it does not exist there. */
export async function fileAt(context: UsesContext, ref: string, file: string): Promise<string | null> {
  const result = await execCapture("git", ["show", `${ref}:${file}`], { cwd: context.workspace, env: context.env, signal: context.signal });
  return result.code === 0 ? result.stdout : null;
}

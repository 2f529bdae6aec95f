/**
 * The parts of the workflow model a job request carries to a runner: plain
 * JSON values that GitHub evaluates at run time.
 * - `Template` values are YAML values whose strings may contain `${{ }}`
 *   (and mapping keys may be `${{ insert }}` or expressions);
 * - `Condition` strings are `if:` values, bare or wrapped in `${{ }}`.
 */
import type { SourcePosition } from "../lib/index.js";

export type Template = string | number | boolean | null | Template[] | { [key: string]: Template };
export type Condition = string;

export interface RunDefaults {
  shell?: string;
  workingDirectory?: string;
}

export interface Step {
  /** 0-based index within the job (or composite action). */
  index: number;
  id?: string;
  name?: Template;
  if?: Condition;
  run?: string;
  shell?: string;
  workingDirectory?: string;
  uses?: string;
  with: Record<string, Template>;
  env: Record<string, Template> | string;
  continueOnError: Template;
  timeoutMinutes?: Template;
  position: SourcePosition;
}

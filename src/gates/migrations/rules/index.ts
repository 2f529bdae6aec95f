/**
 * The rule table: every migration rule, in squawk's names. Aliases map the
 * other spellings squawk accepts to the rules they stand for.
 */
import type { MigrationRule } from "../types.js";
import { columnTypeRules } from "./column-types.js";
import { columnRules } from "./columns.js";
import { constraintRules } from "./constraints.js";
import { duplicateColumnRule } from "./duplicate-columns.js";
import { indexRules } from "./indexes.js";
import { objectRules } from "./objects.js";
import { transactionRules } from "./transactions.js";

export const MIGRATION_RULES: readonly MigrationRule[] = [
  ...columnRules,
  ...constraintRules,
  ...columnTypeRules,
  ...indexRules,
  ...objectRules,
  duplicateColumnRule,
  ...transactionRules,
].sort((a, b) => compareText(a.id, b.id));

/** Code-unit order: localeCompare would load ICU collation data at start-up. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Other names accepted in configuration and ignore comments. */
const RULE_ALIASES: Readonly<Record<string, readonly string[]>> = {
  "require-timeout-settings": ["require-lock-timeout", "require-statement-timeout"],
  "prefer-timestamptz": ["prefer-timestamp-tz"],
};

const byId = new Map(MIGRATION_RULES.map((r) => [r.id, r]));

/** The rule ids a configured name stands for; empty when the name is unknown. */
export function resolveRuleName(name: string): readonly string[] {
  const id = name.trim().toLowerCase();
  if (byId.has(id)) return [id];
  return RULE_ALIASES[id] ?? [];
}

export function findRule(id: string): MigrationRule | undefined {
  return byId.get(id);
}

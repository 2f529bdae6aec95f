/** The migration linter: squawk's rules over PostgreSQL's own parser. */
export type { MigrationFinding, MigrationLintConfig, MigrationLintSettings, MigrationRule } from "./types.js";
export {
  DEFAULT_MAX_FILE_BYTES,
  DEFAULT_PG_VERSION,
  META_FINDINGS,
  lintMigrationSql,
  lintMigrationSqlSync,
  loadMigrationParser,
  resolveEnabledRules,
} from "./lint.js";
export { MIGRATION_RULES, RULE_ALIASES } from "./rules/index.js";
export { lintMigrationFile, lintMigrationFiles, type MigrationFilesResult } from "./files.js";

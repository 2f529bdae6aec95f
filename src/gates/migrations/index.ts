/** The migration linter: squawk's rules over PostgreSQL's own parser. */
export type { MigrationLintConfig } from "./types.js";
export { lintMigrationSql, lintMigrationSqlSync, loadMigrationParser, resolveEnabledRules } from "./lint.js";
export { MIGRATION_RULES } from "./rules/index.js";
export { lintMigrationFile, lintMigrationFiles } from "./files.js";

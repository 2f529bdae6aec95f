/** The migration linter: squawk's rules over PostgreSQL's own parser. */
export type { MigrationFinding, MigrationLintConfig } from "./types.js";
export { lintMigrationSql, lintMigrationSqlSync, loadMigrationParser, resolveEnabledRules } from "./lint.js";
export { MIGRATION_RULES } from "./rules/index.js";
export { findMigrationFiles, lintMigrationFile, lintMigrationFiles } from "./files.js";
export type { MigrationSource } from "./statements.js";
export { checkBackwardCompatibility } from "./compat.js";
export { applyMigrations, checksumOf } from "./apply.js";
export { describeDatabase } from "./database.js";
export { replayMigrations } from "./replay.js";
export { startScratchCluster } from "./cluster.js";

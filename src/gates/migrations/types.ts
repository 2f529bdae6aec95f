/**
 * Shapes shared by the migration linter: findings, settings, and the
 * per-statement view every rule reads.
 */

/** A node of libpg-query's JSON AST: `{ NodeType: { field: … } }` or a bare field object. */
export type AstNode = any;

export interface MigrationFinding {
  /** The rule id as squawk names it, or `syntax-error`, `unused-ignore`, `file-refused`. */
  rule: string;
  message: string;
  help: string;
  file: string;
  /** 1-based line. */
  line: number;
  /** 1-based column, counted in characters (Unicode code points) of the line. */
  col: number;
}

export interface MigrationLintSettings {
  /** The PostgreSQL major version migrations run on; squawk's default is 15. */
  pgVersion: number;
  /** The migration tool wraps each file in a transaction. */
  assumeInTransaction: boolean;
}

export interface MigrationLintConfig {
  /** PostgreSQL major version (default 15). */
  pgVersion?: number;
  /** Each file runs inside a transaction the migration tool opens (default false). */
  assumeInTransaction?: boolean;
  /**
   * Exactly these rules run, when given (opt-in rules included);
   * `require-timeout-settings` stands for both timeout rules.
   */
  rules?: readonly string[];
  /** Rules added to the default set (opt-in rules such as `require-table-schema`). */
  includedRules?: readonly string[];
  /** Rules removed from whatever set is chosen. */
  excludedRules?: readonly string[];
  /** Files larger than this many bytes are refused with a finding (default 10 MB). */
  maxFileBytes?: number;
}

/** One parsed statement with the file-level facts rules need. */
export interface StatementView {
  /** Node type name, e.g. `AlterTableStmt`. */
  kind: string;
  /** The node's own fields. */
  node: AstNode;
  /** Byte offset of the statement's first token. */
  start: number;
  index: number;
  /** A transaction is open when the statement runs (explicit BEGIN, or assumed and not ended). */
  inTransaction: boolean;
  /** An explicit BEGIN/START TRANSACTION of this file is open when the statement runs. */
  inExplicitTransaction: boolean;
  /** Which transaction the statement runs in (a number per BEGIN, 0 for the assumed one), or null outside any. */
  transactionId: number | null;
  /** Tables (relname as PostgreSQL folded it) created by earlier statements of the file. */
  createdTables: ReadonlySet<string>;
}

export interface RuleInput {
  statements: readonly StatementView[];
  settings: MigrationLintSettings;
  /** The source text. */
  sql: string;
  /** The file's tokens, comments included (scanned on first use). */
  tokens(): readonly SqlToken[];
}

export interface SqlToken {
  /** Byte offsets. */
  start: number;
  end: number;
  text: string;
  /** libpg-query's token name: IDENT, SQL_COMMENT, C_COMMENT, SCONST, … (keywords are UNKNOWN). */
  kind: string;
}

/** A finding before positions are resolved: a byte offset into the file. */
export interface RawFinding {
  offset: number;
  message: string;
}

export interface MigrationRule {
  id: string;
  /** Runs unless excluded (squawk's default set). */
  defaultOn: boolean;
  /** One line: what the rule flags. */
  summary: string;
  /** How to make the change safely. */
  help: string;
  check(input: RuleInput): RawFinding[];
}

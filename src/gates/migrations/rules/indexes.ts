/**
 * Rules about building, dropping and rebuilding indexes and tables in place.
 */
import { hasTrueOption } from "../ast.js";
import type { MigrationRule, RawFinding, RuleInput, StatementView } from "../types.js";

function each(input: RuleInput, kind: string, visit: (stmt: StatementView) => string | undefined): RawFinding[] {
  const out: RawFinding[] = [];
  for (const stmt of input.statements) {
    if (stmt.kind !== kind) continue;
    const message = visit(stmt);
    if (message) out.push({ offset: stmt.start, message });
  }
  return out;
}

export const indexRules: MigrationRule[] = [
  {
    id: "require-concurrent-index-creation",
    defaultOn: true,
    summary: "CREATE INDEX without CONCURRENTLY on a table this file did not create",
    help: "Use CREATE INDEX CONCURRENTLY, outside a transaction.",
    check: (input) =>
      each(input, "IndexStmt", (s) =>
        !s.node.concurrent && !s.createdTables.has(String(s.node.relation?.relname ?? ""))
          ? "Creating an index without CONCURRENTLY blocks writes to the table until it is built."
          : undefined,
      ),
  },
  {
    id: "require-concurrent-index-deletion",
    defaultOn: true,
    summary: "DROP INDEX without CONCURRENTLY",
    help: "Use DROP INDEX CONCURRENTLY, outside a transaction.",
    check: (input) =>
      each(input, "DropStmt", (s) =>
        s.node.removeType === "OBJECT_INDEX" && !s.node.concurrent
          ? "Dropping an index without CONCURRENTLY blocks reads and writes on its table."
          : undefined,
      ),
  },
  {
    id: "ban-concurrent-index-creation-in-transaction",
    defaultOn: true,
    summary: "CREATE INDEX CONCURRENTLY inside a transaction (BEGIN, or assume-in-transaction with other statements)",
    help: "Put the concurrent index in a migration of its own that runs outside a transaction.",
    check: (input) =>
      each(input, "IndexStmt", (s) =>
        s.node.concurrent && (s.inExplicitTransaction || (s.inTransaction && input.statements.length > 1))
          ? "CREATE INDEX CONCURRENTLY cannot run inside a transaction block."
          : undefined,
      ),
  },
  {
    id: "require-concurrent-reindex",
    defaultOn: true,
    summary: "REINDEX without CONCURRENTLY",
    help: "Use REINDEX … CONCURRENTLY (PostgreSQL 12+), outside a transaction.",
    check: (input) =>
      each(input, "ReindexStmt", (s) =>
        s.node.kind !== "REINDEX_OBJECT_SYSTEM" && !hasTrueOption(s.node.params, "concurrently")
          ? "REINDEX without CONCURRENTLY blocks reads and writes on the table."
          : undefined,
      ),
  },
  {
    id: "prefer-repack",
    defaultOn: true,
    summary: "VACUUM FULL or CLUSTER on PostgreSQL 19+, where REPACK exists",
    help: "Use REPACK (CONCURRENTLY) on PostgreSQL 19+: it rewrites the table without holding an ACCESS EXCLUSIVE lock throughout.",
    check: (input) => {
      if (input.settings.pgVersion < 19) return [];
      return input.statements
        .filter((s) => s.kind === "ClusterStmt" || (s.kind === "VacuumStmt" && s.node.is_vacuumcmd && hasTrueOption(s.node.options, "full")))
        .map((s) => ({ offset: s.start, message: `${s.kind === "ClusterStmt" ? "CLUSTER" : "VACUUM FULL"} holds an ACCESS EXCLUSIVE lock while it rewrites the table.` }));
    },
  },
];

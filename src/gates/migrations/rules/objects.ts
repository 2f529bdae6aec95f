/**
 * Rules about whole objects: dropping tables and databases, domains, enums,
 * TRUNCATE, schema-qualified names and identifier length.
 */
import { locationOr, readAlterTableCommands, readNames } from "../ast.js";
import type { MigrationRule, RawFinding, RuleInput, StatementView } from "../types.js";

function flag(input: RuleInput, matches: (s: StatementView) => boolean, message: (s: StatementView) => string): RawFinding[] {
  return input.statements.filter(matches).map((s) => ({ offset: s.start, message: message(s) }));
}

/** PostgreSQL keeps identifiers to NAMEDATALEN - 1 bytes and silently truncates longer ones. */
const MAX_IDENTIFIER_BYTES = 63;

function readIdentifierBytes(token: string): number {
  if (token.startsWith('"')) return Buffer.byteLength(token.slice(1, -1).replace(/""/g, '"'), "utf8");
  if (/^u&"/i.test(token)) return Buffer.byteLength(token.slice(3, -1), "utf8");
  return Buffer.byteLength(token.toLowerCase(), "utf8");
}

/**
 * A cheap pre-check before tokenizing: some run of characters that could be
 * one identifier is over 63 bytes. A UTF-16 unit is at most 3 UTF-8 bytes, so
 * only runs of 22 or more units can be.
 */
function mayHoldLongIdentifier(sql: string): boolean {
  for (const m of sql.matchAll(/[^\s,;()'.:[\]=<>+*/|&%^~!@#?-]{22,}/g)) {
    if (Buffer.byteLength(m[0], "utf8") > MAX_IDENTIFIER_BYTES) return true;
  }
  return false;
}

export const objectRules: MigrationRule[] = [
  {
    id: "ban-drop-table",
    defaultOn: true,
    summary: "DROP TABLE",
    help: "Remove every use of the table from the application first, keep a backup, and drop it in a later migration.",
    check: (input) => flag(input, (s) => s.kind === "DropStmt" && s.node.removeType === "OBJECT_TABLE", () => "Dropping a table breaks clients that still use it and loses its data."),
  },
  {
    id: "ban-drop-database",
    defaultOn: true,
    summary: "DROP DATABASE",
    help: "Do not drop databases from a migration.",
    check: (input) => flag(input, (s) => s.kind === "DropdbStmt", (s) => `Dropping database "${s.node.dbname}" destroys every object in it.`),
  },
  {
    id: "ban-truncate-cascade",
    defaultOn: true,
    summary: "TRUNCATE … CASCADE",
    help: "Name every table to truncate explicitly instead of CASCADE, which also empties every table that references them.",
    check: (input) =>
      flag(input, (s) => s.kind === "TruncateStmt" && s.node.behavior === "DROP_CASCADE", () => "TRUNCATE … CASCADE also empties every table that references these tables by foreign key."),
  },
  {
    id: "ban-alter-domain-with-add-constraint",
    defaultOn: true,
    summary: "ALTER DOMAIN … ADD CONSTRAINT",
    help: "Put the constraint on the table columns instead (added NOT VALID, then validated).",
    check: (input) =>
      flag(input, (s) => s.kind === "AlterDomainStmt" && s.node.subtype === "C", () => "Adding a constraint to a domain checks every column of that domain while holding locks."),
  },
  {
    id: "ban-create-domain-with-constraint",
    defaultOn: true,
    summary: "CREATE DOMAIN with a CHECK constraint",
    help: "Create the domain without a CHECK and put the constraint on the table columns.",
    check: (input) =>
      flag(
        input,
        (s) => s.kind === "CreateDomainStmt" && (s.node.constraints ?? []).some((c: any) => c.Constraint?.contype === "CONSTR_CHECK"),
        () => "A domain CHECK constraint is hard to change later: altering it re-checks every column of the domain.",
      ),
  },
  {
    id: "require-enum-value-ordering",
    defaultOn: true,
    summary: "ALTER TYPE … ADD VALUE without BEFORE or AFTER",
    help: "Say where the value goes with BEFORE '…' or AFTER '…': enum order decides comparisons and sorting.",
    check: (input) =>
      flag(
        input,
        (s) => s.kind === "AlterEnumStmt" && s.node.newVal !== undefined && s.node.oldVal === undefined && s.node.newValNeighbor === undefined,
        (s) => `Enum value '${s.node.newVal}' is appended last, which changes how values sort and compare.`,
      ),
  },
  {
    id: "require-table-schema",
    defaultOn: false,
    summary: "a table named without its schema in CREATE/ALTER/DROP TABLE (opt-in)",
    help: "Qualify the table with its schema (public.t) so the migration does not depend on search_path.",
    check: (input) => {
      const out: RawFinding[] = [];
      for (const s of input.statements) {
        const rels: any[] = [];
        if (s.kind === "CreateStmt") rels.push(s.node.relation);
        else if (s.kind === "CreateTableAsStmt" && s.node.objtype === "OBJECT_TABLE") rels.push(s.node.into?.rel);
        else if (readAlterTableCommands(s).length > 0) rels.push(s.node.relation);
        else if (s.kind === "DropStmt" && s.node.removeType === "OBJECT_TABLE") {
          for (const o of s.node.objects ?? []) if (readNames(o.List?.items).length === 1) out.push({ offset: s.start, message: "The table is named without its schema." });
        }
        for (const r of rels) {
          if (r && !r.schemaname && r.relpersistence !== "t") out.push({ offset: locationOr(r.location, s.start), message: `Table "${r.relname}" is named without its schema.` });
        }
      }
      return out;
    },
  },
  {
    id: "identifier-too-long",
    defaultOn: true,
    summary: "an identifier longer than 63 bytes, which PostgreSQL silently truncates",
    help: "Shorten the name to at most 63 bytes; PostgreSQL would otherwise store a truncated name.",
    check: (input) => {
      if (!mayHoldLongIdentifier(input.sql)) return [];
      return input
        .tokens()
        .filter((t) => t.kind === "IDENT" && readIdentifierBytes(t.text) > MAX_IDENTIFIER_BYTES)
        .map((t) => ({ offset: t.start, message: `Identifier ${t.text} is ${readIdentifierBytes(t.text)} bytes long; PostgreSQL keeps only the first 63.` }));
    },
  },
];

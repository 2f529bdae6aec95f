/**
 * Rules about adding constraints to existing tables. Tables created earlier
 * in the same file are exempt: they are new and empty, so nothing waits.
 */
import { readAlterTableCommands, readColumnConstraints } from "../ast.js";
import type { AstNode, MigrationRule, RawFinding, RuleInput, StatementView } from "../types.js";
import { commandOffset } from "./columns.js";

function eachCommandOfExistingTable(input: RuleInput, visit: (cmd: AstNode, stmt: StatementView) => RawFinding | undefined): RawFinding[] {
  const out: RawFinding[] = [];
  for (const stmt of input.statements) {
    const cmds = readAlterTableCommands(stmt);
    if (cmds.length === 0 || stmt.createdTables.has(String(stmt.node.relation?.relname ?? ""))) continue;
    for (const cmd of cmds) {
      const f = visit(cmd, stmt);
      if (f) out.push(f);
    }
  }
  return out;
}

function addedConstraint(cmd: AstNode): AstNode | undefined {
  return cmd.subtype === "AT_AddConstraint" ? cmd.def?.Constraint : undefined;
}

function addedColumnHas(cmd: AstNode, contype: string): boolean {
  return cmd.subtype === "AT_AddColumn" && readColumnConstraints(cmd.def?.ColumnDef).some((c) => c.contype === contype);
}

export const constraintRules: MigrationRule[] = [
  {
    id: "adding-foreign-key-constraint",
    defaultOn: true,
    summary: "a FOREIGN KEY (constraint or column REFERENCES) added to an existing table without NOT VALID",
    help: "Add the foreign key with NOT VALID, then `VALIDATE CONSTRAINT` in a separate transaction.",
    check: (input) =>
      eachCommandOfExistingTable(input, (cmd, stmt) => {
        const c = addedConstraint(cmd);
        const flagged = (c?.contype === "CONSTR_FOREIGN" && !c.skip_validation) || addedColumnHas(cmd, "CONSTR_FOREIGN");
        return flagged
          ? { offset: commandOffset(cmd, stmt), message: "Adding a foreign key blocks writes on both tables while every row is checked." }
          : undefined;
      }),
  },
  {
    id: "constraint-missing-not-valid",
    defaultOn: true,
    summary: "ADD CONSTRAINT on an existing table without NOT VALID, or VALIDATE in the transaction that added it NOT VALID",
    help: "Add the constraint with NOT VALID, then run `VALIDATE CONSTRAINT` in its own transaction (it takes a weaker lock).",
    check: (input) => {
      const out: RawFinding[] = [];
      const notValidAdded = new Map<string, number | null>();
      for (const stmt of input.statements) {
        const existing = !stmt.createdTables.has(String(stmt.node.relation?.relname ?? ""));
        for (const cmd of readAlterTableCommands(stmt)) {
          const c = addedConstraint(cmd);
          if (c) {
            if (c.skip_validation) {
              if (c.conname) notValidAdded.set(c.conname, stmt.transactionId);
            } else if (existing && !c.indexname) {
              out.push({ offset: commandOffset(cmd, stmt), message: "Adding a constraint without NOT VALID scans the table while writes are blocked." });
            }
          } else if (cmd.subtype === "AT_ValidateConstraint" && stmt.transactionId !== null && notValidAdded.get(cmd.name) === stmt.transactionId) {
            out.push({ offset: stmt.start, message: `Validating "${cmd.name}" in the transaction that added it keeps the add's lock, so NOT VALID gains nothing.` });
          }
        }
      }
      return out;
    },
  },
  {
    id: "disallowed-unique-constraint",
    defaultOn: true,
    summary: "a UNIQUE constraint (or column UNIQUE) added to an existing table, building its index under an ACCESS EXCLUSIVE lock",
    help: "Create the index with CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT … UNIQUE USING INDEX.",
    check: (input) =>
      eachCommandOfExistingTable(input, (cmd, stmt) => {
        const c = addedConstraint(cmd);
        const flagged = (c?.contype === "CONSTR_UNIQUE" && !c.indexname) || addedColumnHas(cmd, "CONSTR_UNIQUE");
        return flagged
          ? { offset: commandOffset(cmd, stmt), message: "Adding a UNIQUE constraint builds its index while reads and writes are blocked." }
          : undefined;
      }),
  },
];

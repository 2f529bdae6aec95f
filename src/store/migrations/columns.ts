/**
 * What the migrations share to build tables the same way on SQLite and
 * PostgreSQL: an id column, a binary column type and foreign keys.
 */
import type { ColumnDefinitionBuilder, CreateTableBuilder } from "kysely";
import type { Backend } from "../store.js";

type Table = CreateTableBuilder<any, any>;

export function withId(table: Table, backend: Backend): Table {
  return backend === "postgres"
    ? table.addColumn("id", "bigserial", (c) => c.primaryKey())
    : table.addColumn("id", "integer", (c) => c.primaryKey().autoIncrement());
}

export function blobType(backend: Backend): "bytea" | "blob" {
  return backend === "postgres" ? "bytea" : "blob";
}

export const ref = (target: string, onDelete: "cascade" | "set null") => (c: ColumnDefinitionBuilder) =>
  c.references(target).onDelete(onDelete);

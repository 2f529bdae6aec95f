/**
 * Fills every table of a replay database with rows before the changed
 * migrations run, so that a rewrite or a validation scan takes measurable
 * time. Values come from the column's type (numbers count 1..n, so foreign
 * keys to another filled table's id find their row); columns with a default,
 * identity or generated columns are left to the database. Parents are filled
 * before the tables that reference them. A table that cannot be filled (a
 * type with no obvious value, a CHECK the generated rows break) stays empty
 * and is named in the log.
 */
import type pg from "pg";
import { quoteIdent } from "./database.js";

export interface ReplayTable {
  oid: number;
  /** `name`, or `schema.name` outside public. */
  name: string;
}

interface ColumnRow {
  attname: string;
  type: string;
  category: string;
  typname: string;
  notnull: boolean;
  skip: boolean;
}

/** The user tables of the database, parents before children. */
export async function listTables(client: pg.Client, exclude: readonly string[]): Promise<ReplayTable[]> {
  const tables = await client.query(`
    SELECT c.oid::int AS oid, CASE WHEN n.nspname = 'public' THEN c.relname ELSE n.nspname || '.' || c.relname END AS name
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
    ORDER BY 2`);
  const edges = await client.query(`SELECT conrelid::int AS child, confrelid::int AS parent FROM pg_constraint WHERE contype = 'f' AND conrelid <> confrelid`);
  const parents = new Map<number, number[]>();
  for (const e of edges.rows as { child: number; parent: number }[]) parents.set(e.child, [...(parents.get(e.child) ?? []), e.parent]);
  const all = (tables.rows as ReplayTable[]).filter((t) => !exclude.includes(t.name));
  const byOid = new Map(all.map((t) => [t.oid, t]));
  const ordered: ReplayTable[] = [];
  const seen = new Set<number>();
  const visit = (t: ReplayTable) => {
    if (seen.has(t.oid)) return;
    seen.add(t.oid);
    for (const p of parents.get(t.oid) ?? []) if (byOid.has(p)) visit(byOid.get(p)!);
    ordered.push(t);
  };
  for (const t of all) visit(t);
  return ordered;
}

function valueFor(column: ColumnRow): string | null {
  const cast = `::${column.type}`;
  if (column.typname === "uuid") return "md5(g::text)::uuid";
  if (column.typname === "json" || column.typname === "jsonb") return `'{}'${cast}`;
  if (column.typname === "bytea") return "'\\x00'::bytea";
  switch (column.category) {
    case "N":
      return `g${cast}`;
    case "S":
      return `g::text${cast}`;
    case "B":
      return "(g % 2 = 0)";
    case "D":
      return `(now() - g * interval '1 minute')${cast}`;
    case "E":
      return `(enum_range(NULL${cast}))[1]`;
    default:
      return column.notnull ? null : `NULL${cast}`;
  }
}

/** Inserts `rows` rows into each table; returns the tables left empty with the reason. */
export async function fillTables(client: pg.Client, tables: readonly ReplayTable[], rows: number): Promise<{ table: string; reason: string }[]> {
  const skipped: { table: string; reason: string }[] = [];
  for (const table of tables) {
    const columns = (
      await client.query(
        `SELECT a.attname, format_type(a.atttypid, a.atttypmod) AS type, t.typcategory AS category, t.typname, a.attnotnull AS notnull,
                (a.atthasdef OR a.attidentity <> '' OR a.attgenerated <> '') AS skip
         FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
         WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
        [table.oid],
      )
    ).rows as ColumnRow[];
    const names: string[] = [];
    const values: string[] = [];
    let reason: string | undefined;
    for (const column of columns) {
      if (column.skip) continue;
      const value = valueFor(column);
      if (value === null) {
        reason = `no value for NOT NULL column ${column.attname} of type ${column.type}`;
        break;
      }
      names.push(quoteIdent(column.attname));
      values.push(value);
    }
    if (reason) {
      skipped.push({ table: table.name, reason });
      continue;
    }
    const target = `${table.oid}::regclass`;
    const relation = (await client.query(`SELECT ${target}::text AS name`)).rows[0].name as string;
    const sql =
      names.length === 0
        ? `INSERT INTO ${relation} SELECT FROM generate_series(1, ${rows}) AS g`
        : `INSERT INTO ${relation} (${names.join(", ")}) SELECT ${values.join(", ")} FROM generate_series(1, ${rows}) AS g`;
    try {
      await client.query(sql);
    } catch (error) {
      skipped.push({ table: table.name, reason: (error as Error).message });
    }
  }
  await client.query("ANALYZE");
  return skipped;
}

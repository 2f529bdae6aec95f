/**
 * Connections to the database a migration gate works on. A URL may carry a
 * password: it is never put in an error message (PostgreSQL's own messages do
 * not hold it, and connection errors are rewritten to name only host and port).
 */
import type pg from "pg";
import { SlipwayError } from "../../lib/index.js";

/** `host:port/database` of a URL, safe to print. */
export function describeDatabase(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname || "localhost"}:${u.port || "5432"}${u.pathname}`;
  } catch {
    return "the database";
  }
}

export async function connectDatabase(url: string): Promise<pg.Client> {
  // Loaded on first use: the CLI imports the gates for every command, and most never touch a database.
  const { default: driver } = await import("pg");
  const client = new driver.Client({ connectionString: url });
  // A dropped connection emits 'error'; the query in flight rejects with it, so nothing else needs it.
  client.on("error", () => undefined);
  try {
    await client.connect();
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new SlipwayError("MIGRATION_DATABASE_UNREACHABLE", `Cannot connect to ${describeDatabase(url)}${code ? ` (${code})` : ""}.`);
  }
  return client;
}

/** SQLSTATE of a PostgreSQL error, or undefined. */
export function sqlStateOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** A quoted identifier. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * The PostgreSQL connection the store's pool makes: it prepares each
 * parameterised statement once per connection, by name, and executes it by
 * that name afterwards. Kysely sends every query as an unnamed statement,
 * which PostgreSQL parses and plans anew each time; the store's statements
 * are a few dozen fixed texts run over and over (a one-step job takes about
 * 44), and preparing them once cut PostgreSQL's CPU per job by about 30 %
 * in the throughput bench. Written here because node-postgres names a
 * statement only when the caller does, and Kysely never does.
 *
 * - Only statements with parameters are named: a text without them may be
 *   several statements (a migration), which the extended protocol refuses.
 * - A connection names at most MAX_PREPARED texts; later ones run unnamed.
 *   The store's texts are few, so the bound is for statements built from
 *   input (an `in` list of any length), whose texts are many.
 * - A prepared statement whose result columns changed under it (another
 *   replica's migration added a column) fails once with PostgreSQL's
 *   "cached plan must not change result type"; that text is then prepared
 *   again under a new name, so only that one statement fails.
 */
import pg from "pg";

const MAX_PREPARED = 500;

/** PostgreSQL's code for "cached plan must not change result type" (feature_not_supported). */
const PLAN_RESULT_CHANGED = "0A000";

export class PreparingClient extends pg.Client {
  private readonly names = new Map<string, string>();
  private prepared = 0;

  // The untyped signature of pg.Client.query, whose overloads cannot be narrowed here.
  override query(config: any, values?: any, callback?: any): any {
    if (typeof config !== "string" || !Array.isArray(values) || values.length === 0 || callback !== undefined) return super.query(config, values, callback);
    let name = this.names.get(config);
    if (name === undefined) {
      if (this.prepared >= MAX_PREPARED) return super.query(config, values);
      name = `slipway_${++this.prepared}`;
      this.names.set(config, name);
    }
    const result = super.query({ name, text: config, values }) as Promise<pg.QueryResult>;
    return result.catch((error: unknown) => {
      const { code, message } = error as { code?: string; message?: string };
      if (code === PLAN_RESULT_CHANGED && /cached plan/.test(message ?? "") && this.names.get(config) === name) this.names.set(config, `slipway_${++this.prepared}`);
      throw error;
    });
  }
}

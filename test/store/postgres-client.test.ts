import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PreparingClient } from "../../src/store/index.js";
import { postgresAvailable, startPostgres, type PostgresCluster } from "../support/postgres.js";

describe.skipIf(!postgresAvailable())("the store's PostgreSQL connection", () => {
  let cluster: PostgresCluster;
  let url: string;
  const clients: pg.Client[] = [];
  beforeAll(async () => {
    cluster = (await startPostgres())!;
    url = await cluster.createDatabase();
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    await cluster?.stop();
  });
  async function connect(Client: typeof pg.Client = PreparingClient): Promise<pg.Client> {
    const client = new Client({ connectionString: url });
    await client.connect();
    clients.push(client);
    return client;
  }
  const preparedTexts = async (client: pg.Client) => (await client.query("select statement from pg_prepared_statements order by statement")).rows.map((r: { statement: string }) => r.statement);

  it("prepares a statement with parameters once and runs it by name after that", async () => {
    const client = await connect();
    for (let i = 0; i < 3; i++) expect((await client.query("select $1::int + 1 as n", [i])).rows).toEqual([{ n: i + 1 }]);
    expect((await client.query("select $1::text as s", ["x"])).rows).toEqual([{ s: "x" }]);
    expect(await preparedTexts(client)).toEqual(["select $1::int + 1 as n", "select $1::text as s"]);
  });

  it("runs a text without parameters as it is, several statements included", async () => {
    const client = await connect();
    await client.query("create table several (a int); insert into several values (1); insert into several values (2)", []);
    expect((await client.query("select count(*)::int as n from several")).rows).toEqual([{ n: 2 }]);
    expect(await preparedTexts(client)).toEqual([]);
  });

  it("prepares a bounded number of texts and runs the rest unnamed", async () => {
    const client = await connect();
    for (let i = 0; i < 520; i++) expect((await client.query(`select $1::int + ${i} as n`, [1])).rows[0].n).toBe(i + 1);
    expect((await preparedTexts(client)).length).toBe(500);
  });

  it("prepares a statement again after another connection changed its result's columns, failing it only once", async () => {
    const client = await connect();
    const other = await connect(pg.Client);
    await other.query("create table changing (a int)");
    await other.query("insert into changing values (1)");
    const read = () => client.query("select * from changing where a = $1", [1]);
    expect((await read()).rows).toEqual([{ a: 1 }]);
    await other.query("alter table changing add column b text default 'new'");
    await expect(read()).rejects.toMatchObject({ code: "0A000" });
    expect((await read()).rows).toEqual([{ a: 1, b: "new" }]);
    expect((await read()).rows).toEqual([{ a: 1, b: "new" }]);
  });
});

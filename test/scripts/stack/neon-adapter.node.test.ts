// The Neon HTTP adapter itself, spoken to as the Neon serverless driver does.
import { describe, expect, it } from "vitest";
import { postgres } from "../../../scripts/stack/config.ts";
import { testDatabaseUrl } from "../../support/stack-env.ts";

const sql = async (body: unknown, headers: Record<string, string> = {}) => {
  const res = await fetch(postgres.fetchEndpoint, {
    method: "POST",
    headers: { "neon-connection-string": testDatabaseUrl, "neon-raw-text-output": "true", "neon-array-mode": "true", ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe("Neon HTTP adapter", () => {
  it("returns rows as arrays of Postgres text with field type ids", async () => {
    const r = await sql({ query: "select $1::int + 1 as n, $2::text as s, null::date as d, array[1,2] as a", params: ["41", "x"] });
    expect(r.status).toBe(200);
    expect(r.body.rows).toEqual([["42", "x", null, "{1,2}"]]);
    expect((r.body.fields as { name: string; dataTypeID: number }[]).map((f) => [f.name, f.dataTypeID])).toEqual([
      ["n", 23],
      ["s", 25],
      ["d", 1082],
      ["a", 1007],
    ]);
  });

  it("answers Postgres errors with 400 and the error's fields", async () => {
    const r = await sql({ query: "select 1/0", params: [] });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code: "22012", message: expect.stringMatching(/division by zero/) });
  });

  it("runs a batch in one transaction with the requested mode, rolling all of it back on failure", async () => {
    const table = `adapter_${crypto.randomUUID().replaceAll("-", "")}`;
    expect((await sql({ query: `create table ${table} (v int primary key)`, params: [] })).status).toBe(200);
    const failed = await sql({
      queries: [
        { query: `insert into ${table} values (1)`, params: [] },
        { query: `insert into ${table} values (1)`, params: [] },
      ],
    });
    expect(failed.status).toBe(400);
    expect(failed.body.code).toBe("23505");
    expect((await sql({ query: `select count(*) from ${table}`, params: [] })).body.rows).toEqual([["0"]]);

    const iso = await sql(
      {
        queries: [
          { query: "show transaction_isolation", params: [] },
          { query: "show transaction_read_only", params: [] },
        ],
      },
      { "neon-batch-isolation-level": "Serializable", "neon-batch-read-only": "true" },
    );
    expect((iso.body.results as { rows: string[][] }[]).map((x) => x.rows[0]?.[0])).toEqual(["serializable", "on"]);
    await sql({ query: `drop table ${table}`, params: [] });
  });

  it("requires the connection string header", async () => {
    const res = await fetch(postgres.fetchEndpoint, { method: "POST", body: JSON.stringify({ query: "select 1", params: [] }) });
    expect(res.status).toBe(400);
  });
});

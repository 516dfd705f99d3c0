// Speaks the Neon serverless driver's HTTP protocol (POST /sql) in front of a real Postgres, so
// drizzle-orm/neon-http runs unchanged against it. A single query is {query, params}; a batch
// is {queries: [...]} and runs in one transaction with the isolation/read-only/deferrable
// headers the driver sends; any failure rolls the whole batch back. Rows travel as arrays of
// Postgres text output (`Neon-Raw-Text-Output`), parsed by the driver with the type ids we send.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import pg from "pg";

type Q = { query: string; params?: (string | null)[] };
const PG_ERROR_FIELDS = [
  "severity",
  "code",
  "detail",
  "hint",
  "position",
  "internalPosition",
  "internalQuery",
  "where",
  "schema",
  "table",
  "column",
  "dataType",
  "constraint",
  "file",
  "line",
  "routine",
] as const;
const ISOLATION: Record<string, string> = {
  ReadUncommitted: "READ UNCOMMITTED",
  ReadCommitted: "READ COMMITTED",
  RepeatableRead: "REPEATABLE READ",
  Serializable: "SERIALIZABLE",
};
// Return every value as Postgres text; the driver applies its own parsers by dataTypeID.
const rawTypes = { getTypeParser: () => (v: string) => v };

export interface NeonAdapterOptions {
  port: number;
  host?: string;
  /** Where the connection strings' hosts actually live (the adapter may sit elsewhere). */
  pgHost?: string;
  pgPort?: number;
}

export function createNeonAdapter(opts: NeonAdapterOptions) {
  const pools = new Map<string, pg.Pool>();
  const poolFor = (connectionString: string): pg.Pool => {
    let p = pools.get(connectionString);
    if (!p) {
      const u = new URL(connectionString);
      p = new pg.Pool({
        host: opts.pgHost ?? u.hostname,
        port: opts.pgPort ?? Number(u.port || 5432),
        user: decodeURIComponent(u.username),
        password: decodeURIComponent(u.password),
        database: u.pathname.replace(/^\//, "") || "postgres",
        max: 20,
        idleTimeoutMillis: 10_000,
        connectionTimeoutMillis: 3_000,
      });
      p.on("error", () => {}); // idle client died (server restarted): the pool replaces it
      pools.set(connectionString, p);
    }
    return p;
  };

  const shape = (r: pg.QueryResult<unknown[]>) => ({
    fields: r.fields.map((f) => ({
      name: f.name,
      dataTypeID: f.dataTypeID,
      tableID: f.tableID,
      columnID: f.columnID,
      dataTypeSize: f.dataTypeSize,
      dataTypeModifier: f.dataTypeModifier,
      format: "text",
    })),
    command: r.command,
    rowCount: r.rowCount,
    rows: r.rows,
    rowAsArray: true,
  });

  const exec = (c: pg.PoolClient, q: Q) => c.query<unknown[]>({ text: q.query, values: q.params ?? [], rowMode: "array", types: rawTypes });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    const url = new URL(req.url ?? "/", "http://x");
    if (req.method !== "POST" || url.pathname !== "/sql") return send(404, { message: "not found" });
    const conn = req.headers["neon-connection-string"];
    if (typeof conn !== "string") return send(400, { message: "missing Neon-Connection-String header" });
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let body: Q | { queries: Q[] };
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch {
      return send(400, { message: "request body is not JSON" });
    }

    let client: pg.PoolClient;
    try {
      client = await poolFor(conn).connect();
    } catch (e) {
      // Postgres is down: Neon's proxy answers with a non-400 status and a text body.
      return send(503, { message: `could not connect to postgres: ${(e as Error).message}` });
    }
    let broken = false;
    try {
      if ("queries" in body) {
        const iso = ISOLATION[String(req.headers["neon-batch-isolation-level"] ?? "")];
        const ro = req.headers["neon-batch-read-only"] === "true";
        const deferrable = req.headers["neon-batch-deferrable"] === "true";
        const mode = [iso ? `ISOLATION LEVEL ${iso}` : "", ro ? "READ ONLY" : "", deferrable ? "DEFERRABLE" : ""].filter(Boolean).join(" ");
        await client.query(`BEGIN ${mode}`);
        try {
          const results = [];
          for (const q of body.queries) results.push(shape(await exec(client, q)));
          await client.query("COMMIT");
          return send(200, { results });
        } catch (e) {
          await client.query("ROLLBACK").catch(() => {
            broken = true;
          });
          throw e;
        }
      }
      return send(200, shape(await exec(client, body)));
    } catch (e) {
      const err = e as Error & Record<string, unknown>;
      if (typeof err.code !== "string") broken = true; // connection-level failure
      const out: Record<string, unknown> = { message: err.message };
      for (const f of PG_ERROR_FIELDS) if (err[f] !== undefined) out[f] = err[f];
      return send(typeof err.code === "string" ? 400 : 503, out);
    } finally {
      client.release(broken);
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ message: (e as Error).message }));
    });
  });
  server.keepAliveTimeout = 60_000;
  return {
    server,
    listen: () => new Promise<void>((r) => server.listen(opts.port, opts.host ?? "127.0.0.1", () => r())),
    close: async () => {
      await new Promise<void>((r) => server.close(() => r()));
      await Promise.all([...pools.values()].map((p) => p.end()));
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const port = Number(process.env.PORT);
  if (!port) throw new Error("PORT is required");
  const pgPort = process.env.PG_PORT ? Number(process.env.PG_PORT) : undefined;
  const a = createNeonAdapter({ port, pgHost: "127.0.0.1", ...(pgPort ? { pgPort } : {}) });
  await a.listen();
  console.log(JSON.stringify({ msg: "neon http adapter listening", port, pgPort }));
}

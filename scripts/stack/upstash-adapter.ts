// Speaks the Upstash Redis REST protocol in front of a real redis-server, so @upstash/redis and
// @upstash/ratelimit run unchanged against it: POST / (one command), /pipeline, /multi-exec
// (atomic), bearer token on every path, `Upstash-Encoding: base64`, Upstash's error shape.
// @upstash/ratelimit sends scripts starting with `#!lua flags=allow-key-locking`, which real
// Redis rejects; the flag is stripped and EVALSHA keeps working by the original script's sha.
// Like Upstash, where each database has its own REST token, every token here names one logical
// Redis database: development and the tests each get their own keyspace from one redis-server.
import { createHash, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { type Reply, ReplyError, RespPool } from "./resp.ts";

const SHEBANG = /^#!lua[^\n]*\n/;
const SHA_MAP_KEY = "__moviesnow_upstash_adapter:sha";
/** Commands that reach past the token's own database; Upstash refuses them too. */
const CROSS_DATABASE = new Set(["SELECT", "SWAPDB", "MOVE", "FLUSHALL"]);

type Cmd = (string | number | boolean | null)[];
type Result = { result: unknown } | { error: string };

export interface UpstashAdapterOptions {
  port: number;
  redisPort: number;
  /** Bearer token → the logical Redis database (SELECT index) it reaches. */
  databases: Record<string, number>;
  host?: string;
}

/** One database of the adapter: its token, its Redis connections and its script sha map. */
interface Database {
  expected: Buffer;
  pool: RespPool;
  shaMap: Map<string, string>;
}

const sha1 = (s: string | Buffer) => createHash("sha1").update(s).digest("hex");

export function createUpstashAdapter(opts: UpstashAdapterOptions) {
  const databases: Database[] = Object.entries(opts.databases).map(([token, db]) => ({
    expected: Buffer.from(`Bearer ${token}`),
    pool: new RespPool(opts.redisPort, "127.0.0.1", db),
    shaMap: new Map<string, string>(), // original sha → sha of the stripped script
  }));

  /** The database the request's token opens; every token is compared, so timing tells nothing. */
  const authorised = (req: IncomingMessage): Database | undefined => {
    const got = Buffer.from(String(req.headers.authorization ?? ""));
    let found: Database | undefined;
    for (const d of databases) if (got.length === d.expected.length && timingSafeEqual(got, d.expected)) found = d;
    return found;
  };

  /** Rewrites script commands; returns the args to send to Redis. */
  async function rewrite(cmd: Cmd, db: Database): Promise<(string | Buffer)[]> {
    const args = cmd.map((a) => (a === null ? "" : String(a)));
    const name = (args[0] ?? "").toUpperCase();
    if ((name === "EVAL" || name === "EVAL_RO") && args[1] !== undefined && SHEBANG.test(args[1])) {
      const original = args[1];
      const stripped = original.replace(SHEBANG, "");
      await remember(db, sha1(original), sha1(stripped));
      args[1] = stripped;
    } else if (name === "SCRIPT" && (args[1] ?? "").toUpperCase() === "LOAD" && args[2] !== undefined && SHEBANG.test(args[2])) {
      const original = args[2];
      const stripped = original.replace(SHEBANG, "");
      await remember(db, sha1(original), sha1(stripped));
      args[2] = stripped;
    } else if ((name === "EVALSHA" || name === "EVALSHA_RO") && args[1] !== undefined) {
      args[1] = (await lookup(db, args[1].toLowerCase())) ?? args[1];
    }
    return args;
  }

  async function remember({ pool, shaMap }: Database, original: string, stripped: string): Promise<void> {
    if (shaMap.get(original) === stripped) return;
    shaMap.set(original, stripped);
    // Kept in Redis too, so a restarted adapter still maps EVALSHA of scripts loaded earlier.
    await pool.with((c) => c.send([["HSET", SHA_MAP_KEY, original, stripped]]));
  }
  async function lookup({ pool, shaMap }: Database, original: string): Promise<string | undefined> {
    const hit = shaMap.get(original);
    if (hit) return hit;
    const [r] = await pool.with((c) => c.send([["HGET", SHA_MAP_KEY, original]]));
    if (Buffer.isBuffer(r)) {
      const s = r.toString("utf8");
      shaMap.set(original, s);
      return s;
    }
    return undefined;
  }

  // SCRIPT LOAD answers the sha of what Redis stored; clients expect the sha of what they sent.
  const fixScriptLoad = (cmd: Cmd, reply: Reply): Reply => {
    if (String(cmd[0]).toUpperCase() === "SCRIPT" && String(cmd[1]).toUpperCase() === "LOAD" && typeof cmd[2] === "string") {
      return sha1(cmd[2]);
    }
    return reply;
  };

  const toJson = (r: Reply, b64: boolean): unknown => {
    if (r === null || typeof r === "number") return r;
    if (Buffer.isBuffer(r)) return b64 ? r.toString("base64") : r.toString("utf8");
    if (Array.isArray(r)) return r.map((x) => toJson(x, b64));
    if (r instanceof ReplyError) return r.message;
    // Simple strings: Upstash sends "OK" as is and base64-encodes the others.
    return b64 && r !== "OK" ? Buffer.from(r).toString("base64") : r;
  };
  const one = (r: Reply, b64: boolean): Result => (r instanceof ReplyError ? { error: r.message } : { result: toJson(r, b64) });

  const isCmd = (v: unknown): v is Cmd =>
    Array.isArray(v) && v.length > 0 && v.every((x) => x === null || ["string", "number", "boolean"].includes(typeof x));

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    const db = authorised(req);
    if (!db) return send(401, { error: "Unauthorized" });
    const { pool } = db;
    const url = new URL(req.url ?? "/", "http://x");
    const b64 = String(req.headers["upstash-encoding"] ?? "").toLowerCase() === "base64";
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString("utf8");

    let body: unknown;
    if (req.method === "POST" && raw.length > 0) {
      try {
        body = JSON.parse(raw);
      } catch {
        return send(400, { error: "ERR failed to parse command" });
      }
    } else {
      // GET /set/key/value style: path segments are the command.
      const segs = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
      body = segs;
    }

    const crossing = (Array.isArray(body) && Array.isArray(body[0]) ? body : [body])
      .map((c) => (Array.isArray(c) ? String(c[0] ?? "").toUpperCase() : ""))
      .find((n) => CROSS_DATABASE.has(n));
    if (crossing) return send(400, { error: `ERR Command is not allowed: ${crossing.toLowerCase()}` });

    try {
      if (url.pathname === "/pipeline" || url.pathname === "/multi-exec") {
        if (!Array.isArray(body) || body.length === 0 || !body.every(isCmd)) {
          return send(400, { error: "ERR pipeline body must be a non-empty array of commands" });
        }
        const cmds = body as Cmd[];
        const args = await Promise.all(cmds.map((c) => rewrite(c, db)));
        if (url.pathname === "/pipeline") {
          const replies = await pool.with((c) => c.send(args));
          return send(
            200,
            replies.map((r, i) => one(fixScriptLoad(cmds[i] as Cmd, r), b64)),
          );
        }
        const replies = await pool.with((c) => c.send([["MULTI"], ...args, ["EXEC"]]));
        const queued = replies.slice(1, -1);
        const queueErr = queued.find((r) => r instanceof ReplyError);
        const exec = replies[replies.length - 1];
        if (queueErr instanceof ReplyError) return send(400, { error: queueErr.message });
        if (exec instanceof ReplyError) return send(400, { error: exec.message });
        if (!Array.isArray(exec)) return send(400, { error: "ERR transaction aborted" });
        return send(
          200,
          exec.map((r, i) => one(fixScriptLoad(cmds[i] as Cmd, r), b64)),
        );
      }
      if (!isCmd(body)) return send(400, { error: "ERR command must be a non-empty JSON array" });
      const [reply] = await pool.with(async (c) => c.send([await rewrite(body as Cmd, db)]));
      const r = fixScriptLoad(body as Cmd, reply ?? null);
      return r instanceof ReplyError ? send(400, { error: r.message }) : send(200, { result: toJson(r, b64) });
    } catch (e) {
      // Redis unreachable: a server-side error, as Upstash answers when its backend is down.
      return send(503, { error: `ERR redis unavailable: ${(e as Error).message}` });
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: `ERR ${(e as Error).message}` }));
    });
  });
  server.keepAliveTimeout = 60_000;
  return {
    server,
    listen: () => new Promise<void>((r) => server.listen(opts.port, opts.host ?? "127.0.0.1", () => r())),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const port = Number(process.env.PORT);
  const redisPort = Number(process.env.REDIS_PORT);
  // UPSTASH_DATABASES: a JSON object of token → database index.
  const databases = JSON.parse(process.env.UPSTASH_DATABASES ?? "{}") as Record<string, number>;
  if (!port || !redisPort || Object.keys(databases).length === 0) throw new Error("PORT, REDIS_PORT and UPSTASH_DATABASES are required");
  const a = createUpstashAdapter({ port, redisPort, databases });
  await a.listen();
  console.log(JSON.stringify({ msg: "upstash adapter listening", port, redisPort, databases: Object.values(databases) }));
}

// bench/http-load: HTTP load (autocannon) against the Worker under wrangler dev on the local
// stack: /health as the ceiling, the catalog list from the edge cache and past it, a title's
// detail, download-url and a batch of 50. Requests/s and p50/p99 latency, each also as a ratio
// to the ceiling. Limits are lifted: this measures the service, not its rate limiter.
//   npm run bench:http [-- --seconds 10 --connections 32]
import { randomUUID } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import autocannon from "autocannon";
import { stackStatus, stackUp } from "../scripts/stack/index.ts";
import { pseudoBytes } from "../test/support/bytes.ts";
import { adminOverHttp, adminWorkerVars } from "../test/support/http-admin.ts";
import { startHttpWorker } from "../test/support/http-worker.ts";
import { arg } from "./lib.ts";

const seconds = Number(arg("seconds", "10"));
const connections = Number(arg("connections", "32"));
const root = resolve(import.meta.dirname, "..");
const ADMIN_KEY = `bench-${randomUUID()}`;

if (!Object.values(await stackStatus()).every((s) => s.up)) await stackUp({ quiet: true });
const worker = await startHttpWorker(adminWorkerVars(ADMIN_KEY));

const admin = adminOverHttp(worker.api, ADMIN_KEY);

interface Row {
  name: string;
  requests_per_s: number;
  p50_ms: number;
  p99_ms: number;
  non_2xx: number;
  errors: number;
  vs_ceiling?: number;
}

async function load(name: string, opts: Partial<autocannon.Options>): Promise<Row> {
  process.stderr.write(`[bench] http: ${name}\n`);
  const r = await autocannon({ url: worker.api.replace(/\/api\/v1$/, ""), connections, duration: seconds, ...opts });
  return {
    name,
    requests_per_s: r.requests.average,
    p50_ms: r.latency.p50,
    p99_ms: r.latency.p99,
    non_2xx: r.non2xx,
    errors: r.errors + r.timeouts,
  };
}

try {
  // A published movie with 50 downloadable files, so a batch of 50 signs real keys.
  const t = await admin<{ id: string }>("POST", "/admin/titles", { kind: "movie", name: `Bench ${randomUUID()}` });
  const keys: string[] = [];
  for (let i = 0; i < 50; i++) {
    const bytes = pseudoBytes(1024, i + 1);
    const c = await admin<{ asset: { storage_key: string }; upload: { url: string; headers: Record<string, string> } }>(
      "POST",
      `/admin/titles/${t.id}/assets`,
      { kind: "DOWNLOAD", filename: `part-${i}.mp4`, size_bytes: bytes.length },
    );
    const put = await fetch(c.upload.url, { method: "PUT", body: bytes, headers: c.upload.headers });
    await put.body?.cancel();
    keys.push(c.asset.storage_key);
  }
  await admin("POST", `/admin/titles/${t.id}/publish?force=true`);
  const list = "/api/v1/titles?limit=20";
  const warm = await fetch(`${worker.api.replace(/\/api\/v1$/, "")}${list}`);
  await warm.body?.cancel();
  const json = { "content-type": "application/json" };
  let miss = 0;

  const rows: Row[] = [
    await load("GET /health (ceiling)", { requests: [{ method: "GET", path: "/api/v1/health" }] }),
    await load("GET /titles (edge-cache hit)", { requests: [{ method: "GET", path: list }] }),
    await load("GET /titles (cache miss: a new search each time)", {
      requests: [{ method: "GET", setupRequest: (req) => ({ ...req, path: `/api/v1/titles?q=bench-${miss++}` }) }],
    }),
    await load("GET /titles/{id} (detail)", { requests: [{ method: "GET", path: `/api/v1/titles/${t.id}` }] }),
    await load("POST /delivery/download-url", {
      requests: [{ method: "POST", path: "/api/v1/delivery/download-url", headers: json, body: JSON.stringify({ storage_key: keys[0] }) }],
    }),
    await load("POST /delivery/batch-download-urls (50)", {
      requests: [
        {
          method: "POST",
          path: "/api/v1/delivery/batch-download-urls",
          headers: json,
          body: JSON.stringify({ items: keys.map((k) => ({ storage_key: k })) }),
        },
      ],
    }),
  ];
  const ceiling = rows[0]?.requests_per_s ?? 1;
  for (const r of rows) r.vs_ceiling = r.requests_per_s / ceiling;

  console.log(`\nHTTP load on wrangler dev (autocannon, ${connections} connections, ${seconds} s each, node ${process.version})`);
  console.log("| endpoint | req/s | × ceiling | p50 ms | p99 ms | non-2xx | errors |");
  console.log("|---|---|---|---|---|---|---|");
  for (const r of rows) {
    console.log(
      `| ${r.name} | ${r.requests_per_s.toFixed(0)} | ${(r.vs_ceiling ?? 0).toFixed(2)} | ${r.p50_ms} | ${r.p99_ms} | ${r.non_2xx} | ${r.errors} |`,
    );
  }
  console.log("target: catalog hit ≥ 0.50 × ceiling");
  const out = resolve(root, ".local/bench");
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, "http.json"), `${JSON.stringify({ at: new Date().toISOString(), connections, seconds, rows }, null, 2)}\n`);
} finally {
  await worker.stop();
}

// bench/http-load: HTTP load (autocannon) against the Worker on wrangler's local runtime on the local
// stack: /health as the ceiling, the catalog list from the edge cache and past it, a title's
// detail, download-url and a batch of 50. Requests/s and p50/p99 latency, each also as a ratio
// to the ceiling, and the origin round trips one warm request of each makes (from its
// Server-Timing). Limits are lifted: this measures the service, not its rate limiter.
// --origin-rtt MS puts a delay proxy on loopback in front of Postgres (the Neon HTTP adapter),
// Redis (the Upstash adapter) and S3, adding that round-trip time to each call: what a colo far
// from the origins sees.
//   npm run bench:http [-- --seconds 10 --connections 32 --origin-rtt 50]
import { randomUUID } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import autocannon from "autocannon";
import { postgres, redis, s3Env } from "../scripts/stack/config.ts";
import { stackStatus, stackUp } from "../scripts/stack/index.ts";
import { pseudoBytes } from "../test/support/bytes.ts";
import { type FaultProxy, startFaultProxy } from "../test/support/fault-proxy.ts";
import { adminOverHttp, adminWorkerVars } from "../test/support/http-admin.ts";
import { startHttpWorker } from "../test/support/http-worker.ts";
import { arg, workerdProcesses } from "./lib.ts";

const seconds = Number(arg("seconds", "10"));
const connections = Number(arg("connections", "32"));
const originRtt = Number(arg("origin-rtt", "0"));
const root = resolve(import.meta.dirname, "..");
const ADMIN_KEY = `bench-${randomUUID()}`;

if (!Object.values(await stackStatus()).every((s) => s.up)) await stackUp({ quiet: true });
const proxies: FaultProxy[] = [];
/** `url` reached through a proxy that holds every request for the origin round-trip time first. */
async function far(url: string): Promise<string> {
  if (originRtt <= 0) return url;
  const u = new URL(url);
  const proxy = await startFaultProxy(u.origin, () => ({ kind: "delay", ms: originRtt }));
  proxies.push(proxy);
  return `${proxy.url}${u.pathname === "/" ? "" : u.pathname}${u.search}`;
}
// Without wrangler dev's DevTools inspector: it relays four events per subrequest through a second
// workerd and Node, about 3 ms of CPU per subrequest on this machine that production does not spend.
const worker = await startHttpWorker(
  adminWorkerVars(ADMIN_KEY, {
    NEON_FETCH_ENDPOINT: await far(postgres.fetchEndpoint),
    UPSTASH_REDIS_REST_URL: await far(redis.restUrl),
    S3_ENDPOINT: await far(s3Env.S3_ENDPOINT),
  }),
  { devtools: false },
);

const admin = adminOverHttp(worker.api, ADMIN_KEY);

interface Row {
  name: string;
  /** Origin round trips of one warm request, from its Server-Timing (e.g. "redis 1, db 1"). */
  origin_trips: string;
  /** Median Server-Timing total of one request alone (no load). */
  worker_ms: number;
  /** Median latency the client sees for one request alone (no load): what one far viewer gets. */
  alone_p50_ms: number;
  /** workerd CPU per request under the load (background work included). */
  cpu_ms_per_request: number;
  requests_per_s: number;
  p50_ms: number;
  p99_ms: number;
  non_2xx: number;
  errors: number;
  vs_ceiling?: number;
}

/**
 * CPU time (ms) workerd has used so far: user + system of every workerd process in the Worker's
 * process group, from /proc (clock ticks of 10 ms). Per request it is the Worker's CPU cost,
 * background work included, which workerd's own timers can't show (they stand still during CPU).
 */
function workerdCpuMs(): number {
  return workerdProcesses(worker.processGroup).reduce((sum, p) => sum + p.cpuMs, 0);
}

/**
 * The origins one more request of the kind just measured waits on (warm: after the load), and the
 * median time the Worker spends on one such request alone (Server-Timing "total", 15 in a row).
 */
async function tripsOf(req: {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
}): Promise<{ trips: string; workerMs: number; p50Ms: number }> {
  const totals: number[] = [];
  const latencies: number[] = [];
  let trips = "none";
  for (let i = 0; i < 15; i++) {
    const t0 = performance.now();
    // "{fresh}" in a path becomes a new value each time (a search nobody made yet).
    const res = await fetch(`${worker.api.replace(/\/api\/v1$/, "")}${req.path?.replace("{fresh}", randomUUID())}`, {
      method: req.method,
      headers: req.headers,
      body: req.body,
    });
    await res.arrayBuffer();
    latencies.push(performance.now() - t0);
    const counts = new Map<string, number>();
    for (const e of (res.headers.get("server-timing") ?? "").split(", ")) {
      const [origin = "", dur = ""] = e.split(";dur=");
      if (origin === "total") totals.push(Number(dur));
      else if (origin) counts.set(origin, (counts.get(origin) ?? 0) + 1);
    }
    if (i === 0) trips = counts.size ? [...counts].map(([o, n]) => `${o} ${n}`).join(", ") : "none";
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
  return { trips, workerMs: median(totals), p50Ms: median(latencies) };
}

async function load(name: string, opts: Partial<autocannon.Options>, probe?: Parameters<typeof tripsOf>[0]): Promise<Row> {
  process.stderr.write(`[bench] http: ${name}\n`);
  const cpu0 = workerdCpuMs();
  const r = await autocannon({ url: worker.api.replace(/\/api\/v1$/, ""), connections, duration: seconds, ...opts });
  const cpuMs = workerdCpuMs() - cpu0;
  const first = (opts.requests?.[0] ?? {}) as Parameters<typeof tripsOf>[0];
  const alone = await tripsOf(probe ?? first);
  return {
    name,
    origin_trips: alone.trips,
    worker_ms: alone.workerMs,
    alone_p50_ms: alone.p50Ms,
    cpu_ms_per_request: cpuMs / Math.max(1, r.requests.total),
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
    const c = await admin<{ asset: { id: string; storage_key: string }; upload: { url: string; headers: Record<string, string> } }>(
      "POST",
      `/admin/titles/${t.id}/assets`,
      { kind: "DOWNLOAD", filename: `part-${i}.mp4`, size_bytes: bytes.length },
    );
    const put = await fetch(c.upload.url, { method: "PUT", body: bytes, headers: c.upload.headers });
    await put.body?.cancel();
    // Confirmed in the bucket, as an operator does: only then is a file offered for download.
    await admin("GET", `/admin/assets/${c.asset.id}/head`);
    keys.push(c.asset.storage_key);
  }
  // One 720p tier of a 20-minute film (300 segments of 4 s), so the playlists are measured too.
  const SEGMENTS = 300;
  const media = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-TARGETDURATION:4", "#EXT-X-PLAYLIST-TYPE:VOD"];
  for (let i = 0; i < SEGMENTS; i++) media.push("#EXTINF:4.000,", `seg_${String(i).padStart(5, "0")}.ts`);
  media.push("#EXT-X-ENDLIST", "");
  const playlist = new TextEncoder().encode(media.join("\n"));
  const tier = await admin<{ asset: { id: string } }>("POST", `/admin/titles/${t.id}/assets`, {
    kind: "HLS",
    filename: "index.m3u8",
    size_bytes: playlist.length,
    content_type: "application/vnd.apple.mpegurl",
    stream_tier: 720,
    is_streamable: true,
  });
  const paths = ["index.m3u8", ...Array.from({ length: SEGMENTS }, (_, i) => `seg_${String(i).padStart(5, "0")}.ts`)];
  const { files } = await admin<{ files: { path: string; url: string; headers: Record<string, string> }[] }>(
    "POST",
    `/admin/assets/${tier.asset.id}/files`,
    { paths },
  );
  for (let i = 0; i < files.length; i += 16) {
    await Promise.all(
      files.slice(i, i + 16).map(async (f) => {
        const body = f.path === "index.m3u8" ? playlist : pseudoBytes(2048, i + 1);
        const put = await fetch(f.url, { method: "PUT", body, headers: f.headers });
        await put.body?.cancel();
        if (put.status !== 200) throw new Error(`PUT ${f.path}: ${put.status}`);
      }),
    );
  }
  const sha256 = Buffer.from(await crypto.subtle.digest("SHA-256", playlist)).toString("hex");
  await admin("POST", `/admin/assets/${tier.asset.id}/finalize`, {
    size_bytes: playlist.length,
    content_type: "application/vnd.apple.mpegurl",
    sha256,
  });
  await admin("POST", `/admin/titles/${t.id}/publish?force=true`);
  const streams = await admin<{ master_url: string }>("GET", `/titles/${t.id}/streams`);
  const pathOf = (u: string) => {
    const url = new URL(u);
    return `${url.pathname}${url.search}`;
  };
  const masterPath = pathOf(streams.master_url);
  const masterBody = await (await fetch(`${worker.api.replace(/\/api\/v1$/, "")}${masterPath}`)).text();
  const tierUrl = masterBody.split("\n").find((l) => l.startsWith("http"));
  if (!tierUrl) throw new Error(`the master playlist names no tier: ${masterBody}`);
  const tierPath = pathOf(tierUrl);
  const list = "/api/v1/titles?limit=20";
  // A read is stored in the edge cache at its second miss.
  for (let i = 0; i < 2; i++) {
    const warm = await fetch(`${worker.api.replace(/\/api\/v1$/, "")}${list}`);
    await warm.body?.cancel();
  }
  const json = { "content-type": "application/json" };
  let miss = 0;
  let twice = 0;

  // A benchmark of refusals measures nothing: every request measured must succeed once.
  const check = await fetch(`${worker.api}/delivery/download-url`, {
    method: "POST",
    headers: json,
    body: JSON.stringify({ storage_key: keys[0] }),
  });
  if (check.status !== 200) throw new Error(`download-url answers ${check.status} before the run: ${await check.text()}`);
  await check.body?.cancel();

  const rows: Row[] = [
    await load("GET /health (ceiling)", { requests: [{ method: "GET", path: "/api/v1/health" }] }),
    await load("GET /titles (edge-cache hit)", { requests: [{ method: "GET", path: list }] }),
    await load(
      "GET /titles (cache miss: a new search each time)",
      { requests: [{ method: "GET", setupRequest: (req) => ({ ...req, path: `/api/v1/titles?q=bench-${miss++}` }) }] },
      { method: "GET", path: "/api/v1/titles?q=bench-probe-{fresh}" },
    ),
    // Each new search asked twice: its second miss writes the edge cache (half the requests).
    await load(
      "GET /titles (cache miss: each new search twice, the second stores it)",
      {
        requests: [{ method: "GET", setupRequest: (req) => ({ ...req, path: `/api/v1/titles?q=bench-twice-${Math.floor(twice++ / 2)}` }) }],
      },
      { method: "GET", path: "/api/v1/titles?q=bench-probe-{fresh}" },
    ),
    await load("GET /titles/{id} (detail)", { requests: [{ method: "GET", path: `/api/v1/titles/${t.id}` }] }),
    await load("GET master playlist", { requests: [{ method: "GET", path: masterPath }] }),
    await load(`GET tier playlist (${SEGMENTS} segments signed)`, { requests: [{ method: "GET", path: tierPath }] }),
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

  console.log(
    `\nHTTP load on wrangler dev (autocannon, ${connections} connections, ${seconds} s each, origin RTT ${originRtt} ms, node ${process.version})`,
  );
  console.log(
    "| endpoint | req/s | × ceiling | p50 ms | p99 ms | workerd CPU ms/req | origin trips (warm) | alone: p50 ms (Server-Timing total) | non-2xx | errors |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|---|");
  for (const r of rows) {
    console.log(
      `| ${r.name} | ${r.requests_per_s.toFixed(0)} | ${(r.vs_ceiling ?? 0).toFixed(2)} | ${r.p50_ms} | ${r.p99_ms} | ${r.cpu_ms_per_request.toFixed(2)} | ${r.origin_trips} | ${r.alone_p50_ms.toFixed(1)} (${r.worker_ms.toFixed(1)}) | ${r.non_2xx} | ${r.errors} |`,
    );
  }
  // The hot path's targets: ratios to the ceiling from this one run, and what one request alone
  // waits (the far-colo view, meaningful with --origin-rtt).
  const row = (part: string) => rows.find((r) => r.name.includes(part));
  const ratio = (part: string, min: number, trips?: string) => {
    const r = row(part);
    const met = (r?.vs_ceiling ?? 0) >= min && (trips === undefined || r?.origin_trips === trips);
    return {
      target: `${part} ≥ ${min.toFixed(2)} × ceiling${trips ? `, origin trips: ${trips}` : ""}`,
      value: `${(r?.vs_ceiling ?? 0).toFixed(2)}, ${r?.origin_trips}`,
      met,
    };
  };
  const alone = row("download-url")?.alone_p50_ms ?? Number.NaN;
  const targets = [
    ratio("edge-cache hit", 0.5, "none"),
    ratio("cache miss: a new search", 0.3, "db 1"),
    ratio("detail", 0.6, "none"),
    ratio("download-url", 0.6, "none"),
    ratio("batch-download-urls", 0.4, "none"),
    { target: `download-url alone: p50 ≤ 15 ms (origin RTT ${originRtt} ms)`, value: `${alone.toFixed(1)} ms`, met: alone <= 15 },
  ];
  console.log("");
  for (const t of targets) console.log(`target: ${t.target}: ${t.value} ${t.met ? "(met)" : "(NOT met)"}`);
  const out = resolve(root, ".local/bench");
  mkdirSync(out, { recursive: true });
  const file = originRtt > 0 ? `http-rtt-${originRtt}.json` : "http.json";
  writeFileSync(
    join(out, file),
    `${JSON.stringify({ at: new Date().toISOString(), connections, seconds, origin_rtt_ms: originRtt, rows, targets }, null, 2)}\n`,
  );
} finally {
  await worker.stop();
  for (const p of proxies) await p.close();
}

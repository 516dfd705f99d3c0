import type { Schemas } from "../client/index.ts";
import { problemText } from "./api.ts";
import { type Command, commandArgs, UsageError } from "./command.ts";

type Outcome = "ok" | "skip" | "fail";
interface Check {
  check: string;
  outcome: Outcome;
  detail: string;
  ms: number;
}
// The API's own shapes, from the generated client types. The checks use fetch itself: what they
// check is HTTP as users meet it (ETag and 304, redirects, storage answering a signed URL).
type Title = Schemas["Title"];
type Download = Schemas["Download"];

/** A check's verdict: throw to fail it, return a Skip to say there was nothing to check. */
class Skip {
  constructor(readonly reason: string) {}
}

export const smokeCommand: Command = {
  usage: `moviesnow smoke --api URL [--api-key KEY] [--timeout-ms 10000] [--json]

  Checks a deployed API without changing its catalog: /health, /ready (each dependency), a catalog
  page and its ETag revalidation (304), title detail, a presigned download of a published file
  and a ranged GET of its first bytes from storage, a stream's playlist, a season's bundle status.
  A check with nothing to look at (no series, no stream) is skipped. Exits 1 when a check failed.
  --api-key (or MOVIESNOW_PUBLIC_API_KEY) is sent as X-API-Key when the API requires one.

  Examples:
    moviesnow smoke --api https://api.moviesnow.example/api/v1
    moviesnow smoke --api http://127.0.0.1:8787/api/v1 --json`,
  async run(args) {
    const { values } = commandArgs(args, { "api-key": { type: "string" }, "timeout-ms": { type: "string", default: "10000" } });
    const base = (values.api ?? process.env.MOVIESNOW_API ?? "").replace(/\/$/, "");
    if (!base) throw new UsageError("smoke needs --api URL (…/api/v1) or MOVIESNOW_API");
    const timeoutMs = Number(values["timeout-ms"]);
    const apiKey = values["api-key"] ?? process.env.MOVIESNOW_PUBLIC_API_KEY;
    const checks = await runChecks(base, { timeoutMs, apiKey });
    if (values.json) console.log(JSON.stringify({ api: base, ok: checks.every((c) => c.outcome !== "fail"), checks }));
    else console.log(table(checks));
    return checks.some((c) => c.outcome === "fail") ? 1 : 0;
  },
};

async function runChecks(base: string, opts: { timeoutMs: number; apiKey: string | undefined }): Promise<Check[]> {
  const headers: Record<string, string> = opts.apiKey ? { "x-api-key": opts.apiKey } : {};
  const get = (url: string, extra: Record<string, string> = {}, init: RequestInit = {}) =>
    fetch(url, { ...init, headers: { ...headers, ...extra }, signal: AbortSignal.timeout(opts.timeoutMs), redirect: "manual" });
  const json = async <T>(res: Response, what: string): Promise<T> => {
    const text = await res.text();
    if (!res.ok) throw new Error(`${what}: ${res.status} ${problemText(text)}`);
    return JSON.parse(text) as T;
  };

  const out: Check[] = [];
  const check = async (name: string, fn: () => Promise<string | Skip>) => {
    const t0 = performance.now();
    try {
      const r = await fn();
      const ms = Math.round(performance.now() - t0);
      out.push(r instanceof Skip ? { check: name, outcome: "skip", detail: r.reason, ms } : { check: name, outcome: "ok", detail: r, ms });
    } catch (e) {
      out.push({ check: name, outcome: "fail", detail: errorText(e), ms: Math.round(performance.now() - t0) });
    }
  };

  await check("health", async () => {
    const h = await json<{ status: string }>(await get(`${base}/health`), "GET /health");
    return `status ${h.status}`;
  });
  await check("ready", async () => {
    const res = await get(`${base}/ready`);
    const text = await res.text();
    if (!res.ok) throw new Error(`${res.status} ${problemText(text)}`);
    const r = JSON.parse(text) as { checks?: Record<string, { ok?: boolean; ms?: number } | string> };
    return Object.keys(r.checks ?? {}).join(", ") || "ready";
  });

  let titles: Title[] = [];
  let catalogRead = false;
  await check("catalog", async () => {
    const res = await get(`${base}/titles?limit=50&sort=popularity`);
    const page = await json<{ items: Title[] }>(res, "GET /titles");
    titles = page.items;
    catalogRead = true;
    const etag = res.headers.get("etag");
    if (!etag) throw new Error("no ETag on a catalog page");
    const again = await get(`${base}/titles?limit=50&sort=popularity`, { "if-none-match": etag });
    await again.body?.cancel();
    if (again.status !== 304) throw new Error(`revalidation with its ETag answered ${again.status}, not 304`);
    return `${page.items.length} titles; ETag revalidates (304)`;
  });

  const first = titles[0];
  const noCatalog = () => new Skip("the catalog could not be read");
  await check("title detail", async () => {
    if (!catalogRead) return noCatalog();
    if (!first) return new Skip("the catalog has no published title");
    const t = await json<{ title: { name: string }; seasons: unknown[] }>(
      await get(`${base}/titles/${first.id}`),
      `GET /titles/${first.id}`,
    );
    if (t.title?.name !== first.name) throw new Error(`detail of ${first.id} is not the title the catalog listed`);
    return `${t.title.name} (${t.seasons.length} seasons)`;
  });

  await check("download", async () => {
    if (!catalogRead) return noCatalog();
    const file = await findDownload(titles, (id) =>
      get(`${base}/titles/${id}/downloads`).then((r) => json(r, `GET /titles/${id}/downloads`)),
    );
    if (!file) return new Skip("no published title has a downloadable file");
    const res = await get(
      `${base}/delivery/download-url`,
      { "content-type": "application/json" },
      { method: "POST", body: JSON.stringify({ storage_key: file.storage_key, ttl_seconds: 60 }) },
    );
    const signed = await json<{ url: string }>(res, "POST /delivery/download-url");
    // From storage itself (S3 or CloudFront), as a player would: the first KiB only.
    const bytes = await fetch(signed.url, { headers: { range: "bytes=0-1023" }, signal: AbortSignal.timeout(opts.timeoutMs) });
    const body = new Uint8Array(await bytes.arrayBuffer());
    if (bytes.status !== 206 && bytes.status !== 200) throw new Error(`storage answered ${bytes.status} for ${file.filename}`);
    if (body.length === 0) throw new Error(`storage sent no bytes of ${file.filename}`);
    return `${file.filename}: ${bytes.status}, ${body.length} bytes from ${new URL(signed.url).host}`;
  });

  await check("stream playlist", async () => {
    if (!catalogRead) return noCatalog();
    for (const t of titles.slice(0, 20)) {
      const streams = await json<{ items: { tier: number; playback_url: string }[] }>(
        await get(`${base}/titles/${t.id}/streams`),
        `GET /titles/${t.id}/streams`,
      );
      const s = streams.items[0];
      if (!s) continue;
      const res = await get(s.playback_url);
      const text = await res.text();
      if (!res.ok) throw new Error(`playlist of ${t.name} ${s.tier}p answered ${res.status}`);
      if (!text.startsWith("#EXTM3U")) throw new Error(`playlist of ${t.name} ${s.tier}p is not an M3U8 playlist`);
      return `${t.name} ${s.tier}p: ${text.split("\n").filter((l) => l && !l.startsWith("#")).length} entries`;
    }
    return new Skip("no published title has a stream");
  });

  await check("bundle status", async () => {
    if (!catalogRead) return noCatalog();
    const series = titles.find((t) => t.kind === "series");
    if (!series) return new Skip("the catalog has no published series");
    const detail = await json<{ seasons: { number: number }[] }>(await get(`${base}/titles/${series.id}`), `GET /titles/${series.id}`);
    const season = detail.seasons[0];
    if (!season) return new Skip(`${series.name} has no season`);
    const r = await json<{ status: { state: string } }>(
      await get(`${base}/delivery/bundle-status?title_id=${series.id}&season_number=${season.number}`),
      "GET /delivery/bundle-status",
    );
    return `${series.name} S${String(season.number).padStart(2, "0")}: ${r.status.state}`;
  });
  return out;
}

async function findDownload(
  titles: Title[],
  downloads: (id: string) => Promise<{ items: Download[]; seasons: { episodes: { items: Download[] }[] }[] }>,
): Promise<Download | null> {
  for (const t of titles.slice(0, 20)) {
    const d = await downloads(t.id);
    const all = [...d.items, ...d.seasons.flatMap((s) => s.episodes.flatMap((e) => e.items))];
    const file = all.find((f) => (f.size_bytes ?? 0) > 0);
    if (file) return file;
  }
  return null;
}

function errorText(e: unknown): string {
  const err = e as Error & { cause?: { code?: string; message?: string; errors?: { code?: string }[] } };
  if (err.name === "TimeoutError") return "no answer in time";
  // fetch's network errors carry the reason in their cause (an AggregateError for several addresses).
  const why = err.cause?.code ?? err.cause?.errors?.find((x) => x.code)?.code ?? err.cause?.message;
  return why ? `${err.message} (${why})` : err.message;
}

function table(checks: Check[]): string {
  const rows = checks.map((c) => [c.check, c.outcome.toUpperCase(), `${c.ms} ms`, c.detail]);
  const head = ["check", "result", "time", "detail"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => r.map((v, i) => (i === r.length - 1 ? v : v.padEnd(widths[i] ?? 0))).join("  ");
  const failed = checks.filter((c) => c.outcome === "fail").length;
  return [
    line(head),
    ...rows.map(line),
    "",
    failed ? `${failed} of ${checks.length} checks failed` : `all ${checks.length} checks passed or had nothing to check`,
  ].join("\n");
}

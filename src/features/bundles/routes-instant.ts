// /api/v1/delivery/instant-bundle/{title_id}/{season_number}: a season's ZIP streamed at once from the
// files in S3, byte for byte the archive a rebuild would store, with an exact Content-Length, a
// strong ETag, single byte ranges (resume, parallel download managers) and If-Range. The signed,
// expiring URL is handed out as instant_url by bundle-url, request-bundle and bundle-status.
import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import parseRange from "range-parser";
import * as z from "zod";
import type { AppEnv } from "../../http/context";
import { problemResponse } from "../../http/openapi";
import { createRouter } from "../../http/router";
import { clientNetwork } from "../../lib/client-network";
import { attachmentDisposition } from "../../lib/content-disposition";
import { AppError } from "../../lib/errors";
import { type Slice, slicePieces } from "../../lib/zip-pieces";
import type { ObjectStore } from "../../platform/s3";
import { underCatalogVersion } from "../catalog/catalog-version";
import { playbackSignature, verifyPlayback } from "../delivery/playback-urls";
import { STREAMS_RETRY_AFTER_SECONDS, type StreamLease, takeStream } from "./instant-streams";
import { type InstantArchive, instantArchive, instantPlannable } from "./instant-zip";
import { deliverableSeason } from "./season-service";
import { planSeason } from "./service";

const tags = ["public: delivery"];
const PATH = "/delivery/instant-bundle/{title_id}/{season_number}";
/** What the signature covers: this purpose, the title and the season (the key is playback URLs'). */
const subject = (titleId: string) => `season-zip:${titleId}`;

const zipHeaders = {
  "content-length": { schema: { type: "integer" as const }, description: "Exact: the whole archive, or the range" },
  "accept-ranges": { schema: { type: "string" as const }, description: "bytes" },
  etag: { schema: { type: "string" as const }, description: "Strong, from the archive's plan" },
  "last-modified": { schema: { type: "string" as const }, description: "The newest member's time" },
  "content-disposition": { schema: { type: "string" as const }, description: "attachment; {slug}-S01.zip" },
};
const binary = { "application/zip": { schema: z.string().meta({ format: "binary" }) } };

const seasonZip = createRoute({
  method: "get",
  operationId: "getInstantSeasonZip",
  path: PATH,
  tags,
  summary: "A season's ZIP streamed at once, with byte ranges (the instant_url of bundle-url, request-bundle and bundle-status)",
  description:
    "Signed and expiring: the URL is the credential. HEAD and GET; Range (one range; several are answered whole), If-Range, If-None-Match. The bytes are those of the stored rebuild of the same catalog.",
  request: {
    params: z.object({ title_id: z.uuid(), season_number: z.coerce.number().int().min(0).max(9999) }),
    query: z.object({
      exp: z.coerce.number().int().describe("Expiry, seconds since the epoch"),
      sig: z.string().max(100).describe("The URL's signature"),
    }),
    headers: z.object({
      range: z.string().max(1000).optional().describe("bytes=START-END, START- or -SUFFIX"),
      "if-range": z.string().max(200).optional(),
      "if-none-match": z.string().max(1000).optional(),
    }),
  },
  responses: {
    200: { description: "The whole archive", headers: zipHeaders, content: binary },
    206: {
      description: "One byte range of it",
      headers: { ...zipHeaders, "content-range": { schema: { type: "string" as const }, description: "bytes START-END/SIZE" } },
      content: binary,
    },
    304: { description: "If-None-Match named the archive's ETag" },
    403: problemResponse("Missing, wrong or expired signature"),
    404: problemResponse("No such published title or season, or its files' checksums are not all recorded yet"),
    416: problemResponse("The range starts past the end (Content-Range: bytes */SIZE)"),
    429: problemResponse("This network already streams INSTANT_ZIP_MAX_STREAMS_PER_CLIENT instant ZIPs; see Retry-After"),
  },
});

/**
 * Whether a season can be served instantly: every member's size and CRC-32 (and, for the library
 * layout, SHA-256) recorded. Kept under the catalog version, so the delivery routes' warm answers
 * still ask no database; recording a checksum is an admin write, which moves the version on.
 */
export async function instantUrl(c: Context<AppEnv>, titleId: string, season: number): Promise<string | null> {
  const layout = c.var.config.BUNDLE_LAYOUT;
  const ready = await underCatalogVersion(c.var, "instant-zip", [titleId, season, layout], async () => {
    return instantPlannable(await planSeason(c.var.db, titleId, season, layout));
  });
  if (!ready) return null;
  const exp = Math.floor(c.var.clock.now().getTime() / 1000) + c.var.config.PRESIGN_TTL_MAX_SECONDS;
  const sig = await playbackSignature(c.var.config.ADMIN_JWT_SECRET, subject(titleId), String(season), exp);
  const path = PATH.replace("{title_id}", encodeURIComponent(titleId)).replace("{season_number}", String(season));
  return `${new URL(c.req.url).origin}/api/v1${path}?exp=${exp}&sig=${sig}`;
}

/**
 * The slices' bytes in order (`length` of them): memory as it is, objects piped from ranged S3
 * reads, one at a time.
 * A read that fails, or finds another version of an object than the one checksummed (If-Match on its
 * recorded ETag answers 412; a size other than recorded), errors the stream: the client sees the
 * connection cut, never wrong bytes.
 */
function streamSlices(
  s3: ObjectStore,
  slices: Slice[],
  length: number,
  sources: InstantArchive["sources"],
  lease: StreamLease | null,
): ReadableStream<Uint8Array> {
  // A FixedLengthStream is how workerd sends a streamed body with its Content-Length (and it
  // errors a body that comes out longer or shorter: never a silently wrong download).
  const { readable, writable } = new FixedLengthStream(length);
  const write = async (bytes: Uint8Array) => {
    const w = writable.getWriter();
    try {
      await w.write(bytes);
    } finally {
      w.releaseLock();
    }
  };
  lease?.keep();
  (async () => {
    for (const s of slices) {
      if ("bytes" in s) {
        await write(s.bytes);
        continue;
      }
      const source = sources.get(s.ref);
      const range = { start: s.offset, end: s.offset + s.length - 1 };
      const res = await s3.get(s.ref, { range, ifMatch: source?.etag ?? null });
      const total = Number(/\/(\d+)$/.exec(res?.headers.get("content-range") ?? "")?.[1] ?? Number.NaN);
      if (!res?.body || res.status !== 206 || total !== source?.size) {
        await res?.body?.cancel();
        throw new Error(`${s.ref}: ${res ? `${res.status}, ${total} bytes` : "missing"} where ${source?.size} bytes were recorded`);
      }
      await res.body.pipeTo(writable, { preventClose: true });
    }
    await writable.close();
  })()
    .catch(async (e: unknown) => {
      console.error(JSON.stringify({ level: "error", msg: "instant season ZIP cut", error: String((e as Error).message ?? e) }));
      await writable.abort(e).catch(() => undefined);
    })
    .finally(() => lease?.release());
  return readable;
}

export const instantZipRoutes = createRouter().openapi(seasonZip, async (c) => {
  const { title_id: titleId, season_number: season } = c.req.valid("param");
  const q = c.req.valid("query");
  const now = Math.floor(c.var.clock.now().getTime() / 1000);
  const verdict = await verifyPlayback(c.var.config.ADMIN_JWT_SECRET, subject(titleId), String(season), q.exp, q.sig, now);
  if (verdict !== "ok")
    throw new AppError("FORBIDDEN", verdict === "expired" ? "This download URL has expired." : "This download URL is not validly signed.");
  const { title } = await deliverableSeason(c.var, titleId, season);
  const archive = await instantArchive(c.var, titleId, season, c.var.config.BUNDLE_LAYOUT);
  if (!archive)
    throw new AppError(
      "NOT_FOUND",
      "This season's files are not all checksummed yet, or one was replaced since; use bundle-url or request-bundle.",
    );

  const headers: Record<string, string> = {
    "content-type": "application/zip",
    "accept-ranges": "bytes",
    etag: archive.etag,
    "last-modified": archive.lastModified.toUTCString(),
    "content-disposition": attachmentDisposition(`${title.slug}-S${String(season).padStart(2, "0")}.zip`),
    "cache-control": "private, no-store",
  };
  const inm = c.req.header("if-none-match");
  if (inm?.split(",").some((t) => t.trim() === archive.etag || t.trim() === "*")) return c.body(null, 304, headers);

  // One range is served as asked; several, a malformed header or an If-Range for another version get the whole archive.
  let first = 0;
  let last = archive.size - 1;
  let status: 200 | 206 = 200;
  const range = c.req.header("range");
  const ifRange = c.req.header("if-range");
  if (range && archive.size > 0 && (ifRange === undefined || ifRange === archive.etag)) {
    const parsed = parseRange(archive.size, range);
    if (parsed === -1)
      throw new AppError("RANGE_NOT_SATISFIABLE", `The archive is ${archive.size} bytes; the range asked for starts past its end.`, {
        headers: { "content-range": `bytes */${archive.size}` },
      });
    if (parsed !== -2 && parsed.type === "bytes" && parsed.length === 1) {
      first = (parsed[0] as { start: number }).start;
      last = (parsed[0] as { end: number }).end;
      status = 206;
      headers["content-range"] = `bytes ${first}-${last}/${archive.size}`;
    }
  }
  headers["content-length"] = String(last - first + 1);
  if (c.req.method === "HEAD" || archive.size === 0) return c.body(null, status, headers);
  const slices = slicePieces(archive.pieces, first, last);
  // A stream that reads S3 takes one of the client's places; one answered from the plan alone does not.
  let lease: StreamLease | null = null;
  if (slices.some((s) => "ref" in s)) {
    const client = clientNetwork(c.var.clientIp);
    try {
      lease = await takeStream(c.var.redis, client, c.var.config.INSTANT_ZIP_MAX_STREAMS_PER_CLIENT, () => c.var.clock.now().getTime());
    } catch (e) {
      // Counting is a guard, not the service: a Redis that can't count lets the download through.
      c.var.logger.warn("instant ZIP streams not counted", { error: String(e) });
      lease = { keep: () => {}, release: async () => {} };
    }
    if (!lease)
      throw new AppError(
        "RATE_LIMITED",
        `Your network already downloads ${c.var.config.INSTANT_ZIP_MAX_STREAMS_PER_CLIENT} instant season ZIPs at once; retry when one ends.`,
        { headers: { "retry-after": String(STREAMS_RETRY_AFTER_SECONDS) } },
      );
  }
  const body = streamSlices(c.var.s3, slices, last - first + 1, archive.sources, lease);
  return c.body(body, status, headers);
});

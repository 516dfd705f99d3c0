// A local stand-in for our CloudFront distribution, in front of the stack's S3 (Swift), as strict
// as the real one is for what the service relies on (terraform/cloudfront.tf):
// - every GET/HEAD needs a CloudFront signed URL: a canned policy (Expires) or a custom policy
//   (Policy, with * wildcards), RSA-SHA1 or RSA-SHA256 (Hash-Algorithm), signed by a key of the
//   key group; a bad or expired signature, or an unknown Key-Pair-Id, is 403 as CloudFront answers;
// - only the query strings the path's cache policy forwards reach S3 (response-content-disposition
//   and response-content-type for downloads, none for hls/*), and each origin request is
//   SigV4-signed as Origin Access Control signs it;
// - every answer carries X-Content-Type-Options: nosniff (the response headers policies);
// - it caches as the distribution does: a whole GET's 200 is kept under the path and the
//   forwarded query strings (the cache key), for the behaviour's TTL (bundles/ 300 s, media a
//   day), and served to any validly signed request with that key, whatever S3 holds since;
// - CORS as the response headers policy answers it: exactly the player origins, never `*`, for
//   GET, HEAD and OPTIONS; an origin not on the list gets no Access-Control-Allow-Origin.
// Plumbing in front of a real S3, not a fake of it: the bytes and the range logic are Swift's.
import { createPublicKey, verify } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { AwsClient } from "aws4fetch";

export interface CdnOptions {
  /** The bucket behind it, path-style (Swift's s3api). */
  s3: { endpoint: string; bucket: string; region: string; accessKeyId: string; secretAccessKey: string };
  /** The key group: Key-Pair-Id → PEM public key (SubjectPublicKeyInfo). */
  publicKeys: Record<string, string>;
  /** Origins answered CORS (terraform's player_origins; the stack's browserOrigins). */
  playerOrigins: string[];
  port?: number;
  host?: string;
  /** The clock signatures are checked against (tests move it). */
  now?: () => Date;
}

/** What the download cache policies forward to the origin (terraform/cloudfront.tf query_strings). */
export const FORWARDED_QUERY = ["response-content-disposition", "response-content-type"];
/**
 * What a path's behaviour forwards and keys its cache on: the version `v` everywhere; on hls/* (the
 * playback cache policy) nothing else, since one wildcard signature covers a whole tier folder
 * whatever the query says.
 */
export const forwardedQueryOf = (path: string): string[] => (path.startsWith("/hls/") ? ["v"] : [...FORWARDED_QUERY, "v"]);
/** How long the path's cache policy keeps an answer (terraform/cloudfront.tf: short for bundles/ and the default). */
const cacheSecondsOf = (path: string): number => (/^\/(hls|downloads|originals|artwork|subs)\//.test(path) ? 86400 : 300);
/** Answers kept whole up to this size (segments, subtitles, small files); larger ones pass through. */
const MAX_CACHED_BYTES = 16 * 1024 * 1024;
const MAX_CACHE_BYTES = 256 * 1024 * 1024;
const SIGNING_PARAMS = ["Expires", "Policy", "Signature", "Key-Pair-Id", "Hash-Algorithm"];
/** Response headers passed on from S3 (CloudFront passes these and drops hop-by-hop ones). */
const PASSED = [
  "content-type",
  "content-length",
  "content-range",
  "accept-ranges",
  "etag",
  "last-modified",
  "content-disposition",
  "cache-control",
];

const fromCloudFrontBase64 = (s: string) => Buffer.from(s.replace(/-/g, "+").replace(/_/g, "=").replace(/~/g, "/"), "base64");

interface Statement {
  Resource?: string;
  Condition?: { DateLessThan?: { "AWS:EpochTime"?: number }; DateGreaterThan?: { "AWS:EpochTime"?: number } };
}

/** CloudFront's wildcard match: * is any run of characters, ? any one. */
const resourceMatches = (pattern: string, url: string) =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".")}$`,
  ).test(url);

export type Verdict = { ok: true } | { ok: false; code: "MissingKey" | "AccessDenied"; why: string };

/** Checks a viewer's signed URL as CloudFront does; `url` is the full URL the viewer asked for. */
export function verifySignedUrl(url: URL, keys: Record<string, string>, now: Date): Verdict {
  const q = url.searchParams;
  const keyPairId = q.get("Key-Pair-Id");
  const signature = q.get("Signature");
  if (!keyPairId || !signature || (!q.has("Expires") && !q.has("Policy"))) return { ok: false, code: "MissingKey", why: "no signature" };
  const pem = keys[keyPairId];
  if (!pem) return { ok: false, code: "AccessDenied", why: `Key-Pair-Id ${keyPairId} is not in the key group` };
  // The resource signed: the URL without the signing parameters, the others in their order.
  const bare = new URL(url.toString());
  for (const p of SIGNING_PARAMS) bare.searchParams.delete(p);
  const resource = bare.toString().replace(/\?$/, "");
  let policy: string;
  let statement: Statement | undefined;
  if (q.has("Policy")) {
    policy = fromCloudFrontBase64(q.get("Policy") ?? "").toString("utf8");
    try {
      statement = (JSON.parse(policy) as { Statement?: Statement[] }).Statement?.[0];
    } catch {
      return { ok: false, code: "AccessDenied", why: "the policy is not JSON" };
    }
    if (!statement?.Resource || !resourceMatches(statement.Resource, resource))
      return { ok: false, code: "AccessDenied", why: "the policy's resource does not cover this URL" };
  } else {
    const expires = Number(q.get("Expires"));
    policy = JSON.stringify({ Statement: [{ Resource: resource, Condition: { DateLessThan: { "AWS:EpochTime": expires } } }] });
    statement = { Resource: resource, Condition: { DateLessThan: { "AWS:EpochTime": expires } } };
  }
  const hash = q.get("Hash-Algorithm") === "SHA256" ? "sha256" : "sha1";
  let good = false;
  try {
    good = verify(hash, Buffer.from(policy), createPublicKey(pem), fromCloudFrontBase64(signature));
  } catch {
    good = false;
  }
  if (!good) return { ok: false, code: "AccessDenied", why: "bad signature" };
  const epoch = now.getTime() / 1000;
  const until = statement.Condition?.DateLessThan?.["AWS:EpochTime"];
  if (typeof until !== "number" || epoch >= until) return { ok: false, code: "AccessDenied", why: "expired" };
  const from = statement.Condition?.DateGreaterThan?.["AWS:EpochTime"];
  if (typeof from === "number" && epoch <= from) return { ok: false, code: "AccessDenied", why: "not valid yet" };
  return { ok: true };
}

export function createCdn(o: CdnOptions) {
  const aws = new AwsClient({ accessKeyId: o.s3.accessKeyId, secretAccessKey: o.s3.secretAccessKey, region: o.s3.region, service: "s3" });
  const now = o.now ?? (() => new Date());
  const allowed = (origin: string | undefined) => origin !== undefined && o.playerOrigins.includes(origin);
  /** The edge cache: cache key → the answer kept and until when. */
  const cache = new Map<string, { headers: Record<string, string>; body: Buffer; until: number }>();
  let cachedBytes = 0;

  const cors = (req: IncomingMessage): Record<string, string> => {
    const origin = req.headers.origin;
    if (!allowed(origin)) return { vary: "Origin" };
    return {
      vary: "Origin",
      "access-control-allow-origin": origin as string,
      "access-control-expose-headers": "Content-Length, Content-Range, Accept-Ranges, ETag",
    };
  };

  const deny = (res: ServerResponse, req: IncomingMessage, status: number, code: string, message: string) => {
    res.writeHead(status, { "content-type": "text/xml", "x-content-type-options": "nosniff", ...cors(req) });
    res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`);
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const host = req.headers.host ?? `${o.host ?? "127.0.0.1"}`;
    const url = new URL(req.url ?? "/", `http://${host}`);
    if (req.method === "OPTIONS") {
      // The response headers policy answers the preflight for its origins; others get nothing to go on.
      const headers = cors(req);
      if (headers["access-control-allow-origin"]) {
        headers["access-control-allow-methods"] = "GET, HEAD, OPTIONS";
        headers["access-control-allow-headers"] = "range";
        headers["access-control-max-age"] = "7200";
      }
      res.writeHead(headers["access-control-allow-origin"] ? 200 : 403, headers);
      res.end();
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") return deny(res, req, 403, "MethodNotAllowed", "GET and HEAD only");
    const verdict = verifySignedUrl(url, o.publicKeys, now());
    if (!verdict.ok) return deny(res, req, 403, verdict.code, verdict.why);

    // The origin request: the path, the forwarded query strings only, Range; signed as OAC signs.
    const originUrl = new URL(`${o.s3.endpoint.replace(/\/$/, "")}/${o.s3.bucket}${url.pathname}`);
    for (const name of forwardedQueryOf(url.pathname)) {
      const v = url.searchParams.get(name);
      if (v !== null) originUrl.searchParams.set(name, v);
    }
    const cacheKey = `${url.pathname}?${originUrl.searchParams}`;
    const range = typeof req.headers.range === "string" ? req.headers.range : undefined;
    const kept = cache.get(cacheKey);
    if (kept && kept.until > now().getTime() && range === undefined) {
      res.writeHead(200, { ...kept.headers, ...cors(req), "x-cache": "Hit from local-cdn", "x-content-type-options": "nosniff" });
      res.end(req.method === "HEAD" ? undefined : kept.body);
      return;
    }
    const headers: Record<string, string> = {};
    if (typeof req.headers.range === "string") headers.range = req.headers.range;
    const signed = await aws.sign(originUrl.toString(), { method: req.method, headers });
    const upstream = await fetch(signed);
    const out: Record<string, string> = { ...cors(req), "x-cache": "Miss from local-cdn", "x-content-type-options": "nosniff" };
    const passed: Record<string, string> = {};
    for (const h of PASSED) {
      const v = upstream.headers.get(h);
      if (v !== null) passed[h] = v;
    }
    Object.assign(out, passed);
    const size = Number(upstream.headers.get("content-length") ?? Number.NaN);
    if (req.method === "GET" && range === undefined && upstream.status === 200 && size <= MAX_CACHED_BYTES && upstream.body) {
      const body = Buffer.from(await upstream.arrayBuffer());
      cachedBytes += body.length - (cache.get(cacheKey)?.body.length ?? 0);
      cache.delete(cacheKey);
      cache.set(cacheKey, { headers: passed, body, until: now().getTime() + cacheSecondsOf(url.pathname) * 1000 });
      // Bounded, as an edge is: the oldest answers go first.
      for (const [k, v] of cache) {
        if (cachedBytes <= MAX_CACHE_BYTES) break;
        cache.delete(k);
        cachedBytes -= v.body.length;
      }
      res.writeHead(200, out);
      res.end(body);
      return;
    }
    res.writeHead(upstream.status, out);
    if (req.method === "HEAD" || !upstream.body) {
      await upstream.body?.cancel();
      res.end();
      return;
    }
    const reader = upstream.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!res.write(value)) await new Promise((r) => res.once("drain", r));
    }
    res.end();
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
      res.end(`local cdn: ${(e as Error).message}`);
    });
  });
  return {
    server,
    async listen(): Promise<string> {
      await new Promise<void>((r) => server.listen(o.port ?? 0, o.host ?? "127.0.0.1", () => r()));
      const { port } = server.address() as AddressInfo;
      return `http://${o.host ?? "127.0.0.1"}:${port}`;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

// As a daemon of the local stack (scripts/stack/index.ts): settings from its environment.
if (import.meta.url === `file://${process.argv[1]}`) {
  const env = process.env;
  const need = (k: string) => {
    const v = env[k];
    if (!v) throw new Error(`${k} is required`);
    return v;
  };
  const origins = need("CDN_PLAYER_ORIGINS");
  const cdn = createCdn({
    s3: {
      endpoint: need("S3_ENDPOINT"),
      bucket: need("AWS_BUCKET_NAME"),
      region: need("AWS_REGION"),
      accessKeyId: need("AWS_ACCESS_KEY_ID"),
      secretAccessKey: need("AWS_SECRET_ACCESS_KEY"),
    },
    publicKeys: { [need("CDN_KEY_PAIR_ID")]: readFileSync(need("CDN_PUBLIC_KEY_FILE"), "utf8") },
    playerOrigins: origins.split(/[\s,]+/).filter(Boolean),
    port: Number(need("PORT")),
  });
  const url = await cdn.listen();
  console.log(JSON.stringify({ msg: "local cdn listening", url, player_origins: origins }));
}

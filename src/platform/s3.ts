// The private bucket through aws4fetch (SigV4). Object keys are built by the caller from ids;
// this module only encodes them, once, for the URL (`+` must travel as %2B: S3 reads a raw `+`
// in a path as a space).
import { md5 } from "@noble/hashes/legacy.js";
import { AwsClient } from "aws4fetch";
import { toBase64 } from "../lib/crypto/encoding";
import { createSigV4Presigner } from "../lib/sigv4";
import { type Clock, systemClock } from "./clock";
import { DEFAULT_DEPENDENCY_TIMEOUT_MS, dependencyFetch } from "./dependency";

export interface S3Config {
  AWS_BUCKET_NAME: string;
  AWS_REGION: string;
  AWS_ACCESS_KEY_ID: string;
  AWS_SECRET_ACCESS_KEY: string;
  /** Path-style endpoint (local Swift); unset → AWS virtual-hosted style. */
  S3_ENDPOINT?: string | undefined;
  DEPENDENCY_TIMEOUT_MS?: number;
}

export interface ObjectHead {
  size: number;
  contentType: string | null;
  etag: string | null;
  lastModified: Date | null;
  metadata: Record<string, string>;
}
export interface ListedObject {
  key: string;
  size: number;
  etag: string;
  lastModified: Date;
}
export interface ListResult {
  objects: ListedObject[];
  prefixes: string[];
  nextContinuationToken: string | null;
}
/** Every object under `prefix`, a listing page (up to 1,000) at a time; `more` says whether another page follows. */
export async function* listPages(
  s3: Pick<ObjectStore, "list">,
  prefix: string,
): AsyncGenerator<{ objects: ListedObject[]; more: boolean }> {
  let token: string | undefined;
  do {
    const page = await s3.list(prefix, { maxKeys: 1000, ...(token ? { continuationToken: token } : {}) });
    token = page.nextContinuationToken ?? undefined;
    yield { objects: page.objects, more: Boolean(token) };
  } while (token);
}

export interface UploadedPart {
  partNumber: number;
  etag: string;
  size?: number;
}
export interface GetOptions {
  /** Inclusive byte range. */
  range?: { start: number; end?: number };
  /** Only this version (its ETag): another answers 412, thrown as an S3Error. Null: any version. */
  ifMatch?: string | null;
  signal?: AbortSignal;
}
export interface PutOptions {
  contentType?: string;
  metadata?: Record<string, string>;
  contentLength?: number;
}
export interface PresignGetOptions {
  expiresIn: number;
  responseContentDisposition?: string;
  responseContentType?: string;
}
export interface PresignPutOptions {
  expiresIn: number;
  /** Signed in: the upload must send exactly these. */
  contentType?: string;
  sse?: "AES256";
}
export interface PresignedUpload {
  url: string;
  /** Headers the client must send with the PUT, as signed. */
  headers: Record<string, string>;
}

export interface ObjectStore {
  readonly bucket: string;
  get(key: string, opts?: GetOptions): Promise<Response | null>;
  head(key: string, signal?: AbortSignal): Promise<ObjectHead | null>;
  put(key: string, body: BodyInit, opts?: PutOptions): Promise<{ etag: string | null }>;
  delete(key: string): Promise<void>;
  /** DeleteObjects, up to 1,000 keys a request; answers the keys S3 could not delete. */
  deleteMany(keys: string[]): Promise<{ failed: string[] }>;
  list(prefix: string, opts?: { continuationToken?: string; maxKeys?: number; delimiter?: string }): Promise<ListResult>;
  copy(sourceKey: string, destKey: string): Promise<void>;
  createMultipart(key: string, opts?: { contentType?: string; metadata?: Record<string, string>; sse?: "AES256" }): Promise<string>;
  presignUploadPart(key: string, uploadId: string, partNumber: number, expiresIn: number): Promise<string>;
  uploadPart(key: string, uploadId: string, partNumber: number, body: BodyInit, contentLength?: number): Promise<UploadedPart>;
  completeMultipart(key: string, uploadId: string, parts: UploadedPart[]): Promise<{ etag: string | null }>;
  abortMultipart(key: string, uploadId: string): Promise<void>;
  listParts(key: string, uploadId: string): Promise<UploadedPart[]>;
  /** Multipart uploads still open under a prefix (to clean up after a killed job). */
  listMultipartUploads(prefix: string): Promise<{ key: string; uploadId: string }[]>;
  presignGet(key: string, opts: PresignGetOptions): Promise<string>;
  presignPut(key: string, opts: PresignPutOptions): Promise<PresignedUpload>;
  /** HEAD on the bucket: proves the endpoint answers and the credentials are accepted. */
  ping(signal?: AbortSignal): Promise<void>;
}

export class S3Error extends Error {
  constructor(
    readonly status: number,
    readonly s3Code: string | null,
    message: string,
  ) {
    super(message);
    this.name = "S3Error";
  }
}

/** Percent-encodes every key segment (RFC 3986 unreserved kept), keeping the slashes. */
export function encodeKey(key: string): string {
  return key
    .split("/")
    .map((s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`))
    .join("/");
}

const xmlUnescape = (s: string) =>
  s
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#(\d+);/g, (_, d: string) => String.fromCharCode(Number(d)))
    .replace(/&amp;/g, "&");
const xmlEscape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const tag = (xml: string, name: string): string | null => {
  const m = xml.match(new RegExp(`<${name}>([\\s\\S]*?)</${name}>`));
  return m?.[1] === undefined ? null : xmlUnescape(m[1]);
};
const blocks = (xml: string, name: string): string[] =>
  [...xml.matchAll(new RegExp(`<${name}>([\\s\\S]*?)</${name}>`, "g"))].map((m) => m[1] ?? "");

async function fail(res: Response, what: string): Promise<never> {
  const text = await res.text().catch(() => "");
  const code = tag(text, "Code");
  throw new S3Error(
    res.status,
    code,
    `S3 ${what} failed: HTTP ${res.status}${code ? ` ${code}` : ""}${tag(text, "Message") ? `: ${tag(text, "Message")}` : ""}`,
  );
}

export interface S3Options {
  /** The signing time of presigned URLs (their expiry counts from it). */
  clock?: Clock;
  fetcher?: typeof fetch;
}

export function createS3(cfg: S3Config, opts: S3Options = {}): ObjectStore {
  const clock = opts.clock ?? systemClock;
  const fetcher = opts.fetcher ?? dependencyFetch("S3", "s3", cfg.DEPENDENCY_TIMEOUT_MS ?? DEFAULT_DEPENDENCY_TIMEOUT_MS);
  const aws = new AwsClient({
    accessKeyId: cfg.AWS_ACCESS_KEY_ID,
    secretAccessKey: cfg.AWS_SECRET_ACCESS_KEY,
    region: cfg.AWS_REGION,
    service: "s3",
    retries: 0,
  });
  const base = cfg.S3_ENDPOINT
    ? `${cfg.S3_ENDPOINT.replace(/\/$/, "")}/${cfg.AWS_BUCKET_NAME}`
    : `https://${cfg.AWS_BUCKET_NAME}.s3.${cfg.AWS_REGION}.amazonaws.com`;
  const url = (key: string, query?: Record<string, string>) => {
    const u = new URL(`${base}/${encodeKey(key)}`);
    for (const [k, v] of Object.entries(query ?? {})) u.searchParams.set(k, v);
    return u.toString();
  };
  const send = async (u: string, init: RequestInit = {}) => {
    // S3 requests are signed with UNSIGNED-PAYLOAD, so the body is not part of the signature:
    // sign without it (aws4fetch would copy it into a Request) and hand it to the fetcher as is.
    const { body, ...rest } = init;
    const signed = await aws.sign(u, { ...rest, method: init.method ?? "GET" });
    return fetcher(signed.url, {
      method: signed.method,
      headers: signed.headers,
      ...(body !== undefined ? { body } : {}),
      ...(init.signal ? { signal: init.signal } : {}),
    });
  };
  const metaHeaders = (m?: Record<string, string>) =>
    Object.fromEntries(Object.entries(m ?? {}).map(([k, v]) => [`x-amz-meta-${k.toLowerCase()}`, v]));

  // Presigned URLs: our SigV4 query signer, which keeps the day's signing key (see lib/sigv4.ts).
  const presigner = createSigV4Presigner({
    accessKeyId: cfg.AWS_ACCESS_KEY_ID,
    secretAccessKey: cfg.AWS_SECRET_ACCESS_KEY,
    region: cfg.AWS_REGION,
  });
  const baseUrl = new URL(base);
  const basePath = baseUrl.pathname.replace(/\/$/, "");
  const presign = async (
    key: string,
    method: "GET" | "PUT",
    expiresIn: number,
    query: Record<string, string>,
    headers?: Record<string, string>,
  ) =>
    // X-Amz-Expires and response-* overrides go into the query before signing; headers given
    // here (content type, SSE) are signed in, so the upload must send them as they are.
    presigner.sign({
      method,
      origin: baseUrl.origin,
      host: baseUrl.host,
      path: `${basePath}/${encodeKey(key)}`,
      query: Object.entries(query),
      expiresIn,
      now: clock.now(),
      ...(headers ? { headers } : {}),
    });

  return {
    bucket: cfg.AWS_BUCKET_NAME,

    async get(key, opts = {}) {
      const headers: Record<string, string> = {};
      if (opts.range) headers.range = `bytes=${opts.range.start}-${opts.range.end ?? ""}`;
      if (opts.ifMatch) headers["if-match"] = opts.ifMatch;
      const res = await send(url(key), { headers, ...(opts.signal ? { signal: opts.signal } : {}) });
      if (res.status === 404) {
        await res.body?.cancel();
        return null;
      }
      if (!res.ok) return fail(res, `GET ${key}`);
      return res;
    },

    async head(key, signal) {
      const res = await send(url(key), { method: "HEAD", ...(signal ? { signal } : {}) });
      if (res.status === 404) return null;
      if (!res.ok) return fail(res, `HEAD ${key}`);
      const metadata: Record<string, string> = {};
      res.headers.forEach((v, k) => {
        if (k.startsWith("x-amz-meta-")) metadata[k.slice(11)] = v;
      });
      const lm = res.headers.get("last-modified");
      return {
        size: Number(res.headers.get("content-length") ?? 0),
        contentType: res.headers.get("content-type"),
        etag: res.headers.get("etag"),
        lastModified: lm ? new Date(lm) : null,
        metadata,
      };
    },

    async put(key, body, opts = {}) {
      const headers: Record<string, string> = { ...metaHeaders(opts.metadata) };
      if (opts.contentType) headers["content-type"] = opts.contentType;
      if (opts.contentLength !== undefined) headers["content-length"] = String(opts.contentLength);
      const res = await send(url(key), { method: "PUT", body, headers });
      if (!res.ok) return fail(res, `PUT ${key}`);
      await res.body?.cancel();
      return { etag: res.headers.get("etag") };
    },

    async delete(key) {
      const res = await send(url(key), { method: "DELETE" });
      if (!res.ok && res.status !== 404) return fail(res, `DELETE ${key}`);
      await res.body?.cancel();
    },

    async deleteMany(keys) {
      const failed: string[] = [];
      for (let i = 0; i < keys.length; i += 1000) {
        const chunk = keys.slice(i, i + 1000);
        const body = `<?xml version="1.0" encoding="UTF-8"?><Delete><Quiet>true</Quiet>${chunk
          .map((k) => `<Object><Key>${xmlEscape(k)}</Key></Object>`)
          .join("")}</Delete>`;
        const u = new URL(`${base}/`);
        u.searchParams.set("delete", "");
        // S3 (and Swift's s3api) require Content-MD5 on a multi-object delete; WebCrypto has no MD5
        // (@noble/hashes, so it is the same in the Worker and in Node).
        const contentMd5 = toBase64(md5(new TextEncoder().encode(body)));
        const res = await send(u.toString(), {
          method: "POST",
          body,
          headers: { "content-md5": contentMd5, "content-type": "application/xml" },
        });
        if (!res.ok) return fail(res, `DeleteObjects (${chunk.length} keys)`);
        failed.push(...blocks(await res.text(), "Error").map((b) => tag(b, "Key") ?? ""));
      }
      return { failed };
    },

    async list(prefix, opts = {}) {
      const q: Record<string, string> = { "list-type": "2", prefix, "max-keys": String(opts.maxKeys ?? 1000) };
      if (opts.continuationToken) q["continuation-token"] = opts.continuationToken;
      if (opts.delimiter) q.delimiter = opts.delimiter;
      const u = new URL(`${base}/`);
      for (const [k, v] of Object.entries(q)) u.searchParams.set(k, v);
      const res = await send(u.toString());
      if (!res.ok) return fail(res, `LIST ${prefix}`);
      const xml = await res.text();
      return {
        objects: blocks(xml, "Contents").map((b) => ({
          key: tag(b, "Key") ?? "",
          size: Number(tag(b, "Size") ?? 0),
          etag: tag(b, "ETag") ?? "",
          lastModified: new Date(tag(b, "LastModified") ?? 0),
        })),
        prefixes: blocks(xml, "CommonPrefixes").map((b) => tag(b, "Prefix") ?? ""),
        nextContinuationToken: tag(xml, "IsTruncated") === "true" ? tag(xml, "NextContinuationToken") : null,
      };
    },

    async copy(sourceKey, destKey) {
      const res = await send(url(destKey), {
        method: "PUT",
        headers: { "x-amz-copy-source": `/${cfg.AWS_BUCKET_NAME}/${encodeKey(sourceKey)}` },
      });
      // S3 can answer 200 with an <Error> body for a copy that failed midway.
      const text = await res.text();
      if (!res.ok || text.includes("<Error>")) {
        throw new S3Error(res.status, tag(text, "Code"), `S3 COPY ${sourceKey} → ${destKey} failed: ${tag(text, "Message") ?? res.status}`);
      }
    },

    async createMultipart(key, opts = {}) {
      const headers: Record<string, string> = { ...metaHeaders(opts.metadata) };
      if (opts.contentType) headers["content-type"] = opts.contentType;
      if (opts.sse) headers["x-amz-server-side-encryption"] = opts.sse;
      const res = await send(url(key, { uploads: "" }), { method: "POST", headers });
      if (!res.ok) return fail(res, `CreateMultipartUpload ${key}`);
      const id = tag(await res.text(), "UploadId");
      if (!id) throw new S3Error(res.status, null, "CreateMultipartUpload returned no UploadId");
      return id;
    },

    async uploadPart(key, uploadId, partNumber, body, contentLength) {
      const headers: Record<string, string> = {};
      if (contentLength !== undefined) headers["content-length"] = String(contentLength);
      const res = await send(url(key, { partNumber: String(partNumber), uploadId }), { method: "PUT", body, headers });
      if (!res.ok) return fail(res, `UploadPart ${partNumber} of ${key}`);
      await res.body?.cancel();
      const etag = res.headers.get("etag");
      if (!etag) throw new S3Error(res.status, null, `UploadPart ${partNumber} returned no ETag`);
      return { partNumber, etag, ...(contentLength !== undefined ? { size: contentLength } : {}) };
    },

    async completeMultipart(key, uploadId, parts) {
      const sorted = [...parts].sort((a, b) => a.partNumber - b.partNumber);
      const body = `<CompleteMultipartUpload>${sorted
        .map((p) => `<Part><PartNumber>${p.partNumber}</PartNumber><ETag>${xmlEscape(p.etag)}</ETag></Part>`)
        .join("")}</CompleteMultipartUpload>`;
      const res = await send(url(key, { uploadId }), { method: "POST", body, headers: { "content-type": "application/xml" } });
      const text = await res.text();
      if (!res.ok || text.includes("<Error>")) {
        throw new S3Error(res.status, tag(text, "Code"), `CompleteMultipartUpload ${key} failed: ${tag(text, "Message") ?? res.status}`);
      }
      return { etag: tag(text, "ETag") };
    },

    async abortMultipart(key, uploadId) {
      const res = await send(url(key, { uploadId }), { method: "DELETE" });
      if (!res.ok && res.status !== 404) return fail(res, `AbortMultipartUpload ${key}`);
      await res.body?.cancel();
    },

    async listParts(key, uploadId) {
      const parts: UploadedPart[] = [];
      let marker: string | null = "0";
      while (marker !== null) {
        const res = await send(url(key, { uploadId, "part-number-marker": marker }));
        if (!res.ok) return fail(res, `ListParts ${key}`);
        const xml = await res.text();
        for (const b of blocks(xml, "Part")) {
          parts.push({ partNumber: Number(tag(b, "PartNumber")), etag: tag(b, "ETag") ?? "", size: Number(tag(b, "Size") ?? 0) });
        }
        marker = tag(xml, "IsTruncated") === "true" ? tag(xml, "NextPartNumberMarker") : null;
      }
      return parts;
    },

    async listMultipartUploads(prefix) {
      const u = new URL(`${base}/`);
      u.searchParams.set("uploads", "");
      u.searchParams.set("prefix", prefix);
      const res = await send(u.toString());
      if (!res.ok) return fail(res, `ListMultipartUploads ${prefix}`);
      const xml = await res.text();
      return blocks(xml, "Upload").map((b) => ({ key: tag(b, "Key") ?? "", uploadId: tag(b, "UploadId") ?? "" }));
    },

    presignGet(key, opts) {
      const q: Record<string, string> = {};
      if (opts.responseContentDisposition) q["response-content-disposition"] = opts.responseContentDisposition;
      if (opts.responseContentType) q["response-content-type"] = opts.responseContentType;
      return presign(key, "GET", opts.expiresIn, q);
    },

    async presignPut(key, opts) {
      const headers: Record<string, string> = {};
      if (opts.contentType) headers["content-type"] = opts.contentType;
      if (opts.sse) headers["x-amz-server-side-encryption"] = opts.sse;
      const signedHeaders = Object.keys(headers).length > 0 ? headers : undefined;
      return { url: await presign(key, "PUT", opts.expiresIn, {}, signedHeaders), headers };
    },

    presignUploadPart(key, uploadId, partNumber, expiresIn) {
      return presign(key, "PUT", expiresIn, { partNumber: String(partNumber), uploadId });
    },

    async ping(signal) {
      const res = await send(`${base}/`, { method: "HEAD", ...(signal ? { signal } : {}) });
      if (!res.ok) throw new S3Error(res.status, null, `bucket HEAD answered HTTP ${res.status}`);
    },
  };
}

// SigV4 query signing (presigned URLs) for S3. The signing key is derived once per
// day/region/service and kept, and the hashing is synchronous and native (lib/sha256),
// so a URL costs a few SHA-256 block compressions and no URL parsing; a plain aws4fetch sign()
// re-derives and re-imports the key chain through WebCrypto and builds a Request for every URL.
import { type HmacKey, hmac, hmacHex, hmacKey, sha256Hex } from "./sha256";

export interface PresignerCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  service?: string;
}

export interface PresignInput {
  method: "GET" | "PUT" | "HEAD" | "DELETE";
  /** The full URL without signature parameters; its path must already be encoded. */
  url: string;
  expiresIn: number;
  now: Date;
  /** Headers the request will carry, signed in (host is always signed). */
  headers?: Record<string, string>;
}

/** RFC 3986 encoding as SigV4 wants it for query names and values. */
export const rfc3986 = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

export interface PresignParts {
  method: "GET" | "PUT" | "HEAD" | "DELETE";
  /** scheme://host[:port] */
  origin: string;
  host: string;
  /** The request path, already encoded (it is the canonical URI as is). */
  path: string;
  /** Extra query parameters (unencoded), e.g. response-content-disposition, partNumber. */
  query?: [string, string][];
  expiresIn: number;
  now: Date;
  /** Headers the request will carry, signed in (host is always signed). */
  headers?: Record<string, string>;
}

function compare(a: readonly [string, string], b: readonly [string, string]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
}

export function createSigV4Presigner(creds: PresignerCredentials) {
  const service = creds.service ?? "s3";
  // The day's signing key, kept as precomputed HMAC pad states: one derivation per day.
  let cached: { date: string; key: HmacKey } | null = null;
  const signingKey = (date: string): HmacKey => {
    if (cached?.date !== date) {
      let k = hmac(hmacKey(`AWS4${creds.secretAccessKey}`), date);
      for (const part of [creds.region, service, "aws4_request"]) k = hmac(hmacKey(k), part);
      cached = { date, key: hmacKey(k) };
    }
    return cached.key;
  };
  const credentialPrefix = `${creds.accessKeyId}/`;

  // The parts that change once a second, kept for the second (a batch signs many URLs in one).
  let second: { at: number; amzDate: string; date: string; scope: string; credential: string } | null = null;
  const timeParts = (now: Date) => {
    const at = Math.floor(now.getTime() / 1000);
    if (second?.at !== at) {
      const amzDate = now.toISOString().replace(/[-:]|\.\d{3}/g, "");
      const date = amzDate.slice(0, 8);
      const scope = `${date}/${creds.region}/${service}/aws4_request`;
      second = { at, amzDate, date, scope, credential: rfc3986(`${credentialPrefix}${scope}`) };
    }
    return second;
  };

  function sign(p: PresignParts): string {
    const { amzDate, date, scope, credential } = timeParts(p.now);
    let signedHeaders = "host";
    let canonicalHeaders = `host:${p.host}\n`;
    if (p.headers) {
      const h: Record<string, string> = { host: p.host };
      for (const [k, v] of Object.entries(p.headers)) h[k.toLowerCase()] = v.trim();
      const names = Object.keys(h).sort();
      signedHeaders = names.join(";");
      canonicalHeaders = names.map((k) => `${k}:${h[k]}\n`).join("");
    }
    const params: [string, string][] = [
      ["X-Amz-Algorithm", "AWS4-HMAC-SHA256"],
      ["X-Amz-Credential", credential],
      ["X-Amz-Date", amzDate],
      ["X-Amz-Expires", String(Math.floor(p.expiresIn))],
      ["X-Amz-SignedHeaders", rfc3986(signedHeaders)],
    ];
    for (const [k, v] of p.query ?? []) params.push([rfc3986(k), rfc3986(v)]);
    params.sort(compare);
    let query = "";
    for (const [k, v] of params) query += query ? `&${k}=${v}` : `${k}=${v}`;
    const canonicalRequest = `${p.method}\n${p.path}\n${query}\n${canonicalHeaders}\n${signedHeaders}\nUNSIGNED-PAYLOAD`;
    const stringToSign = `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${sha256Hex(canonicalRequest)}`;
    return `${p.origin}${p.path}?${query}&X-Amz-Signature=${hmacHex(signingKey(date), stringToSign)}`;
  }

  /** Presigns a full URL (its path already encoded); query parameters in it are kept and signed. */
  async function presign(input: PresignInput): Promise<string> {
    const u = new URL(input.url);
    return sign({
      method: input.method,
      origin: u.origin,
      host: u.host,
      path: u.pathname,
      // Signature parameters already in the URL are replaced, never signed twice.
      query: [...u.searchParams].filter(([k]) => !k.startsWith("X-Amz-")),
      expiresIn: input.expiresIn,
      now: input.now,
      ...(input.headers ? { headers: input.headers } : {}),
    });
  }
  return Object.assign(presign, { sign });
}

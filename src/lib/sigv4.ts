// SigV4 query signing (presigned URLs) for S3. The signing key is derived once per
// day/region/service and its CryptoKey kept, so a URL costs one SHA-256 and one HMAC; a plain
// aws4fetch sign() re-derives and re-imports the key chain and builds a Request for every URL.
import { toHex, utf8 } from "./crypto/encoding";

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

const hmac = async (key: CryptoKey, data: string) => new Uint8Array(await crypto.subtle.sign("HMAC", key, utf8(data)));
const importHmac = (raw: BufferSource) => crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);

export function createSigV4Presigner(creds: PresignerCredentials) {
  const service = creds.service ?? "s3";
  let cached: { date: string; key: Promise<CryptoKey> } | null = null;

  const signingKey = (date: string): Promise<CryptoKey> => {
    if (cached?.date === date) return cached.key;
    const key = (async () => {
      let k = await hmac(await importHmac(utf8(`AWS4${creds.secretAccessKey}`)), date);
      for (const part of [creds.region, service, "aws4_request"]) k = await hmac(await importHmac(k), part);
      return importHmac(k);
    })();
    cached = { date, key };
    key.catch(() => {
      if (cached?.key === key) cached = null;
    });
    return key;
  };

  return async function presign(input: PresignInput): Promise<string> {
    const u = new URL(input.url);
    const amzDate = input.now.toISOString().replace(/[-:]|\.\d{3}/g, "");
    const date = amzDate.slice(0, 8);
    const scope = `${date}/${creds.region}/${service}/aws4_request`;
    const headers: Record<string, string> = { host: u.host };
    for (const [k, v] of Object.entries(input.headers ?? {})) headers[k.toLowerCase()] = v.trim();
    const signedHeaders = Object.keys(headers).sort().join(";");

    const params: [string, string][] = [...u.searchParams];
    params.push(
      ["X-Amz-Algorithm", "AWS4-HMAC-SHA256"],
      ["X-Amz-Credential", `${creds.accessKeyId}/${scope}`],
      ["X-Amz-Date", amzDate],
      ["X-Amz-Expires", String(Math.floor(input.expiresIn))],
      ["X-Amz-SignedHeaders", signedHeaders],
    );
    const query = params
      .map(([k, v]) => [rfc3986(k), rfc3986(v)] as const)
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
      .map(([k, v]) => `${k}=${v}`)
      .join("&");
    const canonicalHeaders = Object.keys(headers)
      .sort()
      .map((k) => `${k}:${headers[k]}\n`)
      .join("");
    const canonicalRequest = `${input.method}\n${u.pathname}\n${query}\n${canonicalHeaders}\n${signedHeaders}\nUNSIGNED-PAYLOAD`;
    const digest = toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", utf8(canonicalRequest))));
    const stringToSign = `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${digest}`;
    const signature = toHex(await hmac(await signingKey(date), stringToSign));
    return `${u.origin}${u.pathname}?${query}&X-Amz-Signature=${signature}`;
  };
}

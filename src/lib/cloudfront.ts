// CloudFront signed URLs, signed with the key group's RSA private key through WebCrypto: a canned
// policy for one URL, or a custom policy whose resource ends in * for a whole folder (one RSA
// signature authorises every segment of an HLS tier). SHA-1 is CloudFront's default; SHA-256 is
// sent as Hash-Algorithm=SHA256.
import { fromBase64 } from "./crypto/encoding";

export type CloudFrontHash = "SHA1" | "SHA256";

/** CloudFront's URL-safe base64: + → -, = → _, / → ~ */
export const cloudFrontBase64 = (b: Uint8Array) => {
  let s = "";
  for (const x of b) s += String.fromCharCode(x);
  return btoa(s).replace(/\+/g, "-").replace(/=/g, "_").replace(/\//g, "~");
};
export const fromCloudFrontBase64 = (s: string) => fromBase64(s.replace(/-/g, "+").replace(/_/g, "=").replace(/~/g, "/"));

export const cannedPolicy = (resource: string, expiresEpoch: number) =>
  JSON.stringify({ Statement: [{ Resource: resource, Condition: { DateLessThan: { "AWS:EpochTime": expiresEpoch } } }] });

function derLength(n: number): number[] {
  if (n < 0x80) return [n];
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return [0x80 | bytes.length, ...bytes];
}

/** PEM (PKCS#8, or the PKCS#1 "RSA PRIVATE KEY" CloudFront's console hands out) → PKCS#8 DER. */
export function pemToPkcs8(pem: string): Uint8Array<ArrayBuffer> {
  const text = pem.replace(/\\n/g, "\n");
  const body = text.replace(/-----(BEGIN|END) [A-Z ]+-----/g, "").replace(/\s+/g, "");
  const der = fromBase64(body);
  if (!/BEGIN RSA PRIVATE KEY/.test(text)) return der;
  // Wrap PKCS#1 in PKCS#8: SEQUENCE { INTEGER 0, SEQUENCE { rsaEncryption OID, NULL }, OCTET STRING { key } }
  const algo = [0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00];
  const octet = [0x04, ...derLength(der.length), ...der];
  const inner = [0x02, 0x01, 0x00, ...algo, ...octet];
  return new Uint8Array([0x30, ...derLength(inner.length), ...inner]);
}

const keyCache = new Map<string, Promise<CryptoKey>>();
export function importCloudFrontKey(pem: string, hash: CloudFrontHash): Promise<CryptoKey> {
  const id = `${hash}:${pem}`;
  let k = keyCache.get(id);
  if (!k) {
    k = crypto.subtle.importKey(
      "pkcs8",
      pemToPkcs8(pem),
      { name: "RSASSA-PKCS1-v1_5", hash: hash === "SHA1" ? "SHA-1" : "SHA-256" },
      false,
      ["sign"],
    );
    keyCache.set(id, k);
    k.catch(() => keyCache.delete(id));
  }
  return k;
}

export interface CloudFrontSignOptions {
  /** The full URL to sign, query included. */
  url: string;
  expiresEpoch: number;
  keyPairId: string;
  privateKeyPem: string;
  hash: CloudFrontHash;
}

export async function signCloudFrontUrl(o: CloudFrontSignOptions): Promise<string> {
  const key = await importCloudFrontKey(o.privateKeyPem, o.hash);
  const sig = new Uint8Array(
    await crypto.subtle.sign("RSASSA-PKCS1-v1_5", key, new TextEncoder().encode(cannedPolicy(o.url, o.expiresEpoch))),
  );
  const u = new URL(o.url);
  u.searchParams.set("Expires", String(o.expiresEpoch));
  u.searchParams.set("Signature", cloudFrontBase64(sig));
  if (o.hash === "SHA256") u.searchParams.set("Hash-Algorithm", "SHA256");
  u.searchParams.set("Key-Pair-Id", o.keyPairId);
  return u.toString();
}

export interface CloudFrontPrefixOptions extends Omit<CloudFrontSignOptions, "url"> {
  /** A URL prefix such as https://media.example/hls/{title}/720p/: the policy covers everything under it. */
  prefix: string;
}

/**
 * The query string (without "?") that authorises every URL starting with `prefix` until
 * `expiresEpoch`: a custom policy with a trailing wildcard, signed once. Appended to each
 * segment's URL, it costs a string join instead of an RSA signature per segment.
 */
export async function signCloudFrontPrefix(o: CloudFrontPrefixOptions): Promise<string> {
  const key = await importCloudFrontKey(o.privateKeyPem, o.hash);
  const policy = cannedPolicy(`${o.prefix}*`, o.expiresEpoch);
  const sig = new Uint8Array(await crypto.subtle.sign("RSASSA-PKCS1-v1_5", key, new TextEncoder().encode(policy)));
  const q = new URLSearchParams({ Policy: cloudFrontBase64(new TextEncoder().encode(policy)), Signature: cloudFrontBase64(sig) });
  if (o.hash === "SHA256") q.set("Hash-Algorithm", "SHA256");
  q.set("Key-Pair-Id", o.keyPairId);
  return q.toString();
}

// Playlist URLs served by the Worker are signed too: an HMAC over (asset, path, expiry) with a
// key derived from ADMIN_JWT_SECRET for this one purpose. Players need nothing special: the
// signature travels in the query string.
import { toBase64Url, utf8 } from "../../lib/crypto/encoding";

const keys = new Map<string, Promise<CryptoKey>>();
function playbackKey(secret: string): Promise<CryptoKey> {
  let k = keys.get(secret);
  if (!k) {
    k = (async () => {
      const root = await crypto.subtle.importKey("raw", utf8(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
      const derived = await crypto.subtle.sign("HMAC", root, utf8("moviesnow:playback-url:v1"));
      return crypto.subtle.importKey("raw", derived, { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
    })();
    keys.set(secret, k);
  }
  return k;
}

const message = (assetId: string, path: string, exp: number) => utf8(`${assetId}\n${path}\n${exp}`);

export async function playbackSignature(secret: string, assetId: string, path: string, exp: number): Promise<string> {
  return toBase64Url(new Uint8Array(await crypto.subtle.sign("HMAC", await playbackKey(secret), message(assetId, path, exp))));
}

export async function verifyPlayback(
  secret: string,
  assetId: string,
  path: string,
  exp: number,
  sig: string,
  nowEpoch: number,
): Promise<"ok" | "expired" | "invalid"> {
  let raw: Uint8Array<ArrayBuffer>;
  try {
    const b = atob(sig.replace(/-/g, "+").replace(/_/g, "/"));
    raw = new Uint8Array(b.length);
    for (let i = 0; i < b.length; i++) raw[i] = b.charCodeAt(i);
  } catch {
    return "invalid";
  }
  const valid = await crypto.subtle.verify("HMAC", await playbackKey(secret), raw, message(assetId, path, exp));
  if (!valid) return "invalid";
  return exp < nowEpoch ? "expired" : "ok";
}

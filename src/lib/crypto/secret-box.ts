// AES-256-GCM for secrets at rest (TOTP seeds), keyed by a Worker secret. The additional data
// binds a ciphertext to its row, so one admin's seed can't be pasted onto another.
import { fromBase64, randomBytes, toBase64, utf8 } from "./encoding";

const VERSION = "v1";

async function importKey(keyBase64: string): Promise<CryptoKey> {
  const raw = fromBase64(keyBase64);
  if (raw.length !== 32) throw new TypeError("the encryption key must be 32 bytes, base64-encoded");
  return crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
}

export async function seal(plaintext: string, keyBase64: string, aad: string): Promise<string> {
  const iv = randomBytes(12);
  const ct = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: utf8(aad) }, await importKey(keyBase64), utf8(plaintext));
  return `${VERSION}:${toBase64(iv)}:${toBase64(new Uint8Array(ct))}`;
}

export async function open(sealed: string, keyBase64: string, aad: string): Promise<string> {
  const [version, ivB64, ctB64] = sealed.split(":");
  if (version !== VERSION || !ivB64 || !ctB64) throw new TypeError("unknown sealed-secret format");
  const pt = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: fromBase64(ivB64), additionalData: utf8(aad) },
    await importKey(keyBase64),
    fromBase64(ctB64),
  );
  return new TextDecoder().decode(pt);
}

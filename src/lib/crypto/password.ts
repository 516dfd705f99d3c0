// Password hashing with PBKDF2-SHA256 through WebCrypto. Workers cap PBKDF2 at 100,000
// iterations, fewer than current advice for a stolen database, so the password is first run
// through HMAC-SHA256 under a pepper: a key derived (HKDF) from the at-rest secret
// TOTP_ENCRYPTION_KEY, which lives in the Worker's secrets and never in the database. A dump of
// admin_users alone can't be attacked offline. The scheme and iteration count are stored with
// each hash; hashes made before the pepper ("pbkdf2-sha256") still verify and are replaced with a
// peppered one at the next successful sign-in.
import { type Bytes, fromBase64, randomBytes, toBase64, utf8 } from "./encoding";

export const PBKDF2_ITERATIONS = 100_000;
const PLAIN = "pbkdf2-sha256";
const PEPPERED = "pbkdf2-sha256-pepper1";

async function pepperKey(secretBase64: string): Promise<CryptoKey> {
  const ikm = await crypto.subtle.importKey("raw", fromBase64(secretBase64), "HKDF", false, ["deriveKey"]);
  return crypto.subtle.deriveKey(
    { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: utf8("moviesnow password pepper v1") },
    ikm,
    { name: "HMAC", hash: "SHA-256", length: 256 },
    false,
    ["sign"],
  );
}

async function derive(secret: Bytes, salt: Bytes, iterations: number): Promise<Bytes> {
  const key = await crypto.subtle.importKey("raw", secret, "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, key, 256);
  return new Uint8Array(bits);
}

async function peppered(password: string, pepperSecret: string): Promise<Bytes> {
  return new Uint8Array(await crypto.subtle.sign("HMAC", await pepperKey(pepperSecret), utf8(password.normalize("NFKC"))));
}

export async function hashPassword(password: string, pepperSecret: string, iterations = PBKDF2_ITERATIONS): Promise<string> {
  const salt = randomBytes(16);
  return `${PEPPERED}$${iterations}$${toBase64(salt)}$${toBase64(await derive(await peppered(password, pepperSecret), salt, iterations))}`;
}

export interface PasswordCheck {
  ok: boolean;
  /** Right, but stored without the pepper (or with fewer iterations): store a new hash. */
  needsRehash: boolean;
}

/** Compares in constant time; a malformed stored hash never verifies. */
export async function verifyPassword(password: string, stored: string, pepperSecret: string): Promise<PasswordCheck> {
  const [scheme, iter, saltB64, hashB64] = stored.split("$");
  const iterations = Number(iter);
  const no = { ok: false, needsRehash: false };
  if ((scheme !== PLAIN && scheme !== PEPPERED) || !Number.isInteger(iterations) || iterations < 1 || !saltB64 || !hashB64) return no;
  const input = scheme === PEPPERED ? await peppered(password, pepperSecret) : utf8(password.normalize("NFKC"));
  const expected = fromBase64(hashB64);
  const actual = await derive(input, fromBase64(saltB64), iterations);
  if (actual.length !== expected.length) return no;
  let diff = 0;
  for (let i = 0; i < actual.length; i++) diff |= (actual[i] ?? 0) ^ (expected[i] ?? 0);
  if (diff !== 0) return no;
  return { ok: true, needsRehash: scheme !== PEPPERED || iterations < PBKDF2_ITERATIONS };
}

/** A well-formed hash of nothing anyone knows: unknown emails are checked against it so they cost the same time. */
export const DECOY_PASSWORD_HASH = `${PEPPERED}$${PBKDF2_ITERATIONS}$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=`;

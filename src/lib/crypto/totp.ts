// TOTP, RFC 6238: HMAC-SHA-1, 30-second steps, 6 digits, accepting ±1 step of clock drift.
import { type Bytes, fromBase32, randomBytes, toBase32 } from "./encoding";

export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;

export const newTotpSecret = (): string => toBase32(randomBytes(20));
export const totpStep = (at: Date) => Math.floor(at.getTime() / 1000 / TOTP_PERIOD_SECONDS);

export async function totpCode(secretBase32: string, step: number): Promise<string> {
  const key = await crypto.subtle.importKey("raw", fromBase32(secretBase32), { name: "HMAC", hash: "SHA-1" }, false, ["sign"]);
  const msg = new Uint8Array(8) as Bytes;
  new DataView(msg.buffer).setBigUint64(0, BigInt(step));
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, msg));
  const offset = (mac[mac.length - 1] ?? 0) & 0x0f;
  const bin = (((mac[offset] ?? 0) & 0x7f) << 24) | ((mac[offset + 1] ?? 0) << 16) | ((mac[offset + 2] ?? 0) << 8) | (mac[offset + 3] ?? 0);
  return String(bin % 10 ** TOTP_DIGITS).padStart(TOTP_DIGITS, "0");
}

/** The step the code belongs to (now, one before or one after), or null if it matches none. */
export async function matchTotp(secretBase32: string, code: string, at: Date): Promise<number | null> {
  if (!/^\d{6}$/.test(code)) return null;
  const now = totpStep(at);
  let matched: number | null = null;
  // Check every candidate step so the time taken does not depend on which one matched.
  for (const step of [now - 1, now, now + 1]) {
    if ((await totpCode(secretBase32, step)) === code && matched === null) matched = step;
  }
  return matched;
}

export function otpauthUri(secretBase32: string, account: string, issuer = "MoviesNow"): string {
  const label = encodeURIComponent(`${issuer}:${account}`);
  const q = new URLSearchParams({
    secret: secretBase32,
    issuer,
    algorithm: "SHA1",
    digits: String(TOTP_DIGITS),
    period: String(TOTP_PERIOD_SECONDS),
  });
  return `otpauth://totp/${label}?${q.toString()}`;
}

import { describe, expect, it } from "vitest";
import { fromBase32, toBase32, utf8 } from "../../src/lib/crypto/encoding";
import { hashPassword, verifyPassword } from "../../src/lib/crypto/password";
import { open, seal } from "../../src/lib/crypto/secret-box";
import { matchTotp, otpauthUri, totpCode } from "../../src/lib/crypto/totp";
import { legacyHash } from "../support/legacy-password";

const RFC_SECRET = toBase32(utf8("12345678901234567890"));

describe("TOTP (RFC 6238, SHA-1, 6 digits)", () => {
  it("matches the RFC's test vectors", async () => {
    const vectors: [number, string][] = [
      [59, "287082"],
      [1111111109, "081804"],
      [1111111111, "050471"],
      [1234567890, "005924"],
      [2000000000, "279037"],
      [20000000000, "353130"],
    ];
    for (const [t, code] of vectors) expect(await totpCode(RFC_SECRET, Math.floor(t / 30))).toBe(code);
  });

  it("accepts one step either side and nothing further", async () => {
    const at = new Date(1_700_000_000_000);
    const step = Math.floor(at.getTime() / 30_000);
    for (const d of [-1, 0, 1]) expect(await matchTotp(RFC_SECRET, await totpCode(RFC_SECRET, step + d), at)).toBe(step + d);
    for (const d of [-2, 2]) expect(await matchTotp(RFC_SECRET, await totpCode(RFC_SECRET, step + d), at)).toBeNull();
    expect(await matchTotp(RFC_SECRET, "12345", at)).toBeNull();
  });

  it("builds an otpauth URI authenticator apps read", () => {
    const uri = new URL(otpauthUri(RFC_SECRET, "ops@moviesnow.test"));
    expect(uri.protocol).toBe("otpauth:");
    expect(uri.host).toBe("totp");
    expect(decodeURIComponent(uri.pathname)).toBe("/MoviesNow:ops@moviesnow.test");
    expect(Object.fromEntries(uri.searchParams)).toEqual({
      secret: RFC_SECRET,
      issuer: "MoviesNow",
      algorithm: "SHA1",
      digits: "6",
      period: "30",
    });
  });

  it("base32 round-trips", () => {
    const bytes = crypto.getRandomValues(new Uint8Array(20));
    expect(fromBase32(toBase32(bytes))).toEqual(bytes);
  });
});

describe("passwords (PBKDF2-SHA256 over a peppered HMAC)", () => {
  const pepper = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
  it("verifies the right password only, with a per-hash salt and the iteration count stored", async () => {
    const h1 = await hashPassword("correct horse battery staple", pepper);
    const h2 = await hashPassword("correct horse battery staple", pepper);
    expect(h1).not.toBe(h2);
    expect(h1).toMatch(/^pbkdf2-sha256-pepper1\$100000\$/);
    expect(await verifyPassword("correct horse battery staple", h1, pepper)).toEqual({ ok: true, needsRehash: false });
    expect((await verifyPassword("correct horse battery stapler", h1, pepper)).ok).toBe(false);
    expect((await verifyPassword("x", "garbage", pepper)).ok).toBe(false);
  });

  it("a stored hash is useless without the Worker's secret: under another pepper even the right password fails", async () => {
    const other = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
    const h = await hashPassword("correct horse battery staple", pepper);
    expect((await verifyPassword("correct horse battery staple", h, other)).ok).toBe(false);
  });

  it("a hash from before the pepper still verifies, and asks to be replaced", async () => {
    const legacy = await legacyHash("correct horse battery staple");
    expect(await verifyPassword("correct horse battery staple", legacy, pepper)).toEqual({ ok: true, needsRehash: true });
    expect((await verifyPassword("wrong", legacy, pepper)).ok).toBe(false);
  });
});

describe("secrets at rest (AES-256-GCM)", () => {
  const key = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
  it("opens what it sealed, only with the same key and row binding", async () => {
    const sealed = await seal("JBSWY3DPEHPK3PXP", key, "admin:1");
    expect(sealed).not.toContain("JBSWY3DPEHPK3PXP");
    expect(await open(sealed, key, "admin:1")).toBe("JBSWY3DPEHPK3PXP");
    await expect(open(sealed, key, "admin:2")).rejects.toThrow();
    const other = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
    await expect(open(sealed, other, "admin:1")).rejects.toThrow();
  });
});

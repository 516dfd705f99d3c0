// CloudFront signed URLs: canned policy, RSA signature that verifies against the public key,
// the right expiry; PKCS#1 and PKCS#8 keys; SHA-1 and SHA-256; one wildcard custom policy for a
// folder (an HLS tier's segments).
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../../../src/http/app";
import { cannedPolicy, fromCloudFrontBase64, pemToPkcs8 } from "../../../src/lib/cloudfront";
import { toBase64 } from "../../../src/lib/crypto/encoding";
import { createCloudFrontSigner } from "../../../src/platform/url-signer";
import { pseudoBytes, publishedMovieWith } from "../../support/delivery";

async function keyPair(hash: "SHA-1" | "SHA-256") {
  const kp = (await crypto.subtle.generateKey(
    { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash },
    true,
    ["sign", "verify"],
  )) as CryptoKeyPair;
  const der = new Uint8Array((await crypto.subtle.exportKey("pkcs8", kp.privateKey)) as ArrayBuffer);
  const pem = `-----BEGIN PRIVATE KEY-----\n${toBase64(der).replace(/(.{64})/g, "$1\n")}\n-----END PRIVATE KEY-----\n`;
  return { pem, der, publicKey: kp.publicKey };
}

async function verify(url: string, publicKey: CryptoKey) {
  const u = new URL(url);
  const sig = fromCloudFrontBase64(u.searchParams.get("Signature") ?? "");
  const expires = Number(u.searchParams.get("Expires"));
  for (const p of ["Expires", "Signature", "Key-Pair-Id", "Hash-Algorithm"]) u.searchParams.delete(p);
  const ok = await crypto.subtle.verify("RSASSA-PKCS1-v1_5", publicKey, sig, new TextEncoder().encode(cannedPolicy(u.toString(), expires)));
  return { ok, expires };
}

describe("CloudFront signer", () => {
  const now = new Date("2026-11-22T10:00:00Z");
  const clock = { now: () => now };

  it("signs a canned policy with SHA-1 that verifies against the public key and expires when asked", async () => {
    const k = await keyPair("SHA-1");
    const signer = createCloudFrontSigner(
      { domain: "d111111abcdef8.cloudfront.net", keyPairId: "K2JCJMDEHXQW5F", privateKeyPem: k.pem, hash: "SHA1" },
      clock,
    );
    const s = await signer.signGet("originals/t/Épisode 1+2.mkv", { expiresIn: 600, disposition: 'attachment; filename="x.mkv"' });
    const u = new URL(s.url);
    expect(u.origin).toBe("https://d111111abcdef8.cloudfront.net");
    expect(u.pathname).toBe("/originals/t/%C3%89pisode%201%2B2.mkv");
    expect(u.searchParams.get("Key-Pair-Id")).toBe("K2JCJMDEHXQW5F");
    expect(u.searchParams.get("Hash-Algorithm")).toBeNull();
    expect(u.searchParams.get("Signature")).toMatch(/^[A-Za-z0-9~_-]+$/);
    const v = await verify(s.url, k.publicKey);
    expect(v.ok).toBe(true);
    expect(v.expires).toBe(now.getTime() / 1000 + 600);
    expect(s.expiresAt.toISOString()).toBe("2026-11-22T10:10:00.000Z");
    // Tampering with the resource breaks the signature.
    expect((await verify(s.url.replace("Episode", "Episodf").replace("%C3%89pisode", "%C3%89pisodf"), k.publicKey)).ok).toBe(false);
  });

  it("signs with SHA-256 when configured, and marks it", async () => {
    const k = await keyPair("SHA-256");
    const signer = createCloudFrontSigner({ domain: "cdn.moviesnow.test", keyPairId: "KID", privateKeyPem: k.pem, hash: "SHA256" }, clock);
    const s = await signer.signGet("downloads/t/a.mp4", { expiresIn: 60 });
    expect(new URL(s.url).searchParams.get("Hash-Algorithm")).toBe("SHA256");
    expect((await verify(s.url, k.publicKey)).ok).toBe(true);
  });

  it("accepts the PKCS#1 'RSA PRIVATE KEY' PEM CloudFront hands out", async () => {
    const k = await keyPair("SHA-1");
    // PKCS#8 = SEQUENCE { version, algorithm, OCTET STRING { PKCS#1 } }: take the PKCS#1 out.
    const der = k.der;
    let i = 2 + ((der[1] ?? 0) & 0x80 ? (der[1] ?? 0) & 0x7f : 0) + 3 + 15;
    i += 1;
    const lenByte = der[i] ?? 0;
    const lenBytes = lenByte & 0x80 ? lenByte & 0x7f : 0;
    const pkcs1 = der.slice(i + 1 + lenBytes);
    const pem1 = `-----BEGIN RSA PRIVATE KEY-----\n${toBase64(pkcs1)}\n-----END RSA PRIVATE KEY-----`;
    expect(pemToPkcs8(pem1)).toEqual(der);
    const signer = createCloudFrontSigner(
      { domain: "cdn.test", keyPairId: "K", privateKeyPem: pem1.replace(/\n/g, "\\n"), hash: "SHA1" },
      clock,
    );
    expect((await verify((await signer.signGet("a/b", { expiresIn: 60 })).url, k.publicKey)).ok).toBe(true);
  });

  it("is what delivery uses once CloudFront is configured, signing with SHA-256 by default", async () => {
    const k = await keyPair("SHA-256");
    const { assets } = await publishedMovieWith([{ kind: "ORIGINAL", filename: "o.mkv", bytes: pseudoBytes(4, 1) }]);
    const e = { ...env, CLOUDFRONT_DOMAIN: "cdn.moviesnow.test", CLOUDFRONT_KEY_PAIR_ID: "KCF", CLOUDFRONT_PRIVATE_KEY: k.pem };
    const res = await createApp({ logSink: () => {} }).request(
      "/api/v1/delivery/download-url",
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ storage_key: assets[0]?.storage_key, ttl_seconds: 300 }),
      },
      e,
    );
    expect(res.status).toBe(200);
    const { url } = (await res.json()) as { url: string };
    expect(new URL(url).host).toBe("cdn.moviesnow.test");
    expect(new URL(url).searchParams.get("response-content-disposition")).toMatch(/^attachment;/);
    expect(new URL(url).searchParams.get("Hash-Algorithm")).toBe("SHA256");
    expect((await verify(url, k.publicKey)).ok).toBe(true);
  });

  it("grants a folder with one wildcard custom policy that verifies and covers only that folder", async () => {
    const k = await keyPair("SHA-256");
    const signer = createCloudFrontSigner({ domain: "cdn.moviesnow.test", keyPairId: "KF", privateKeyPem: k.pem, hash: "SHA256" }, clock);
    const folder = "hls/t1/720p/";
    const sign = await signer.folderSigner(folder, { expiresIn: 900 });
    const urls = await Promise.all(["hls/t1/720p/seg_1.m4s", "hls/t1/720p/v/seg 2.m4s"].map(sign));
    const queries = urls.map((u) => new URL(u).search);
    expect(new Set(queries).size).toBe(1); // signed once
    const q = new URL(urls[0] as string).searchParams;
    const policy = new TextDecoder().decode(fromCloudFrontBase64(q.get("Policy") ?? ""));
    const stmt = (JSON.parse(policy) as { Statement: { Resource: string; Condition: { DateLessThan: { "AWS:EpochTime": number } } }[] })
      .Statement[0];
    expect(stmt?.Resource).toBe("https://cdn.moviesnow.test/hls/t1/720p/*");
    expect(stmt?.Condition.DateLessThan["AWS:EpochTime"]).toBe(now.getTime() / 1000 + 900);
    for (const u of urls) expect(u.startsWith("https://cdn.moviesnow.test/hls/t1/720p/")).toBe(true);
    expect(q.get("Key-Pair-Id")).toBe("KF");
    expect(q.get("Hash-Algorithm")).toBe("SHA256");
    const sig = fromCloudFrontBase64(q.get("Signature") ?? "");
    expect(await crypto.subtle.verify("RSASSA-PKCS1-v1_5", k.publicKey, sig, new TextEncoder().encode(policy))).toBe(true);
    // Another tier's folder is not in the grant, and is not signed with it.
    await expect(sign("hls/t1/1080p/seg_1.m4s")).rejects.toThrow(/outside the signed folder/);
  });
});

// The local CDN as strict as our CloudFront distribution: signed URLs checked with the key group's
// public keys (canned and folder policies, SHA-1 and SHA-256), 403 for a bad, expired, foreign or
// missing signature, only the cache policy's query strings forwarded (none on hls/*), nosniff,
// CORS for the player origins only. URLs are made by the Worker's own CloudFront signer.
import { generateKeyPairSync } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCdn } from "../../../scripts/stack/cdn.ts";
import { s3, s3Env } from "../../../scripts/stack/config.ts";
import { systemClock } from "../../../src/platform/clock.ts";
import { createCloudFrontSigner } from "../../../src/platform/url-signer.ts";
import { pseudoBytes } from "../../support/bytes.ts";
import { startFaultProxy } from "../../support/fault-proxy.ts";
import { stackS3 } from "../../support/node-stack.ts";

const SITE = "https://player.moviesnow.test";
const pair = () => {
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return {
    publicPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
    privatePem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
  };
};
const trusted = pair();
const stranger = pair();
const store = stackS3();
const id = crypto.randomUUID();
const segment = `hls/${id}/720p/seg-00001.m4s`;
const film = `downloads/${id}/1080p/film.mp4`;
const bytes = pseudoBytes(300_000, 7);

let cdn: ReturnType<typeof createCdn>;
let proxy: Awaited<ReturnType<typeof startFaultProxy>>;
let base = "";
const signer = (keyPairId = "KTRUSTED", privatePem = trusted.privatePem, hash: "SHA1" | "SHA256" = "SHA256", clock = systemClock) =>
  createCloudFrontSigner({ domain: base, keyPairId, privateKeyPem: privatePem, hash }, clock);

beforeAll(async () => {
  await store.put(segment, bytes);
  await store.put(film, bytes);
  // S3 behind a recording proxy: what the CDN forwards is read off its log.
  proxy = await startFaultProxy(s3Env.S3_ENDPOINT, () => ({ kind: "pass" }));
  cdn = createCdn({
    s3: { endpoint: proxy.url, bucket: s3.bucket, region: s3.region, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    publicKeys: { KTRUSTED: trusted.publicPem, KOLD: pair().publicPem },
    playerOrigins: [SITE],
  });
  base = await cdn.listen();
});
afterAll(async () => {
  await cdn?.close();
  await proxy?.close();
});

const code = async (res: Response) => (await res.text()).match(/<Code>([^<]+)<\/Code>/)?.[1];

describe("the local CDN", () => {
  it("serves a URL the Worker signed, with SHA-256 or SHA-1, forwarding the download name and nothing else", async () => {
    for (const hash of ["SHA256", "SHA1"] as const) {
      const { url } = await signer("KTRUSTED", trusted.privatePem, hash).signGet(film, {
        expiresIn: 60,
        disposition: 'attachment; filename="film.mp4"',
      });
      const res = await fetch(url);
      expect(res.status, hash).toBe(200);
      expect(res.headers.get("content-disposition")).toBe('attachment; filename="film.mp4"');
      expect(Buffer.from(await res.arrayBuffer()).equals(Buffer.from(bytes))).toBe(true);
    }
    // The second is the same cache key: answered from the edge, one origin request in all.
    const sent = proxy.log.filter((l) => l.path.includes(film));
    expect(sent.length).toBe(1);
    for (const l of sent) {
      const q = new URL(l.path, "http://x").searchParams;
      expect([...q.keys()]).toEqual(["response-content-disposition"]);
    }
  });

  it("passes a Range through, as CloudFront does for a player seeking", async () => {
    const { url } = await signer().signGet(film, { expiresIn: 60 });
    const res = await fetch(url, { headers: { range: "bytes=100-199" } });
    expect(res.status).toBe(206);
    expect(Buffer.from(await res.arrayBuffer()).equals(Buffer.from(bytes.subarray(100, 200)))).toBe(true);
  });

  it("answers 403 to a tampered, expired, foreign-key, unknown-key or missing signature", async () => {
    const { url } = await signer().signGet(film, { expiresIn: 60 });
    const tampered = new URL(url);
    tampered.pathname = `/downloads/${id}/1080p/other.mp4`;
    const sig = new URL(url);
    sig.searchParams.set("Signature", `${sig.searchParams.get("Signature")?.slice(0, -4)}AAAA`);
    const past = { now: () => new Date(Date.now() - 3600_000) };
    const expired = (await signer("KTRUSTED", trusted.privatePem, "SHA256", past).signGet(film, { expiresIn: 60 })).url;
    const foreign = (await signer("KTRUSTED", stranger.privatePem).signGet(film, { expiresIn: 60 })).url;
    const unknown = (await signer("KNOBODY", trusted.privatePem).signGet(film, { expiresIn: 60 })).url;
    const oldKeyWrongPair = (await signer("KOLD", trusted.privatePem).signGet(film, { expiresIn: 60 })).url;
    for (const [what, u] of [
      ["tampered path", tampered.toString()],
      ["tampered signature", sig.toString()],
      ["expired", expired],
      ["signed with a key outside the group", foreign],
      ["unknown key pair id", unknown],
      ["another key's id", oldKeyWrongPair],
    ] as const) {
      const res = await fetch(u);
      expect(res.status, what).toBe(403);
      expect(await code(res), what).toBe("AccessDenied");
    }
    const bare = await fetch(`${base}/${film}`);
    expect(bare.status).toBe(403);
    expect(await code(bare)).toBe("MissingKey");
  });

  it("takes one folder policy for every segment of a tier, and nothing outside the folder", async () => {
    const sign = await signer().folderSigner(`hls/${id}/720p/`, { expiresIn: 60 });
    const ok = await fetch(await sign(segment));
    expect(ok.status).toBe(200);
    await ok.arrayBuffer();
    const query = new URL(await sign(segment)).search;
    const outside = await fetch(`${base}/${film}${query}`);
    expect(outside.status).toBe(403);
  });

  it("on a tier folder's policy, forwards no response override: a segment can't be served as a page", async () => {
    const sign = await signer().folderSigner(`hls/${id}/720p/`, { expiresIn: 60 });
    const url = new URL(await sign(segment));
    url.searchParams.set("response-content-type", "text/html");
    url.searchParams.set("response-content-disposition", "inline");
    const before = proxy.log.length;
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).not.toMatch(/html/);
    expect(res.headers.get("content-disposition")).toBeNull();
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    await res.arrayBuffer();
    // Not part of the cache key either: the segment is answered as cached, or fetched without them.
    const forwarded = proxy.log.slice(before).map((r) => r.path);
    expect(forwarded.length).toBeLessThanOrEqual(1);
    for (const f of forwarded) expect(f).not.toMatch(/response-content/);
  });

  it("keeps what it served under the URL's cache key: a replaced object is old bytes at the same URL, new bytes at a new version", async () => {
    const key = `downloads/${id}/source/replaced.mkv`;
    await store.put(key, pseudoBytes(1000, 1));
    const open = async (version: string) => {
      const { url } = await signer().signGet(key, { expiresIn: 60, version });
      const res = await fetch(url);
      expect(res.status).toBe(200);
      return { cache: res.headers.get("x-cache"), bytes: Buffer.from(await res.arrayBuffer()) };
    };
    expect(await open("asset-1")).toMatchObject({ cache: "Miss from local-cdn" });
    await store.put(key, pseudoBytes(1000, 2)); // deleted and registered again under the same name
    const same = await open("asset-1");
    expect(same.cache).toBe("Hit from local-cdn");
    expect(same.bytes.equals(Buffer.from(pseudoBytes(1000, 1)))).toBe(true);
    const next = await open("asset-2");
    expect(next.cache).toBe("Miss from local-cdn");
    expect(next.bytes.equals(Buffer.from(pseudoBytes(1000, 2)))).toBe(true);
  });

  it("answers CORS for the player origins only, never *", async () => {
    const { url } = await signer().signGet(segment, { expiresIn: 60 });
    const mine = await fetch(url, { headers: { origin: SITE } });
    expect(mine.headers.get("access-control-allow-origin")).toBe(SITE);
    await mine.arrayBuffer();
    const other = await fetch(url, { headers: { origin: "https://elsewhere.test" } });
    expect(other.status).toBe(200);
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
    await other.arrayBuffer();
    const preflight = await fetch(url, {
      method: "OPTIONS",
      headers: { origin: SITE, "access-control-request-method": "GET", "access-control-request-headers": "range" },
    });
    expect(preflight.headers.get("access-control-allow-origin")).toBe(SITE);
    expect(preflight.headers.get("access-control-allow-headers")).toBe("range");
    const refused = await fetch(url, {
      method: "OPTIONS",
      headers: { origin: "https://elsewhere.test", "access-control-request-method": "GET" },
    });
    expect(refused.headers.get("access-control-allow-origin")).toBeNull();
  });
});

// bench/hls-playlist: the Worker's cost to serve one stream tier's playlist of a two-hour film in
// 4 s segments (1,800 segments + init map), rewritten with every URI signed: S3 presigning (one
// SigV4 URL per segment, the day's key cached), CloudFront with one wildcard custom policy for the
// tier's folder (what the Worker does), and CloudFront signing each segment's URL on its own (one
// RSA signature each; what a wildcard saves). The playlist text comes from memory, so the numbers
// are the rewrite and signing alone; reading it from S3 is one GET on top.
//   npm run bench:hls-playlist [-- --runs 20]

import { mkdirSync, writeFileSync } from "node:fs";
import { rewritePlaylist } from "../src/features/delivery/hls.ts";
import { toBase64 } from "../src/lib/crypto/encoding.ts";
import { createS3, type ObjectStore } from "../src/platform/s3.ts";
import { createCloudFrontSigner, createS3Signer, type UrlSigner } from "../src/platform/url-signer.ts";
import { arg } from "./lib.ts";

const runs = Number(arg("runs", "20"));
const SEGMENTS = 1800;
const folder = "hls/0b6f3a4e-8d1c-4c57-9a43-5f0e7c1d2b3a/1080p/";
const baseKey = `${folder}index.m3u8`;
const playlist = [
  "#EXTM3U",
  "#EXT-X-VERSION:7",
  "#EXT-X-TARGETDURATION:4",
  "#EXT-X-PLAYLIST-TYPE:VOD",
  '#EXT-X-MAP:URI="init.mp4"',
  ...Array.from({ length: SEGMENTS }, (_, i) => `#EXTINF:4.000000,\nseg_${String(i).padStart(5, "0")}.m4s`),
  "#EXT-X-ENDLIST",
  "",
].join("\n");

const clock = { now: () => new Date() };
const s3 = createS3({
  AWS_BUCKET_NAME: "moviesnow-media",
  AWS_REGION: "us-east-1",
  AWS_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE",
  AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
});
// Only `get` is read by the rewrite: the playlist from memory, as S3 would answer it.
const store = { ...s3, get: async () => new Response(playlist, { headers: { "content-length": String(playlist.length) } }) } as ObjectStore;

const kp = (await crypto.subtle.generateKey(
  { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
  true,
  ["sign"],
)) as CryptoKeyPair;
const der = new Uint8Array((await crypto.subtle.exportKey("pkcs8", kp.privateKey)) as ArrayBuffer);
const pem = `-----BEGIN PRIVATE KEY-----\n${toBase64(der)}\n-----END PRIVATE KEY-----\n`;
const cloudFront = createCloudFrontSigner(
  { domain: "media.moviesnow.example", keyPairId: "K2JCJMDEHXQW5F", privateKeyPem: pem, hash: "SHA256" },
  clock,
);
/** CloudFront without the folder grant: a canned policy and an RSA signature per segment. */
const perSegment: UrlSigner = {
  ...cloudFront,
  async folderSigner(_folder, opts) {
    return async (key) => (await cloudFront.signGet(key, opts)).url;
  },
};

const modes: Record<string, UrlSigner> = {
  "S3 presign per segment": createS3Signer(s3, clock),
  "CloudFront folder policy": cloudFront,
  "CloudFront per segment": perSegment,
};

async function serve(signer: UrlSigner): Promise<number> {
  const t0 = performance.now();
  const body = await rewritePlaylist({
    s3: store,
    signer,
    baseKey,
    version: "bench",
    path: "",
    segmentTtl: 4 * 3600,
    subPlaylistUrl: async (p) => p,
  });
  const ms = performance.now() - t0;
  if (body.split("\n").filter((l) => l.startsWith("https://")).length !== SEGMENTS) throw new Error("not every segment was signed");
  return ms;
}

const results: Record<string, { median_ms: number; p90_ms: number }> = {};
for (const [name, signer] of Object.entries(modes)) {
  await serve(signer); // warm up: key import, signing-key derivation
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(await serve(signer));
  times.sort((a, b) => a - b);
  results[name] = { median_ms: times[Math.floor(runs / 2)] ?? 0, p90_ms: times[Math.floor(runs * 0.9)] ?? 0 };
}
const folderPolicy = results["CloudFront folder policy"]?.median_ms ?? 1;
console.log(`one ${SEGMENTS}-segment playlist rewritten and signed (node ${process.version}, ${runs} runs each)`);
console.log(`${"mode".padEnd(28)}${"median ms".padStart(12)}${"p90 ms".padStart(10)}${"× folder policy".padStart(18)}`);
for (const [name, r] of Object.entries(results))
  console.log(
    `${name.padEnd(28)}${r.median_ms.toFixed(1).padStart(12)}${r.p90_ms.toFixed(1).padStart(10)}${(r.median_ms / folderPolicy).toFixed(1).padStart(18)}`,
  );
const out = new URL("../.local/bench/", import.meta.url);
mkdirSync(out, { recursive: true });
writeFileSync(
  new URL("hls-playlist.json", out),
  `${JSON.stringify({ at: new Date().toISOString(), segments: SEGMENTS, runs, results }, null, 2)}\n`,
);

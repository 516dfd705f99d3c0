// An instant season ZIP past 4 GiB (ZIP64), over HTTP from wrangler dev: a 4 GiB + episode (an
// S3 object assembled from one stored segment, so nothing writes gigabytes) checksummed by the job
// service, a small second episode with a subtitle, a poster. The test reads only the archive's
// first and last MiBs and a range across the 4 GiB mark, lays them into a sparse file of the
// archive's exact length, and lets Python's zipfile, unzip and 7-Zip read the central directory,
// every small member (CRC-checked) and the big member's local header from it.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pseudoBytes } from "../../support/bytes.ts";
import { adminOverHttp, adminWorkerVars } from "../../support/http-admin.ts";
import { type HttpWorker, startHttpWorker } from "../../support/http-worker.ts";
import { type RepeatedObject, repeatedObject } from "../../support/large-object.ts";
import { stackS3 } from "../../support/node-stack.ts";

const run = promisify(execFile);
const MiB = 1024 * 1024;
const FOUR_GIB = 4 * 1024 * MiB;
const ADMIN_KEY = `zip64-${crypto.randomUUID()}`;
const s3 = stackS3();
const dir = mkdtempSync(join(tmpdir(), "mn-zip64-"));
let worker: HttpWorker;
let big: RepeatedObject | undefined;

beforeAll(async () => {
  worker = await startHttpWorker(adminWorkerVars(ADMIN_KEY));
}, 120_000);
afterAll(async () => {
  await big?.remove();
  await worker?.stop();
  rmSync(dir, { recursive: true, force: true });
});

type Asset = { id: string; storage_key: string; sha256: string | null; crc32: number | null; object_etag: string | null };

// What Python's zipfile reads from the sparse file: every entry of the central directory, the
// small members in full (zipfile checks each CRC-32), the big one's first MiB through its local header.
const PY = `
import hashlib, json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
out = []
for i in z.infolist():
    d = {"name": i.filename, "size": i.file_size, "compressed": i.compress_size, "crc": i.CRC, "offset": i.header_offset, "method": i.compress_type}
    if i.file_size < 64 * 1024 * 1024:
        data = z.read(i)
        d["sha256"] = hashlib.sha256(data).hexdigest()
        if i.filename.endswith("MANIFEST.json"):
            d["text"] = data.decode("utf-8")
    else:
        with z.open(i) as f:
            d["first_mib_sha256"] = hashlib.sha256(f.read(1 << 20)).hexdigest()
    out.append(d)
print(json.dumps(out))
`;

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

describe("instant season ZIPs past 4 GiB", () => {
  it("have a ZIP64 central directory that Python, unzip and 7-Zip read, and exact bytes at the end and across 4 GiB", async () => {
    const admin = adminOverHttp(worker.api, ADMIN_KEY);
    const tag = crypto.randomUUID().slice(0, 8);
    const title = await admin<{ id: string; slug: string }>("POST", "/admin/titles", {
      kind: "series",
      name: `Long Haul ${tag}`,
      year: 2025,
    });
    const ep = async (n: number, name: string) =>
      admin<{ id: string }>("POST", `/admin/titles/${title.id}/episodes`, { season_number: 1, episode_number: n, name });
    const e1 = await ep(1, "The Long One");
    const e2 = await ep(2, "Short");

    /** Registered, stored by `store` at its key, HEADed and checksummed (by the job service when large). */
    const asset = async (body: Record<string, unknown>, size: number, store: (key: string) => Promise<void>): Promise<Asset> => {
      const c = await admin<{ asset: Asset }>("POST", `/admin/titles/${title.id}/assets`, { ...body, size_bytes: size });
      await store(c.asset.storage_key);
      await admin("GET", `/admin/assets/${c.asset.id}/head`);
      for (let i = 0; i < 600; i++) {
        const r = await admin<{ asset?: Asset }>("POST", `/admin/assets/${c.asset.id}/checksum`);
        if (r.asset) return r.asset;
        await new Promise((ok) => setTimeout(ok, 1000));
      }
      throw new Error(`${c.asset.storage_key} was not checksummed in time`);
    };
    const put = (bytes: Uint8Array<ArrayBuffer>) => async (key: string) => void (await s3.put(key, bytes));

    // 513 × 8 MiB + 4,097 bytes: past 4 GiB by 8 MiB, and not part-aligned.
    const video1 = await asset(
      { kind: "ORIGINAL", episode_id: e1.id, filename: "long.mkv", content_type: "video/x-matroska" },
      513 * 8 * MiB + 4097,
      async (key) => {
        big = await repeatedObject(s3, key, {
          segmentBytes: 8 * MiB,
          count: 513,
          tailBytes: 4097,
          seed: 64,
          contentType: "video/x-matroska",
        });
      },
    );
    const longOne = big as RepeatedObject;
    expect(longOne.size).toBeGreaterThan(FOUR_GIB);
    // The job's CRC-32 is the bytes' own (worked out here without reading them; SHA-256 at the end).
    expect(video1.crc32).toBe(longOne.crc32);
    expect(video1.object_etag).toMatch(/-N"$|-\d+"$/);

    const small = pseudoBytes(300 * 1024 + 7, 65);
    await asset({ kind: "ORIGINAL", episode_id: e2.id, filename: "short.mkv" }, small.length, put(small));
    const srt = new TextEncoder().encode("1\n00:00:01,000 --> 00:00:02,000\nStill here.\n\n".repeat(50));
    await asset({ kind: "SUBTITLE", episode_id: e2.id, filename: "short.en.srt", language: "en", is_default: true }, srt.length, put(srt));
    const poster = pseudoBytes(20_000, 66);
    await asset({ kind: "ARTWORK", filename: "poster.jpg", label: "Poster" }, poster.length, put(poster));
    await admin("POST", `/admin/titles/${title.id}/publish?force=true`);

    // bundle-status hands out the instant URL (and starts no rebuild).
    const status = await fetch(`${worker.api}/delivery/bundle-status?title_id=${title.id}&season_number=1`);
    const instantUrl = ((await status.json()) as { instant_url: string | null }).instant_url;
    expect(instantUrl).toBeTruthy();
    const url = instantUrl as string;

    const head = await fetch(url, { method: "HEAD" });
    expect(head.status).toBe(200);
    const n = Number(head.headers.get("content-length"));
    expect(n).toBeGreaterThan(longOne.size);
    const ranged = async (range: string) => {
      const r = await fetch(url, { headers: { range } });
      expect(r.status, range).toBe(206);
      return { bytes: new Uint8Array(await r.arrayBuffer()), contentRange: r.headers.get("content-range") };
    };
    const first = await ranged(`bytes=0-${2 * MiB - 1}`);
    const tailLength = 4 * MiB;
    const last = await ranged(`bytes=-${tailLength}`);
    expect(last.contentRange).toBe(`bytes ${n - tailLength}-${n - 1}/${n}`);
    expect(last.bytes.length).toBe(tailLength);

    // The archive's exact length with only those bytes in it: a sparse file.
    const file = join(dir, "season.zip");
    const fd = openSync(file, "w");
    writeSync(fd, first.bytes, 0, first.bytes.length, 0);
    writeSync(fd, last.bytes, 0, last.bytes.length, n - tailLength);
    closeSync(fd);

    const { stdout } = await run("python3", ["-c", PY, file], { maxBuffer: 16 * MiB });
    const members = JSON.parse(stdout) as {
      name: string;
      size: number;
      compressed: number;
      crc: number;
      offset: number;
      method: number;
      sha256?: string;
      first_mib_sha256?: string;
      text?: string;
    }[];
    const root = `Long Haul ${tag} (2025)`;
    expect(members.map((m) => m.name)).toEqual([
      `${root}/tvshow.nfo`,
      `${root}/poster.jpg`,
      `${root}/Season 01/Long Haul ${tag} - S01E01 - The Long One.mkv`,
      `${root}/Season 01/Long Haul ${tag} - S01E01 - The Long One.nfo`,
      `${root}/Season 01/Long Haul ${tag} - S01E02 - Short.mkv`,
      `${root}/Season 01/Long Haul ${tag} - S01E02 - Short.en.default.srt`,
      `${root}/Season 01/Long Haul ${tag} - S01E02 - Short.nfo`,
      `${root}/MANIFEST.json`,
    ]);
    const [, art, long, , short, sub, , manifest] = members;
    expect(long).toMatchObject({ size: longOne.size, compressed: longOne.size, crc: longOne.crc32, method: 0 });
    expect(long?.first_mib_sha256).toBe(sha256(longOne.slice(0, MiB)));
    // Every member after the long one starts past 4 GiB: ZIP64 offsets.
    for (const m of members.slice(3)) expect(m.offset).toBeGreaterThan(FOUR_GIB);
    expect(short).toMatchObject({ size: small.length, crc: expect.any(Number), sha256: sha256(small) });
    expect(sub).toMatchObject({ size: srt.length, method: 8, sha256: sha256(srt) });
    expect(art).toMatchObject({ sha256: sha256(poster) });
    const listed = JSON.parse(manifest?.text ?? "{}") as { members?: { name: string; size: number; sha256: string }[] };
    expect(JSON.stringify(listed)).toContain(String(longOne.size));
    expect(JSON.stringify(listed)).toContain(video1.sha256 as string);

    // The tail's bytes before the next member are the long video's last ones.
    const longData = (members[3]?.offset ?? 0) - longOne.size; // where the long video's bytes start
    const inTail = (members[3]?.offset ?? 0) - (n - tailLength);
    expect(inTail).toBeGreaterThan(MiB);
    expect(sha256(last.bytes.subarray(0, inTail))).toBe(sha256(longOne.slice(longOne.size - inTail, longOne.size)));
    // A range across the 4 GiB mark, inside the long video.
    const across = await ranged(`bytes=${FOUR_GIB - 100}-${FOUR_GIB + 99}`);
    expect(across.contentRange).toBe(`bytes ${FOUR_GIB - 100}-${FOUR_GIB + 99}/${n}`);
    expect(sha256(across.bytes)).toBe(sha256(longOne.slice(FOUR_GIB - 100 - longData, FOUR_GIB + 100 - longData)));

    // unzip and 7-Zip list the same central directory (their tests would read every byte).
    const unzip = await run("unzip", ["-l", file]);
    expect(unzip.stdout).toContain(String(longOne.size));
    const seven = await run("7zz", ["l", file]);
    expect(seven.stdout).toContain(String(longOne.size));
    expect(seven.stdout).not.toMatch(/ERROR|Warnings/);

    // The job's SHA-256 of the long video, which MANIFEST.json lists, is the bytes' own. Seconds of
    // hashing, so the event loop is let go between slices: a loop held that long lets pooled
    // keep-alive sockets go stale unnoticed, and the next request on one fails.
    const whole = createHash("sha256");
    for (let at = 0; at < longOne.size; at += 64 * MiB) {
      whole.update(longOne.slice(at, Math.min(longOne.size, at + 64 * MiB)));
      await new Promise((ok) => setImmediate(ok));
    }
    expect(video1.sha256).toBe(whole.digest("hex"));
  }, 300_000);
});

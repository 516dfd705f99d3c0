// The job service killed mid-build (SIGKILL, as a lost container): the SeasonBundle object retries
// to a good bundle, and the killed job's multipart upload is not left behind.
import { afterAll, describe, expect, it } from "vitest";
import { createS3 } from "../../src/adapters/s3";
import { keys } from "../../src/lib/storage-keys";
import { config } from "../support/admin";
import { sha256Hex } from "../support/admin-client";
import { bundleStatus, openUploadCount, requestBundle, seriesWithSeason, waitReady } from "../support/bundles";
import { control } from "../support/control";

const MiB = 1024 * 1024;

describe("a bundle job killed mid-way", () => {
  afterAll(async () => {
    await control("job/start");
  });

  it("is retried to a good bundle and leaves no multipart upload behind", async () => {
    const { title, season, files } = await seriesWithSeason([160 * MiB, 160 * MiB], { checksum: false });
    const s3 = createS3(config);
    const zipKey = keys.bundle(title.id, season);
    expect((await requestBundle(title.id, season)).status).toBe(202);
    expect(await openUploadCount(s3, zipKey)).toBe(1); // bytes are flowing
    expect((await control("job/kill")).status).toBe(204);
    // Still in progress: following the lost job, or already queued to retry it (the retry aborts
    // the killed job's upload before starting again).
    expect(["building", "queued"]).toContain((await bundleStatus(title.id, season)).status.state);
    expect((await control("job/start")).status).toBe(204);

    const ready = await waitReady(title.id, season, 50_000);
    expect(ready.status.attempt).toBeGreaterThan(1);
    expect(await s3.listMultipartUploads(zipKey)).toEqual([]);
    const zip = new Uint8Array(await (await fetch(ready.download?.url ?? "")).arrayBuffer());
    expect(await sha256Hex(zip)).toBe(ready.bundle?.sha256);
    const manifest = JSON.parse(await ((await s3.get(keys.bundleManifest(title.id, season))) as Response).text()) as {
      items: { sha256: string; size: number }[];
    };
    expect(manifest.items).toEqual(
      await Promise.all(files.map(async (f) => expect.objectContaining({ sha256: await sha256Hex(f.bytes), size: f.bytes.length }))),
    );
  }, 120_000);
});

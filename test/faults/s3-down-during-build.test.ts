// S3 stopped while a bundle job is writing the archive: the job fails (or rides the outage out),
// the season's Durable Object retries, the bundle becomes ready and sound once S3 is back, and no
// multipart upload is left behind.
import { afterAll, describe, expect, it } from "vitest";
import { createS3 } from "../../src/adapters/s3";
import { keys } from "../../src/lib/storage-keys";
import { config } from "../support/admin";
import { sha256Hex } from "../support/admin-client";
import { bundleStatus, openUploadCount, requestBundle, seriesWithSeason, waitReady } from "../support/bundles";
import { control } from "../support/control";

const MiB = 1024 * 1024;

describe("S3 stopped during a bundle build", () => {
  afterAll(async () => {
    await control("s3/start");
  });

  it("the build is retried to a good bundle once S3 is back, with no orphan multipart upload", async () => {
    const { title, season, files } = await seriesWithSeason([96 * MiB, 96 * MiB], { checksum: false });
    const s3 = createS3(config);
    const zipKey = keys.bundle(title.id, season);
    expect((await requestBundle(title.id, season)).status).toBe(202);
    expect(await openUploadCount(s3, zipKey)).toBe(1); // bytes are flowing
    expect((await control("s3/stop")).status).toBe(204);
    // Long enough for the job's own retries to run out.
    await new Promise((r) => setTimeout(r, 8000));
    expect(["building", "queued"]).toContain((await bundleStatus(title.id, season)).status.state);
    expect((await control("s3/start")).status).toBe(204);

    const ready = await waitReady(title.id, season, 90_000);
    expect(await s3.listMultipartUploads(zipKey)).toEqual([]);
    const zip = new Uint8Array(await (await fetch(ready.download?.url ?? "")).arrayBuffer());
    expect(await sha256Hex(zip)).toBe(ready.bundle?.sha256);
    expect(zip.length).toBeGreaterThan(files.reduce((n, f) => n + f.bytes.length, 0));
  }, 150_000);
});

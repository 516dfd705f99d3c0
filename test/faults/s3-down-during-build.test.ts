// S3 stopped while a bundle job is writing the archive: the job fails (or rides the outage out),
// the season's Durable Object retries, the bundle becomes ready and sound once S3 is back, and no
// multipart upload is left behind.
import { describe, expect, it } from "vitest";
import { bundleStatus, expectSoundBundle, seasonBeingBuilt, waitReady } from "../support/bundles";
import { control, startAgainAfterAll } from "../support/control";

const MiB = 1024 * 1024;

describe("S3 stopped during a bundle build", () => {
  startAgainAfterAll("s3");

  it("the build is retried to a good bundle once S3 is back, with no orphan multipart upload", async () => {
    const { title, season, files, s3, zipKey } = await seasonBeingBuilt([96 * MiB, 96 * MiB]);
    expect((await control("s3/stop")).status).toBe(204);
    // Long enough for the job's own retries to run out.
    await new Promise((r) => setTimeout(r, 8000));
    expect(["building", "queued"]).toContain((await bundleStatus(title.id, season)).status.state);
    expect((await control("s3/start")).status).toBe(204);

    const ready = await waitReady(title.id, season, 90_000);
    const zip = await expectSoundBundle(s3, zipKey, ready);
    expect(zip.length).toBeGreaterThan(files.reduce((n, f) => n + f.bytes.length, 0));
  }, 150_000);
});

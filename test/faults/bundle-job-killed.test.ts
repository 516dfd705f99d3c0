// The job service killed mid-build (SIGKILL, as a lost container): the SeasonBundle object retries
// to a good bundle, and the killed job's multipart upload is not left behind.
import { describe, expect, it } from "vitest";
import { keys } from "../../src/lib/storage-keys";
import { sha256Hex } from "../support/admin-client";
import { bundleStatus, expectSoundBundle, seasonBeingBuilt, waitReady } from "../support/bundles";
import { control, startAgainAfterAll } from "../support/control";

const MiB = 1024 * 1024;

describe("a bundle job killed mid-way", () => {
  startAgainAfterAll("job");

  it("is retried to a good bundle and leaves no multipart upload behind", async () => {
    const { title, season, files, s3, zipKey } = await seasonBeingBuilt([160 * MiB, 160 * MiB]);
    expect((await control("job/kill")).status).toBe(204);
    // Still in progress: following the lost job, or already queued to retry it (the retry aborts
    // the killed job's upload before starting again).
    expect(["building", "queued"]).toContain((await bundleStatus(title.id, season)).status.state);
    expect((await control("job/start")).status).toBe(204);

    const ready = await waitReady(title.id, season, 50_000);
    expect(ready.status.attempt).toBeGreaterThan(1);
    await expectSoundBundle(s3, zipKey, ready);
    const manifest = JSON.parse(await ((await s3.get(keys.bundleManifest(title.id, season))) as Response).text()) as {
      items: { sha256: string; size: number }[];
    };
    expect(manifest.items).toEqual(
      await Promise.all(files.map(async (f) => expect.objectContaining({ sha256: await sha256Hex(f.bytes), size: f.bytes.length }))),
    );
  }, 120_000);
});

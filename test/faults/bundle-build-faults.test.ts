// A season build that loses what it runs on mid-way: the job service killed (SIGKILL, as a lost
// container) or S3 stopped while the archive is being written. Either way the SeasonBundle object
// keeps the build in progress, retries once the service is back, and ends with a sound bundle whose
// manifest matches the sources, and no multipart upload is left behind.
import { describe, expect, it } from "vitest";
import { keys } from "../../src/lib/storage-keys";
import { sha256Hex } from "../support/admin-client";
import { bundleStatus, expectSoundBundle, seasonBeingBuilt, waitReady } from "../support/bundles";
import { control, startAgainAfterAll } from "../support/control";

const MiB = 1024 * 1024;

const faults = [
  // Killed at once: the next attempt aborts the killed job's upload before starting again.
  { name: "the job service killed", service: "job", stop: "job/kill", mib: 160, outageMs: 0, readyMs: 50_000, retried: true },
  // Down long enough for the job's own S3 retries to run out (or it may ride the outage out).
  { name: "S3 stopped", service: "s3", stop: "s3/stop", mib: 96, outageMs: 8000, readyMs: 90_000, retried: false },
] as const;

describe("a season build losing a service mid-way", () => {
  startAgainAfterAll("job");
  startAgainAfterAll("s3");

  for (const fault of faults) {
    it(`${fault.name}: retried to a good bundle once it is back, with no orphan multipart upload`, async () => {
      const { title, season, files, s3, zipKey } = await seasonBeingBuilt([fault.mib * MiB, fault.mib * MiB]);
      expect((await control(fault.stop)).status).toBe(204);
      await new Promise((r) => setTimeout(r, fault.outageMs));
      expect(["building", "queued"]).toContain((await bundleStatus(title.id, season)).status.state);
      expect((await control(`${fault.service}/start`)).status).toBe(204);

      const ready = await waitReady(title.id, season, fault.readyMs);
      if (fault.retried) expect(ready.status.attempt).toBeGreaterThan(1);
      const zip = await expectSoundBundle(s3, zipKey, ready);
      expect(zip.length).toBeGreaterThan(files.reduce((n, f) => n + f.bytes.length, 0));
      const manifest = JSON.parse(await ((await s3.get(keys.bundleManifest(title.id, season))) as Response).text()) as {
        items: { sha256: string; size: number; source_key: string | null }[];
      };
      // The videos (the NFO files and MANIFEST.json beside them are made by the job: no source).
      expect(manifest.items.filter((i) => i.source_key !== null)).toEqual(
        await Promise.all(files.map(async (f) => expect.objectContaining({ sha256: await sha256Hex(f.bytes), size: f.bytes.length }))),
      );
    }, 150_000);
  }
});

// Season bundles end to end: request → poll → ready → download; the archive's members match the
// manifest and the sources; rebuilds are byte-identical; one job however many ask; cooldown;
// expiry triggers a rebuild.
import { env, runInDurableObject, SELF } from "cloudflare:test";
import { unzipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { type SeasonBundle, seasonBundleStub } from "../../../src/features/bundles/season-bundle";
import { config } from "../../support/admin";
import { sha256Hex } from "../../support/admin-client";
import { bundleStatus, checkArchive, requestBundle, seriesWithSeason, waitReady } from "../../support/bundles";
import { jobClient } from "../../support/job-service";

const MiB = 1024 * 1024;
const get = async (url: string) => new Uint8Array(await (await fetch(url)).arrayBuffer());

describe("season bundles", () => {
  it("request → poll → ready → download: members match the manifest and the sources; a forced rebuild is byte-identical", async () => {
    const { admin, title, season, files } = await seriesWithSeason([3 * MiB + 17, 9 * MiB, 1234]);
    const first = await requestBundle(title.id, season);
    expect(first.status).toBe(202);
    expect(first.headers.get("location")).toBe(`/api/v1/delivery/bundle-status?title_id=${title.id}&season_number=${season}`);
    expect(Number(first.headers.get("retry-after"))).toBeGreaterThan(0);

    const ready = await waitReady(title.id, season);
    // Storage keys stay inside: the manifest has its own signed route.
    expect(ready.bundle).not.toHaveProperty("manifest_key");
    expect(ready.download).not.toHaveProperty("manifest_key");
    const zip = await get(ready.download?.url ?? "");
    const zipSha = await sha256Hex(zip);
    expect(zipSha).toBe(ready.bundle?.sha256);
    expect(zip.length).toBe(ready.bundle?.size_bytes);
    // The library layout: tvshow.nfo, each episode's video and NFO, MANIFEST.json.
    expect(ready.bundle?.item_count).toBe(8);

    // The archive as a user gets it, checked by Info-ZIP and Python.
    const check = await checkArchive(ready.download?.url ?? "");
    expect(check.unzip, check.unzip.output).toMatchObject({ ok: true });
    expect(check.python, check.python.output).toMatchObject({ ok: true });
    const show = title.name; // no year, and safe as it is
    const names = check.members.map((m) => m.name).filter((n) => n.endsWith(".mkv"));
    expect(names).toEqual(files.map((_, i) => `${show}/Season 01/${show} - S01E0${i + 1}.mkv`));
    const videos = check.members.filter((m) => m.name.endsWith(".mkv"));
    expect(videos.map((m) => m.sha256)).toEqual(await Promise.all(files.map((f) => sha256Hex(f.bytes))));
    const members = unzipSync(zip);
    const manifestRes = await SELF.fetch(`http://api.test/api/v1/titles/${title.id}/bundles/${season}/manifest`);
    expect(manifestRes.headers.get("cache-control")).toBe("no-store");
    const manifest = JSON.parse(new TextDecoder().decode(await get(((await manifestRes.json()) as { url: string }).url))) as {
      archive: { sha256: string; size: number };
      items: { name: string; sha256: string; size: number; source_key: string }[];
    };
    expect(manifest.archive).toMatchObject({ sha256: zipSha, size: zip.length });
    for (const [i, f] of files.entries()) {
      const got = members[names[i] as string] as Uint8Array<ArrayBuffer>;
      expect(await sha256Hex(got)).toBe(await sha256Hex(f.bytes));
      expect(manifest.items.find((m) => m.name === names[i])).toMatchObject({
        name: names[i],
        sha256: await sha256Hex(f.bytes),
        size: f.bytes.length,
        source_key: f.key,
      });
    }

    // Ready: asking again returns it, no new build.
    expect((await requestBundle(title.id, season)).status).toBe(200);

    // Forced rebuild, byte for byte the same archive.
    const rebuild = await admin.post<{ started: boolean }>(`/admin/titles/${title.id}/rebuild-bundle?season_number=${season}`);
    expect(rebuild.status).toBe(202);
    expect(rebuild.body.started).toBe(true);
    await new Promise((r) => setTimeout(r, 50));
    const again = await waitReady(title.id, season);
    expect(await sha256Hex(await get(again.download?.url ?? ""))).toBe(zipSha);

    const list = await admin.ok(
      200,
      admin.get<{ items: { id: string; status: string; storage_key: string }[] }>(`/admin/titles/${title.id}/bundles?include_expired=true`),
    );
    expect(list.items.map((b) => b.status).sort()).toEqual(["expired", "ready"]);
    // Every rebuild writes the same key: deleting the superseded row must leave the live archive.
    const [a, b] = list.items;
    expect(a?.storage_key).toBe(b?.storage_key);
    const superseded = list.items.find((x) => x.status === "expired");
    await admin.ok(204, admin.del(`/admin/bundles/${superseded?.id}`));
    const still = await waitReady(title.id, season);
    expect(await sha256Hex(await get(still.download?.url ?? ""))).toBe(zipSha);
  }, 90_000);

  it("200 concurrent requests for a missing season start exactly one job", async () => {
    const { title, season } = await seriesWithSeason([2 * MiB, 2 * MiB], { season: 3 });
    const results = await Promise.all(Array.from({ length: 200 }, () => requestBundle(title.id, season).then((r) => r.status)));
    expect(results.every((s) => s === 202 || s === 200)).toBe(true);
    await waitReady(title.id, season);
    const jobs = { items: await jobClient(config.JOB_RUNNER_URL ?? "", config.JOB_SERVICE_SECRET ?? "").list() };
    expect(jobs.items.filter((j) => j.id.startsWith(`bundle-${title.id}-S${season}-`))).toHaveLength(1);
  }, 90_000);

  it("honours the cooldown, which a forced rebuild bypasses; an expired bundle triggers a rebuild", async () => {
    const { admin, title, season } = await seriesWithSeason([1000, 2000]);
    await requestBundle(title.id, season);
    const built = await waitReady(title.id, season);
    const bundles = await admin.ok(200, admin.get<{ items: { id: string }[] }>(`/admin/titles/${title.id}/bundles`));

    // Expired: no longer served; a rebuild is refused while the season is in its cooldown…
    await admin.ok(200, admin.patch(`/admin/bundles/${bundles.items[0]?.id}`, { expires_at: new Date(Date.now() - 1000).toISOString() }));
    const post = (body: unknown) =>
      SELF.fetch("http://api.test/api/v1/delivery/bundle-url", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    expect((await post({ title_id: title.id, season_number: season })).status).toBe(404);
    const cooling = await post({ title_id: title.id, season_number: season, rebuild_if_missing: true });
    expect(cooling.status).toBe(429);
    expect(Number(cooling.headers.get("retry-after"))).toBeGreaterThan(config.BUNDLE_REBUILD_COOLDOWN_SECONDS - 60);

    // …and once the cooldown has passed, the expired bundle triggers a rebuild.
    const stub = seasonBundleStub(env.SEASON_BUNDLE, { titleId: title.id, seasonNumber: season });
    await runInDurableObject(stub, (_o: SeasonBundle, state) => {
      state.storage.sql.exec(
        "UPDATE bundle_state SET last_built_at = ? WHERE id = 1",
        Date.now() - config.BUNDLE_REBUILD_COOLDOWN_SECONDS * 1000 - 1,
      );
    });
    const rebuild = await post({ title_id: title.id, season_number: season, rebuild_if_missing: true });
    expect(rebuild.status).toBe(202);
    const again = await waitReady(title.id, season);
    expect(again.bundle?.sha256).toBe(built.bundle?.sha256);

    // Deleted right after: cooldown again, and the admin's forced rebuild goes through anyway.
    const now = await admin.ok(200, admin.get<{ items: { id: string }[] }>(`/admin/titles/${title.id}/bundles`));
    await admin.ok(204, admin.del(`/admin/bundles/${now.items[0]?.id}`));
    expect((await requestBundle(title.id, season)).status).toBe(429);
    expect((await admin.post(`/admin/titles/${title.id}/rebuild-bundle?season_number=${season}`)).status).toBe(202);
    expect((await waitReady(title.id, season)).bundle?.sha256).toBe(built.bundle?.sha256);
  }, 90_000);

  it("says ready only while Postgres has the season's bundle: expired or deleted after its build, the status reads idle", async () => {
    const { admin, title, season } = await seriesWithSeason([1500]);
    await requestBundle(title.id, season);
    await waitReady(title.id, season);
    const [row] = (await admin.ok(200, admin.get<{ items: { id: string }[] }>(`/admin/titles/${title.id}/bundles`))).items;

    await admin.ok(200, admin.patch(`/admin/bundles/${row?.id}`, { expires_at: new Date(Date.now() - 1000).toISOString() }));
    const expired = await bundleStatus(title.id, season, true);
    expect(expired).toMatchObject({ status: { state: "idle" }, bundle: null, download: null });

    await admin.ok(204, admin.del(`/admin/bundles/${row?.id}`));
    expect(await bundleStatus(title.id, season)).toMatchObject({ status: { state: "idle", error: null }, bundle: null });
  }, 60_000);

  it("answers 404 for drafts and unknown seasons, and validates its input", async () => {
    const { admin, title } = await seriesWithSeason([10]);
    expect((await requestBundle(title.id, 9)).status).toBe(404);
    await admin.ok(200, admin.post(`/admin/titles/${title.id}/unpublish`));
    expect((await requestBundle(title.id, 1)).status).toBe(404);
    expect((await requestBundle("not-a-uuid", 1)).status).toBe(400);
    expect((await SELF.fetch(`http://api.test/api/v1/delivery/bundle-status?title_id=${crypto.randomUUID()}&season_number=1`)).status).toBe(
      404,
    );
  });
});

// validate-media names each kind of violation with its code and the asset/episode concerned.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { mediaAssets } from "../../../src/db/schema";
import { db, newAdmin, signIn } from "../../support/admin";
import { adminClient } from "../../support/admin-client";

type Finding = { code: string; asset_id: string | null; episode_id: string | null };
type Report = { ok: boolean; errors: Finding[]; warnings: Finding[] };

/** A draft movie, and a way to register assets on it (an id each). */
async function draftMovie() {
  const admin = adminClient(await signIn(await newAdmin()));
  const movie = await admin.ok(
    201,
    admin.post<{ id: string }>("/admin/titles", { kind: "movie", name: `Validation ${crypto.randomUUID()}` }),
  );
  const asset = async (body: Record<string, unknown>) =>
    (await admin.ok(201, admin.post<{ asset: { id: string } }>(`/admin/titles/${movie.id}/assets`, { size_bytes: 10, ...body }))).asset.id;
  return { admin, movie, asset };
}

describe("media validation", () => {
  it("reports every kind of violation, then passes when they are fixed", async () => {
    const { admin, movie, asset } = await draftMovie();

    const h480 = await asset({ kind: "HLS", filename: "a.m3u8", stream_tier: 480, is_streamable: true });
    const h720a = await asset({ kind: "HLS", filename: "b.m3u8", stream_tier: 720, is_streamable: true });
    const h720b = await asset({ kind: "HLS", filename: "c.m3u8", stream_tier: 720, is_streamable: true });
    const dl = await asset({ kind: "DOWNLOAD", filename: "movie.mp4", quality: "1080p" });
    const subA = await asset({ kind: "SUBTITLE", filename: "en.vtt", language: "en", is_default: true });
    const subB = await asset({ kind: "SUBTITLE", filename: "fr.vtt", language: "fr", is_default: true });
    const forced = await asset({ kind: "SUBTITLE", filename: "forced.vtt", is_forced: true });
    const audio = await asset({ kind: "AUDIO", filename: "commentary.m4a" });
    // The API refuses to mark audio streamable; older data may still say so.
    await db.update(mediaAssets).set({ isStreamable: true }).where(eq(mediaAssets.id, audio));

    const r = await admin.ok(200, admin.get<Report>(`/admin/titles/${movie.id}/validate-media`));
    expect(r.ok).toBe(false);
    // The assets each error names, in a stable order (the report's order is not part of the contract).
    const assetsFlagged = (code: string) =>
      r.errors
        .filter((e) => e.code === code)
        .map((e) => e.asset_id)
        .sort();
    expect(assetsFlagged("HLS_TIER_MISSING")).toEqual([null]); // 1080p
    expect(assetsFlagged("HLS_TIER_DUPLICATE")).toEqual([h720a, h720b].sort());
    expect(assetsFlagged("AUDIO_STREAMABLE")).toEqual([audio]);
    expect(assetsFlagged("DOWNLOAD_SIZE_MISSING")).toEqual([dl]);
    expect(assetsFlagged("DOWNLOAD_SHA256_MISSING")).toEqual([dl]);
    expect(assetsFlagged("SUBTITLE_MULTIPLE_DEFAULTS")).toEqual([subA, subB].sort());
    expect(assetsFlagged("SUBTITLE_FORCED_UNLABELLED")).toEqual([forced]);
    expect(r.warnings.map((w) => w.code)).toEqual(expect.arrayContaining(["ASSET_NOT_FINALIZED", "SUBTITLE_LANGUAGE_MISSING"]));
    void h480;

    // No tier was finalized, so none has had its playlist chain checked.
    expect(assetsFlagged("HLS_TIER_INCOMPLETE")).toEqual([h480, h720a, h720b].sort());

    // Fix each one (finalize's own checks are in assets/hls-folder.test.ts: here its outcome is written).
    await admin.ok(204, admin.del(`/admin/assets/${h720b}`));
    const h1080 = await asset({ kind: "HLS", filename: "d.m3u8", stream_tier: 1080, is_streamable: true });
    for (const id of [h480, h720a, h1080]) await db.update(mediaAssets).set({ uploadState: "finalized" }).where(eq(mediaAssets.id, id));
    await db.update(mediaAssets).set({ isStreamable: false }).where(eq(mediaAssets.id, audio));
    await db
      .update(mediaAssets)
      .set({ sizeBytes: 10, sha256: "0".repeat(64) })
      .where(eq(mediaAssets.id, dl));
    await admin.ok(200, admin.patch(`/admin/assets/${subB}`, { is_default: false }));
    await admin.ok(200, admin.patch(`/admin/assets/${forced}`, { label: "Forced (signs)", language: "en" }));

    const fixed = await admin.ok(200, admin.get<Report>(`/admin/titles/${movie.id}/validate-media`));
    expect(fixed.errors).toEqual([]);
    expect(fixed.ok).toBe(true);
  });

  it("a series needs episodes, and every episode needs its three tiers", async () => {
    const admin = adminClient(await signIn(await newAdmin()));
    const s = await admin.ok(201, admin.post<{ id: string }>("/admin/titles", { kind: "series", name: `Empty ${crypto.randomUUID()}` }));
    const empty = await admin.ok(200, admin.get<Report>(`/admin/titles/${s.id}/validate-media`));
    expect(empty.errors.map((e) => e.code)).toEqual(["SERIES_WITHOUT_EPISODES"]);
    const ep = await admin.ok(201, admin.post<{ id: string }>(`/admin/titles/${s.id}/episodes`, { season_number: 1, episode_number: 1 }));
    const r = await admin.ok(200, admin.get<Report>(`/admin/titles/${s.id}/validate-media`));
    expect(r.errors.map((e) => [e.code, e.episode_id])).toEqual([
      ["HLS_TIER_MISSING", ep.id],
      ["HLS_TIER_MISSING", ep.id],
      ["HLS_TIER_MISSING", ep.id],
    ]);
    // Forced publish goes ahead and is audited as forced.
    const forced = await admin.ok(200, admin.post<{ title: { status: string } }>(`/admin/titles/${s.id}/publish?force=true`));
    expect(forced.title.status).toBe("published");
  });

  it("a tier must be finalized, fit its name and last as long as the others; subtitles that streams can't carry are named", async () => {
    const { admin, movie, asset } = await draftMovie();
    const tier = (t: number, more: Record<string, unknown>) =>
      asset({ kind: "HLS", filename: `${t}.m3u8`, stream_tier: t, is_streamable: true, ...more });
    // 480p as 854x480, 720p as a 2.40:1 film (1280x534), 1080p wrongly encoded at 720 lines.
    const h480 = await tier(480, { width: 854, height: 480 });
    const h720 = await tier(720, { width: 1280, height: 534 });
    const h1080 = await tier(1080, { width: 1280, height: 720 });
    const srt = await asset({ kind: "SUBTITLE", filename: "en.srt", language: "en", content_type: "application/x-subrip" });
    await asset({ kind: "SUBTITLE", filename: "fr.vtt", language: "fr", content_type: "text/vtt" });
    const finalized = (id: string, durationSeconds: number) =>
      db.update(mediaAssets).set({ uploadState: "finalized", durationSeconds, hlsTargetDuration: 6 }).where(eq(mediaAssets.id, id));
    await finalized(h480, 5400);
    await finalized(h720, 5400.4);
    const r = await admin.ok(200, admin.get<Report>(`/admin/titles/${movie.id}/validate-media`));
    const flagged = (code: string) =>
      [...r.errors, ...r.warnings]
        .filter((f) => f.code === code)
        .map((f) => f.asset_id)
        .sort();
    expect(flagged("HLS_TIER_INCOMPLETE")).toEqual([h1080]);
    expect(flagged("HLS_TIER_RESOLUTION_MISMATCH")).toEqual([h1080]);
    expect(flagged("HLS_DURATION_MISMATCH")).toEqual([]); // 0.4 s apart: within a segment
    expect(r.warnings.filter((w) => w.code === "SUBTITLE_NOT_WEBVTT").map((w) => w.asset_id)).toEqual([srt]);

    // The 1080p tier re-encoded at 1920x1080 and finalized, but 40 s short of the others.
    await db.update(mediaAssets).set({ width: 1920, height: 1080 }).where(eq(mediaAssets.id, h1080));
    await finalized(h1080, 5360);
    const r2 = await admin.ok(200, admin.get<Report>(`/admin/titles/${movie.id}/validate-media`));
    expect(r2.errors.map((e) => [e.code, e.asset_id]).sort()).toEqual(
      [
        ["HLS_DURATION_MISMATCH", h1080],
        ["HLS_DURATION_MISMATCH", h720],
      ].sort(),
    );
    await finalized(h1080, 5400);
    const r3 = await admin.ok(200, admin.get<Report>(`/admin/titles/${movie.id}/validate-media`));
    expect(r3.errors).toEqual([]);
  });
});

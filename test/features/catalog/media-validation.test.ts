// validate-media names each kind of violation with its code and the asset/episode concerned.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { mediaAssets } from "../../../src/db/schema";
import { db, newAdmin, signIn } from "../../support/admin";
import { adminClient } from "../../support/admin-client";

type Finding = { code: string; asset_id: string | null; episode_id: string | null };
type Report = { ok: boolean; errors: Finding[]; warnings: Finding[] };

describe("media validation", () => {
  it("reports every kind of violation, then passes when they are fixed", async () => {
    const admin = adminClient(await signIn(await newAdmin()));
    const movie = await admin.ok(
      201,
      admin.post<{ id: string }>("/admin/titles", { kind: "movie", name: `Validation ${crypto.randomUUID()}` }),
    );
    const asset = async (body: Record<string, unknown>) =>
      (await admin.ok(201, admin.post<{ asset: { id: string } }>(`/admin/titles/${movie.id}/assets`, { size_bytes: 10, ...body }))).asset
        .id;

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

    // Fix each one.
    await admin.ok(204, admin.del(`/admin/assets/${h720b}`));
    await asset({ kind: "HLS", filename: "d.m3u8", stream_tier: 1080, is_streamable: true });
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
});

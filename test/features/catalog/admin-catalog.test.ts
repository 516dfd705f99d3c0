// Admin catalog writes: conflicts, dependents, forced deletes, seasons and episodes.
import { describe, expect, it } from "vitest";
import { createS3 } from "../../../src/platform/s3";
import { config, newAdmin, signIn } from "../../support/admin";
import { adminClient } from "../../support/admin-client";

const s3 = createS3(config);

describe("admin catalog", () => {
  it("refuses a duplicate slug and a patch of an unknown title, naming them", async () => {
    const admin = adminClient(await signIn(await newAdmin()));
    const slug = `dup-${crypto.randomUUID()}`;
    await admin.ok(201, admin.post("/admin/titles", { kind: "movie", name: "Dup", slug }));
    const again = await admin.post<{ code: string; detail: string }>("/admin/titles", { kind: "movie", name: "Dup 2", slug });
    expect(again.status).toBe(409);
    expect(again.body.detail).toContain(slug);
    expect((await admin.patch(`/admin/titles/${crypto.randomUUID()}`, { name: "x" })).status).toBe(404);
    const bad = await admin.post<{ errors: { path: string }[] }>("/admin/titles", { kind: "film", name: "" });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e) => e.path).sort()).toEqual(["json.kind", "json.name"]);
  });

  it("deleting a title with assets is refused with 409 and changes nothing; forced, it goes with its objects", async () => {
    const admin = adminClient(await signIn(await newAdmin()));
    const t = await admin.ok(201, admin.post<{ id: string }>("/admin/titles", { kind: "movie", name: `Del ${crypto.randomUUID()}` }));
    const a = await admin.ok(
      201,
      admin.post<{ asset: { id: string; storage_key: string }; upload: { url: string; headers: Record<string, string> } }>(
        `/admin/titles/${t.id}/assets`,
        { kind: "ORIGINAL", filename: "f.mkv", size_bytes: 3 },
      ),
    );
    await fetch(a.upload.url, { method: "PUT", body: "abc", headers: a.upload.headers });
    const refused = await admin.del<{ dependents: { assets: number } }>(`/admin/titles/${t.id}`);
    expect(refused.status).toBe(409);
    expect(refused.body.dependents.assets).toBe(1);
    expect((await admin.get(`/admin/titles/${t.id}`)).status).toBe(200);
    expect(await s3.head(a.asset.storage_key)).not.toBeNull();

    expect((await admin.del(`/admin/titles/${t.id}?force=true`)).status).toBe(204);
    expect((await admin.get(`/admin/titles/${t.id}`)).status).toBe(404);
    expect((await admin.get(`/admin/assets/${a.asset.id}`)).status).toBe(404);
    expect(await s3.head(a.asset.storage_key)).toBeNull();
  });

  it("manages seasons and episodes of a series only", async () => {
    const admin = adminClient(await signIn(await newAdmin()));
    const movie = await admin.ok(201, admin.post<{ id: string }>("/admin/titles", { kind: "movie", name: `M ${crypto.randomUUID()}` }));
    expect((await admin.post(`/admin/titles/${movie.id}/seasons`, { number: 1 })).status).toBe(422);

    const s = await admin.ok(201, admin.post<{ id: string }>("/admin/titles", { kind: "series", name: `S ${crypto.randomUUID()}` }));
    await admin.ok(201, admin.post(`/admin/titles/${s.id}/seasons`, { number: 1, name: "One" }));
    expect((await admin.post(`/admin/titles/${s.id}/seasons`, { number: 1 })).status).toBe(409);
    // Season 2 is created on first use by its first episode.
    const ep = await admin.ok(
      201,
      admin.post<{ id: string }>(`/admin/titles/${s.id}/episodes`, { season_number: 2, episode_number: 1, air_date: "2026-01-01" }),
    );
    expect((await admin.post(`/admin/titles/${s.id}/episodes`, { season_number: 2, episode_number: 1 })).status).toBe(409);
    await admin.ok(200, admin.patch(`/admin/titles/${s.id}/seasons/2`, { name: "Two" }));
    await admin.ok(200, admin.patch(`/admin/episodes/${ep.id}`, { name: "Opener", runtime_minutes: 44 }));
    const detail = await admin.ok(
      200,
      admin.get<{ seasons: { number: number; name: string; episodes: { name: string; runtime_minutes: number }[] }[] }>(
        `/admin/titles/${s.id}`,
      ),
    );
    expect(detail.seasons.map((x) => [x.number, x.name])).toEqual([
      [1, "One"],
      [2, "Two"],
    ]);
    expect(detail.seasons[1]?.episodes[0]).toMatchObject({ name: "Opener", runtime_minutes: 44 });

    // An episode with an asset is only deleted when forced; its season likewise.
    await admin.ok(
      201,
      admin.post(`/admin/titles/${s.id}/assets`, { kind: "ORIGINAL", episode_id: ep.id, filename: "e.mkv", size_bytes: 1 }),
    );
    expect((await admin.del(`/admin/episodes/${ep.id}`)).status).toBe(409);
    expect((await admin.del(`/admin/titles/${s.id}/seasons/2`)).status).toBe(409);
    expect((await admin.del(`/admin/titles/${s.id}/seasons/2?force=true`)).status).toBe(204);
    expect((await admin.get(`/admin/titles/${s.id}/assets`)).body).toEqual({ items: [] });
    expect((await admin.del(`/admin/titles/${s.id}/seasons/1`)).status).toBe(204);
  });
});

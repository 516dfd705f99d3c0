// Public browsing: filters, sorts, keyset cursors that stay stable while titles are added, and
// nothing but published titles.
import { describe, expect, it } from "vitest";
import type { TitleJson } from "../../../src/features/catalog/contract";
import { api, newAdmin, signIn } from "../../support/admin";
import { adminClient, uniqueWord } from "../../support/admin-client";
import type { Created } from "../../support/delivery";
import { expectProblem } from "../../support/problem";

type Page = { items: { id: string; name: string; popularity: number }[]; next_cursor: string | null; sort: string };
const page = async (query: string) => {
  const res = await api(`/titles?${query}`);
  expect(res.status).toBe(200);
  return (await res.json()) as Page;
};

async function catalog(n: number, genre: string, status: "published" | "draft" = "published") {
  const admin = adminClient(await signIn(await newAdmin()));
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const t = await admin.ok(
      201,
      admin.post<{ id: string }>("/admin/titles", {
        kind: i % 2 ? "series" : "movie",
        name: `${genre} title ${i}`,
        genres: [genre],
        year: 2000 + i,
        popularity: i * 10,
        languages: [i % 2 ? "fr" : "en"],
      }),
    );
    if (status === "published") await admin.ok(200, admin.post(`/admin/titles/${t.id}/publish?force=true`));
    ids.push(t.id);
  }
  return { admin, ids };
}

describe("public title listing", () => {
  it("pages with a keyset cursor that neither skips nor repeats while titles are added", async () => {
    const genre = `g-${uniqueWord().toLowerCase()}`;
    const { admin, ids } = await catalog(7, genre);
    const first = await page(`genre=${genre}&sort=popularity&limit=3`);
    expect(first.items.map((i) => i.id)).toEqual([ids[6], ids[5], ids[4]]);
    // A newcomer that sorts before the cursor must not shift what comes next.
    const newcomer = await admin.ok(
      201,
      admin.post<{ id: string }>("/admin/titles", { kind: "movie", name: `${genre} newcomer`, genres: [genre], popularity: 1000 }),
    );
    await admin.ok(200, admin.post(`/admin/titles/${newcomer.id}/publish?force=true`));
    const seen = first.items.map((i) => i.id);
    let cursor = first.next_cursor;
    while (cursor) {
      const p = await page(`genre=${genre}&sort=popularity&limit=3&cursor=${cursor}`);
      seen.push(...p.items.map((i) => i.id));
      cursor = p.next_cursor;
    }
    expect(seen).toEqual([...ids].reverse());
    expect((await page(`genre=${genre}&sort=popularity&limit=10`)).items[0]?.id).toBe(newcomer.id);
  });

  it("filters by kind, language and year range; sorts by name and year", async () => {
    const genre = `g-${uniqueWord().toLowerCase()}`;
    const { ids } = await catalog(6, genre);
    expect((await page(`genre=${genre}&kind=series`)).items.map((i) => i.id).sort()).toEqual([ids[1], ids[3], ids[5]].sort());
    expect((await page(`genre=${genre}&language=fr`)).items).toHaveLength(3);
    expect((await page(`genre=${genre}&year_from=2002&year_to=2003`)).items.map((i) => i.id).sort()).toEqual([ids[2], ids[3]].sort());
    expect((await page(`genre=${genre}&sort=name`)).items.map((i) => i.name)).toEqual([0, 1, 2, 3, 4, 5].map((i) => `${genre} title ${i}`));
    expect((await page(`genre=${genre}&sort=year&limit=2`)).items.map((i) => i.id)).toEqual([ids[5], ids[4]]);
  });

  it("pages through names in any script with every sort, one title a page, without an error", async () => {
    const genre = `g-${uniqueWord().toLowerCase()}`;
    const admin = adminClient(await signIn(await newAdmin()));
    const names = ["東京物語", "Ωmega Ĳssel", "Überall", "🎬 Premiere", "Δ-Protocol", "Москва"].map((n) => `${n} ${genre}`);
    const ids: string[] = [];
    for (const [i, name] of names.entries()) {
      const t = await admin.ok(
        201,
        admin.post<{ id: string }>("/admin/titles", { kind: "movie", name, genres: [genre], year: 2000 + i, popularity: i }),
      );
      await admin.ok(200, admin.post(`/admin/titles/${t.id}/publish?force=true`));
      ids.push(t.id);
    }
    for (const sort of ["name", "popularity", "year", "newest"]) {
      const seen: string[] = [];
      let cursor: string | null = "";
      for (let pages = 0; cursor !== null && pages < 10; pages++) {
        const p = await page(`genre=${genre}&sort=${sort}&limit=1${cursor ? `&cursor=${cursor}` : ""}`);
        seen.push(...p.items.map((i) => i.id));
        cursor = p.next_cursor;
      }
      expect(seen.sort(), sort).toEqual([...ids].sort());
    }
  });

  it("never shows drafts or archived titles", async () => {
    const genre = `g-${uniqueWord().toLowerCase()}`;
    const { admin, ids } = await catalog(2, genre, "draft");
    expect((await page(`genre=${genre}`)).items).toEqual([]);
    await admin.ok(200, admin.post(`/admin/titles/${ids[0]}/publish?force=true`));
    expect((await page(`genre=${genre}`)).items.map((i) => i.id)).toEqual([ids[0]]);
    await admin.ok(200, admin.post(`/admin/titles/${ids[0]}/archive`));
    expect((await page(`genre=${genre}`)).items).toEqual([]);
    expect((await api(`/titles/${ids[0]}`)).status).toBe(404);
    for (const sub of ["streams", "subtitles", "downloads"]) expect((await api(`/titles/${ids[1]}/${sub}`)).status).toBe(404);
  });

  it("rejects a cursor from another sort and a relevance sort without a query, naming the field", async () => {
    const genre = `g-${uniqueWord().toLowerCase()}`;
    await catalog(3, genre);
    const p = await page(`genre=${genre}&sort=name&limit=1`);
    const bad = await api(`/titles?genre=${genre}&sort=year&cursor=${p.next_cursor}`);
    expect((await expectProblem(bad, 400, "VALIDATION_FAILED")).errors?.[0]?.path).toBe("query.cursor");
    const rel = await api("/titles?sort=relevance");
    expect((await expectProblem(rel, 400, "VALIDATION_FAILED")).errors?.[0]?.path).toBe("query.sort");
    const lim = await api("/titles?limit=1000");
    expect((await expectProblem(lim, 400, "VALIDATION_FAILED")).errors?.[0]?.path).toBe("query.limit");
  });

  it("a title's page lists its seasons in order with their episodes in order, and only uploaded artwork", async () => {
    const admin = adminClient(await signIn(await newAdmin()));
    const t = await admin.ok(201, admin.post<TitleJson>("/admin/titles", { kind: "series", name: `Detail ${uniqueWord()}`, year: 2024 }));
    // Made out of order: the page orders them.
    const made: Record<string, string> = {};
    for (const [season, episode, air] of [
      [2, 2, "2025-02-08"],
      [1, 1, "2024-01-05"],
      [2, 1, "2025-02-01"],
      [1, 2, null],
    ] as const) {
      const e = await admin.ok(
        201,
        admin.post<{ id: string }>(`/admin/titles/${t.id}/episodes`, { season_number: season, episode_number: episode, air_date: air }),
      );
      made[`${season}x${episode}`] = e.id;
    }
    const poster = await admin.ok(
      201,
      admin.post<Created>(`/admin/titles/${t.id}/assets`, {
        kind: "ARTWORK",
        filename: "poster.jpg",
        size_bytes: 4,
        content_type: "image/jpeg",
      }),
    );
    const put = await fetch(poster.upload.url, { method: "PUT", body: new Uint8Array([1, 2, 3, 4]), headers: poster.upload.headers });
    await put.body?.cancel();
    await admin.ok(200, admin.get(`/admin/assets/${poster.asset.id}/head`));
    // Registered, never uploaded: not shown.
    await admin.ok(
      201,
      admin.post(`/admin/titles/${t.id}/assets`, { kind: "ARTWORK", filename: "banner.jpg", size_bytes: 4, content_type: "image/jpeg" }),
    );
    const published = await admin.ok(200, admin.post<{ title: TitleJson }>(`/admin/titles/${t.id}/publish?force=true`));

    const res = await api(`/titles/${t.slug}`);
    expect(res.status).toBe(200);
    const detail = (await res.json()) as {
      title: TitleJson;
      seasons: { number: number; episodes: { id: string; episode_number: number; air_date: string | null }[] }[];
      artwork: { asset_id: string; url: string }[];
    };
    expect(detail.title).toMatchObject({
      id: t.id,
      name: t.name,
      year: 2024,
      created_at: t.created_at,
      updated_at: published.title.updated_at,
    });
    expect(detail.seasons.map((s) => [s.number, s.episodes.map((e) => [e.id, e.episode_number, e.air_date])])).toEqual([
      [
        1,
        [
          [made["1x1"], 1, "2024-01-05"],
          [made["1x2"], 2, null],
        ],
      ],
      [
        2,
        [
          [made["2x1"], 1, "2025-02-01"],
          [made["2x2"], 2, "2025-02-08"],
        ],
      ],
    ]);
    expect(detail.artwork.map((a) => a.asset_id)).toEqual([poster.asset.id]);
  });
});

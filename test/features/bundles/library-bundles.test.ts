// Library-ready season ZIPs from the API: folders, sidecar subtitles, artwork, NFO metadata and
// MANIFEST.json as Jellyfin, Plex and Kodi expect them, checked with the extractors people use and
// byte-identical on a rebuild.
import { SELF } from "cloudflare:test";
import { unzipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { planSeason } from "../../../src/features/bundles/service";
import { db, newAdmin, signIn } from "../../support/admin";
import { adminClient, expectStatus, pseudoBytes, sha256Hex, typedAdminClient } from "../../support/admin-client";
import { checkArchive, requestBundle, uploadAsset, waitReady } from "../../support/bundles";

const utf8 = new TextEncoder();
const encode = (s: string) => Uint8Array.from(utf8.encode(s));
const text = (b: Uint8Array | undefined) => new TextDecoder().decode(b);
const get = async (url: string) => new Uint8Array(await (await fetch(url)).arrayBuffer());

/** A published series of three named episodes with subtitles (one default, one forced) and posters. */
async function librarySeries() {
  const token = await signIn(await newAdmin());
  const typed = typedAdminClient(token);
  const tag = crypto.randomUUID().slice(0, 8);
  const name = `The Keepers: ${tag}`;
  const t = await expectStatus(
    201,
    typed.POST("/api/v1/admin/titles", {
      body: { kind: "series", name, year: 2024, overview: 'Storms & <secrets> on a "quiet" island.', genres: ["drama", "mystery"] },
    }),
  );
  const title = { params: { path: { id: t.id } } };
  const episodes = [
    { name: "Pilot", air_date: "2024-03-01", runtime_minutes: 52, overview: "The light goes out.", file: "pilot-final.mkv" },
    { name: "Storm / Surge", air_date: "2024-03-08", runtime_minutes: 48, overview: null, file: "e2.mkv" },
    { name: "東京", air_date: null, runtime_minutes: null, overview: null, file: "Episode 3.mp4" },
  ];
  const files: Record<string, Uint8Array<ArrayBuffer>> = {};
  for (const [i, e] of episodes.entries()) {
    const ep = await expectStatus(
      201,
      typed.POST("/api/v1/admin/titles/{id}/episodes", {
        ...title,
        body: {
          season_number: 1,
          episode_number: i + 1,
          name: e.name,
          air_date: e.air_date,
          runtime_minutes: e.runtime_minutes,
          overview: e.overview,
        },
      }),
    );
    files[`video${i + 1}`] = pseudoBytes(512 * 1024 + i * 1000 + 3, i + 40);
    // Every other video checksummed: the job measures the others' CRC-32 itself.
    await uploadAsset(
      typed,
      t.id,
      { kind: "ORIGINAL", episode_id: ep.id, filename: e.file },
      files[`video${i + 1}`] as Uint8Array<ArrayBuffer>,
      i !== 1,
    );
    if (i < 2) {
      files[`en${i + 1}`] = encode(`1\n00:00:01,000 --> 00:00:02,000\nHello from episode ${i + 1}.\n\n`.repeat(40));
      await uploadAsset(
        typed,
        t.id,
        { kind: "SUBTITLE", episode_id: ep.id, filename: `ep${i + 1}.en.srt`, language: "en", is_default: true },
        files[`en${i + 1}`] as Uint8Array<ArrayBuffer>,
      );
    }
    if (i === 0) {
      files.fr1 = encode("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nBonjour.\n");
      await uploadAsset(
        typed,
        t.id,
        { kind: "SUBTITLE", episode_id: ep.id, filename: "forced.fr.vtt", language: "fr", is_forced: true, label: "Français (forcé)" },
        files.fr1,
      );
    }
  }
  files.poster = pseudoBytes(20_000, 50);
  files.season = pseudoBytes(15_000, 51);
  await uploadAsset(typed, t.id, { kind: "ARTWORK", filename: "key-art.jpg", label: "Poster" }, files.poster);
  await uploadAsset(typed, t.id, { kind: "ARTWORK", filename: "season01.png", label: "Season 1" }, files.season);
  await uploadAsset(typed, t.id, { kind: "ARTWORK", filename: "backdrop.jpg", label: "Backdrop" }, pseudoBytes(9_000, 52));
  await expectStatus(
    200,
    typed.POST("/api/v1/admin/titles/{id}/publish", { ...title, params: { ...title.params, query: { force: "true" } } }),
  );
  return { token, title: t, tag, files };
}

describe("library-ready season ZIPs", () => {
  it("unpack into the show's folder with sidecar subtitles, posters, NFO files and a manifest, in every extractor; a rebuild is byte-identical", async () => {
    const { token, title, tag, files } = await librarySeries();
    expect((await requestBundle(title.id, 1)).status).toBe(202);
    const ready = await waitReady(title.id, 1);
    const zip = await get(ready.download?.url ?? "");

    const show = `The Keepers_ ${tag} (2024)`;
    const ep = (n: string) => `${show}/Season 01/The Keepers_ ${tag} - ${n}`;
    const names = [
      `${show}/tvshow.nfo`,
      `${show}/poster.jpg`,
      `${show}/Season 01/season01-poster.png`,
      `${ep("S01E01 - Pilot")}.mkv`,
      `${ep("S01E01 - Pilot")}.en.default.srt`,
      `${ep("S01E01 - Pilot")}.fr.forced.vtt`,
      `${ep("S01E01 - Pilot")}.nfo`,
      `${ep("S01E02 - Storm _ Surge")}.mkv`,
      `${ep("S01E02 - Storm _ Surge")}.en.default.srt`,
      `${ep("S01E02 - Storm _ Surge")}.nfo`,
      `${ep("S01E03 - 東京")}.mp4`,
      `${ep("S01E03 - 東京")}.nfo`,
      `${show}/MANIFEST.json`,
    ];
    const check = await checkArchive(ready.download?.url ?? "");
    for (const tool of ["unzip", "python", "sevenZip", "bsdtar"] as const)
      expect(check[tool], `${tool}: ${check[tool].output}`).toMatchObject({ ok: true });
    expect(check.members.map((m) => m.name)).toEqual(names);
    expect(check.bsdtar.output.split("\n")).toEqual(names);
    expect(ready.bundle?.item_count).toBe(names.length);

    // Videos and artwork as uploaded; subtitles inflate to the uploaded bytes.
    const sha = Object.fromEntries(check.members.map((m) => [m.name, m.sha256]));
    const uploaded: [string, Uint8Array<ArrayBuffer>][] = [
      [names[1] as string, files.poster as Uint8Array<ArrayBuffer>],
      [names[2] as string, files.season as Uint8Array<ArrayBuffer>],
      [names[3] as string, files.video1 as Uint8Array<ArrayBuffer>],
      [names[4] as string, files.en1 as Uint8Array<ArrayBuffer>],
      [names[5] as string, files.fr1 as Uint8Array<ArrayBuffer>],
      [names[7] as string, files.video2 as Uint8Array<ArrayBuffer>],
      [names[8] as string, files.en2 as Uint8Array<ArrayBuffer>],
      [names[10] as string, files.video3 as Uint8Array<ArrayBuffer>],
    ];
    for (const [name, bytes] of uploaded) expect(sha[name], name).toBe(await sha256Hex(bytes));

    // Text is DEFLATEd, videos STORED (method in each central directory entry).
    const members = unzipSync(zip);
    const nfo = text(members[names[0] as string]);
    for (const line of [
      `<title>The Keepers: ${tag}</title>`,
      "<year>2024</year>",
      "<plot>Storms &amp; &lt;secrets&gt; on a &quot;quiet&quot; island.</plot>",
      "<genre>drama</genre>",
      "<genre>mystery</genre>",
    ])
      expect(nfo).toContain(line);
    const e1 = text(members[names[6] as string]);
    for (const line of [
      "<title>Pilot</title>",
      `<showtitle>The Keepers: ${tag}</showtitle>`,
      "<season>1</season>",
      "<episode>1</episode>",
      "<aired>2024-03-01</aired>",
      "<plot>The light goes out.</plot>",
      "<runtime>52</runtime>",
    ])
      expect(e1).toContain(line);
    expect(text(members[names[11] as string])).toContain("<title>東京</title>");

    // MANIFEST.json: every other member with the SHA-256 the extractors computed.
    const manifest = JSON.parse(text(members[names.at(-1) as string])) as {
      title: string;
      year: number;
      season: number;
      members: { name: string; size: number; crc32: string; sha256: string }[];
    };
    expect(manifest).toMatchObject({ title: `The Keepers: ${tag}`, year: 2024, season: 1 });
    expect(manifest.members.map((m) => [m.name, m.sha256])).toEqual(names.slice(0, -1).map((n) => [n, sha[n]]));
    for (const m of manifest.members) expect(m.crc32).toMatch(/^[0-9a-f]{8}$/);

    // The manifest beside the ZIP says how each member is stored and where it came from.
    const res = await SELF.fetch(`http://api.test/api/v1/titles/${title.id}/bundles/1/manifest`);
    const outer = JSON.parse(text(await get(((await res.json()) as { url: string }).url))) as {
      archive: { method: string; layout: string; sha256: string };
      items: { name: string; method: string; source_key: string | null }[];
    };
    expect(outer.archive).toMatchObject({ method: "store+deflate", layout: "library", sha256: ready.bundle?.sha256 });
    expect(outer.items.map((i) => i.name)).toEqual(names);
    expect(outer.items.map((i) => i.method)).toEqual(names.map((n) => (/\.(nfo|srt|vtt|json)$/.test(n) ? "deflate" : "store")));
    expect(outer.items.filter((i) => i.source_key === null).map((i) => i.name)).toEqual(names.filter((n) => /\.(nfo|json)$/.test(n)));

    // A forced rebuild: the same bytes.
    const admin = adminClient(token);
    expect((await admin.post(`/admin/titles/${title.id}/rebuild-bundle?season_number=1`)).status).toBe(202);
    await new Promise((r) => setTimeout(r, 50));
    const again = await waitReady(title.id, 1);
    expect(await sha256Hex(await get(again.download?.url ?? ""))).toBe(await sha256Hex(zip));
  }, 90_000);

  it("BUNDLE_LAYOUT=flat plans only the episodes' videos, named S01E02 - {filename}, STORED; the same catalog's library plan adds the rest", async () => {
    const { title } = await librarySeries();
    const flat = await planSeason(db, title.id, 1, "flat");
    expect(flat.library).toBeNull();
    expect(flat.items.map((i) => i.name)).toEqual(["S01E01 - pilot-final.mkv", "S01E02 - e2.mkv", "S01E03 - Episode 3.mp4"]);
    expect(flat.items.every((i) => "source_key" in i && i.method === "store")).toBe(true);
    const library = await planSeason(db, title.id, 1, "library");
    expect(library.items).toHaveLength(12); // MANIFEST.json is the job's to add
    expect(library.library).toMatchObject({ name: expect.stringMatching(/\(2024\)\/MANIFEST\.json$/), year: 2024 });
  });
});

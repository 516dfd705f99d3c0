// Library-ready season ZIPs from the API: folders, sidecar subtitles, artwork, NFO metadata and
// MANIFEST.json as Jellyfin, Plex and Kodi expect them, checked with the extractors people use and
// byte-identical on a rebuild.
import { SELF } from "cloudflare:test";
import { unzipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { planSeason } from "../../../src/features/bundles/service";
import { db } from "../../support/admin";
import { adminClient, sha256Hex } from "../../support/admin-client";
import { checkArchive, librarySeries, requestBundle, waitReady } from "../../support/bundles";

const text = (b: Uint8Array | undefined) => new TextDecoder().decode(b);
const get = async (url: string) => new Uint8Array(await (await fetch(url)).arrayBuffer());

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

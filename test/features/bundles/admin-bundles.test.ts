// The admin side of bundles: an uploaded season ZIP (presigned PUT → finalize) becomes the
// season's bundle for the public; detail, label/expiry, delete; bad input is a 4xx that changes
// nothing; deleting a superseded row leaves the live archive alone.
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { crc32Update } from "../../../src/lib/crc32";
import { planZip } from "../../../src/lib/zip64";
import { sha256Hex } from "../../support/admin-client";
import { checkArchive, seriesWithSeason } from "../../support/bundles";
import { expectProblem } from "../../support/problem";

type Bundle = { id: string; status: string; source: string; size_bytes: number | null; label: string | null; expires_at: string | null };
type Created = { bundle_id: string; storage_key: string; upload_url: string; upload_headers: Record<string, string>; bundle: Bundle };

/** A small season ZIP built with the same layout module the job uses. */
function seasonZip(members: { name: string; body: string }[]): Uint8Array<ArrayBuffer> {
  const bodies = members.map((m) => new TextEncoder().encode(m.body));
  const layout = planZip(
    members.map((m, i) => ({
      name: m.name,
      size: bodies[i]?.length ?? 0,
      crc32: crc32Update(0, bodies[i] as Uint8Array),
      mtime: new Date("2026-05-01T00:00:00Z"),
    })),
  );
  const out = new Uint8Array(layout.totalSize);
  for (const [i, m] of layout.members.entries()) {
    out.set(m.localHeader, m.headerOffset);
    out.set(bodies[i] as Uint8Array, m.dataOffset);
  }
  out.set(layout.tail, layout.tailOffset);
  return out;
}

const post = (path: string, body: unknown) =>
  SELF.fetch(`http://api.test/api/v1${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

describe("admin bundles", () => {
  it("an uploaded ZIP: presigned PUT, finalize, then served to the public as the season's bundle", async () => {
    const { admin, title } = await seriesWithSeason([100]);
    const created = await admin.ok(
      201,
      admin.post<Created>(`/admin/titles/${title.id}/bundles`, { season_number: 1, label: "Director's cut pack", expires_in_days: 14 }),
    );
    // Its own key: the upload never touches the archive being served until it is finalized.
    expect(created.storage_key).toBe(`bundles/${title.id}/S01.upload-${created.bundle_id}.zip`);
    expect(created.bundle).toMatchObject({ status: "building", source: "upload", label: "Director's cut pack" });
    const days = (Date.parse(created.bundle.expires_at ?? "") - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(13.9);
    expect(days).toBeLessThan(14.1);

    // Nothing uploaded yet: finalize is a conflict, and the public sees no bundle.
    await expectProblem(await admin.raw("POST", `/admin/bundles/${created.bundle_id}/finalize`), 409, "CONFLICT");
    expect((await post("/delivery/bundle-url", { title_id: title.id, season_number: 1 })).status).toBe(404);

    const zip = seasonZip([
      { name: "S01E01 - Pilot.mkv", body: "first episode" },
      { name: "S01E02 - Zweite.mkv", body: "second episode" },
    ]);
    const put = await fetch(created.upload_url, { method: "PUT", body: zip, headers: created.upload_headers });
    expect(put.status).toBe(200);
    const ready = await admin.ok(200, admin.post<Bundle>(`/admin/bundles/${created.bundle_id}/finalize`));
    expect(ready).toMatchObject({ status: "ready", size_bytes: zip.length });
    // Finalizing twice is refused: it is no longer being uploaded.
    await expectProblem(await admin.raw("POST", `/admin/bundles/${created.bundle_id}/finalize`), 409, "CONFLICT");

    expect(await admin.ok(200, admin.get<Bundle>(`/admin/bundles/${created.bundle_id}`))).toMatchObject({
      status: "ready",
      source: "upload",
    });
    const pub = (await (await SELF.fetch(`http://api.test/api/v1/titles/${title.id}/bundles`)).json()) as {
      items: { season_number: number; label: string; size_bytes: number }[];
    };
    expect(pub.items).toEqual([expect.objectContaining({ season_number: 1, label: "Director's cut pack", size_bytes: zip.length })]);

    const url = await post("/delivery/bundle-url", { title_id: title.id, season_number: 1, ttl_seconds: 120 });
    expect(url.status).toBe(200);
    expect(url.headers.get("cache-control")).toBe("no-store");
    const signed = (await url.json()) as { url: string };
    const got = new Uint8Array(await (await fetch(signed.url)).arrayBuffer());
    expect(await sha256Hex(got)).toBe(await sha256Hex(zip));
    const check = await checkArchive(signed.url);
    expect(check.unzip.ok && check.python.ok).toBe(true);
    expect(check.members.map((m) => m.name)).toEqual(["S01E01 - Pilot.mkv", "S01E02 - Zweite.mkv"]);
    // The season is ready: asking for it does not start a rebuild.
    expect((await post("/delivery/request-bundle", { title_id: title.id, season_number: 1 })).status).toBe(200);
    // An uploaded ZIP has no manifest.
    await expectProblem(await SELF.fetch(`http://api.test/api/v1/titles/${title.id}/bundles/1/manifest`), 404, "NOT_FOUND");
  });

  it("bad input is a 4xx naming the field, and changes nothing", async () => {
    const { admin, title } = await seriesWithSeason([100]);
    const before = await admin.ok(200, admin.get<{ items: Bundle[] }>(`/admin/titles/${title.id}/bundles?include_expired=true`));
    const tooShort = await expectProblem(
      await admin.raw("POST", `/admin/titles/${title.id}/bundles`, { season_number: 1, expires_in_days: 3 }),
      400,
      "VALIDATION_FAILED",
    );
    expect(tooShort.errors?.map((e) => e.path)).toContain("json.expires_in_days");
    await expectProblem(await admin.raw("POST", `/admin/titles/${title.id}/bundles`, { season_number: 7 }), 404, "NOT_FOUND");
    await expectProblem(await admin.raw("POST", `/admin/titles/${crypto.randomUUID()}/bundles`, { season_number: 1 }), 404, "NOT_FOUND");
    await expectProblem(await admin.raw("POST", `/admin/titles/${title.id}/rebuild-bundle?season_number=-1`), 400, "VALIDATION_FAILED");
    await expectProblem(await admin.raw("GET", `/admin/bundles/${crypto.randomUUID()}`), 404, "NOT_FOUND");
    await expectProblem(await admin.raw("GET", "/admin/bundles/not-a-uuid"), 400, "VALIDATION_FAILED");
    const after = await admin.ok(200, admin.get<{ items: Bundle[] }>(`/admin/titles/${title.id}/bundles?include_expired=true`));
    expect(after.items).toEqual(before.items);

    const c = await admin.ok(201, admin.post<Created>(`/admin/titles/${title.id}/bundles`, { season_number: 1 }));
    const unknownField = await expectProblem(
      await admin.raw("PATCH", `/admin/bundles/${c.bundle_id}`, { label: "x", status: "ready" }),
      400,
      "VALIDATION_FAILED",
    );
    expect(JSON.stringify(unknownField.errors)).toContain("status");
    const badDate = await expectProblem(
      await admin.raw("PATCH", `/admin/bundles/${c.bundle_id}`, { expires_at: "tomorrow" }),
      400,
      "VALIDATION_FAILED",
    );
    expect(badDate.errors?.map((e) => e.path)).toContain("json.expires_at");
    expect(await admin.ok(200, admin.get<Bundle>(`/admin/bundles/${c.bundle_id}`))).toEqual(c.bundle);
  });

  it("deleting a superseded row keeps the live archive; deleting the live one removes it", async () => {
    const { admin, title } = await seriesWithSeason([100]);
    const upload = async (body: string) => {
      const c = await admin.ok(201, admin.post<Created>(`/admin/titles/${title.id}/bundles`, { season_number: 1 }));
      const zip = seasonZip([{ name: "S01E01.mkv", body }]);
      expect((await fetch(c.upload_url, { method: "PUT", body: zip, headers: c.upload_headers })).status).toBe(200);
      await admin.ok(200, admin.post(`/admin/bundles/${c.bundle_id}/finalize`));
      return { id: c.bundle_id, zip };
    };
    const old = await upload("old cut");
    const live = await upload("new cut");
    const rows = await admin.ok(200, admin.get<{ items: Bundle[] }>(`/admin/titles/${title.id}/bundles?include_expired=true`));
    expect(rows.items.map((b) => [b.id, b.status])).toEqual(
      expect.arrayContaining([
        [old.id, "expired"],
        [live.id, "ready"],
      ]),
    );

    await admin.ok(204, admin.del(`/admin/bundles/${old.id}`));
    const signed = (await (await post("/delivery/bundle-url", { title_id: title.id, season_number: 1 })).json()) as { url: string };
    expect(await sha256Hex(new Uint8Array(await (await fetch(signed.url)).arrayBuffer()))).toBe(await sha256Hex(live.zip));

    await admin.ok(204, admin.del(`/admin/bundles/${live.id}`));
    expect((await fetch(signed.url)).status).toBe(404);
    expect((await post("/delivery/bundle-url", { title_id: title.id, season_number: 1 })).status).toBe(404);
  });
});

// The edge cache needs the catalog version to itself (no other test writing meanwhile), so it
// runs with the serial group.
import { describe, expect, it } from "vitest";
import { api, newAdmin, signIn } from "../support/admin";
import { adminClient } from "../support/admin-client";

describe("edge cache keyed by the catalog version", () => {
  it("serves a repeat read from the edge cache, and an admin write makes the next read fresh", async () => {
    const admin = adminClient(await signIn(await newAdmin()));
    const t = await admin.ok(201, admin.post<{ id: string }>("/admin/titles", { kind: "movie", name: `Cache ${crypto.randomUUID()}` }));
    await admin.ok(200, admin.post(`/admin/titles/${t.id}/publish?force=true`));
    const a = await api(`/titles/${t.id}`);
    expect(a.headers.get("x-cache")).toBe("MISS");
    const b = await api(`/titles/${t.id}`);
    expect(b.headers.get("x-cache")).toBe("HIT");
    expect(await b.text()).toBe(await a.text());
    const c = await api(`/titles/${t.id}`, { headers: { "if-none-match": a.headers.get("etag") ?? "" } });
    expect(c.status).toBe(304);
    expect(c.headers.get("x-cache")).toBe("HIT");

    await admin.ok(200, admin.patch(`/admin/titles/${t.id}`, { name: "Renamed" }));
    const d = await api(`/titles/${t.id}`);
    expect(d.headers.get("x-cache")).toBe("MISS");
    expect(((await d.json()) as { title: { name: string } }).title.name).toBe("Renamed");
  });
});

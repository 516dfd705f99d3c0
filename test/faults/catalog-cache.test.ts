// The edge cache needs the catalog version to itself (no other test writing meanwhile), so it
// runs with the serial group.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/http/app";
import { defaultDeps } from "../../src/http/middleware/init";
import type { EdgeCache } from "../../src/platform/edge-cache";
import { api, newAdmin, signIn } from "../support/admin";
import { adminClient } from "../support/admin-client";

function countedApp() {
  const calls = { match: 0, put: 0 };
  const counted: EdgeCache = {
    match: (key) => {
      calls.match++;
      return caches.default.match(key);
    },
    put: (key, res) => {
      calls.put++;
      return caches.default.put(key, res);
    },
  };
  const app = createApp({ deps: (config, bindings) => ({ ...defaultDeps(config, bindings), edgeCache: counted }) });
  return { app, calls };
}

describe("edge cache keyed by the catalog version", () => {
  it("stores a read at its second miss and serves the repeats from the edge cache, and an admin write makes the next read fresh", async () => {
    const admin = adminClient(await signIn(await newAdmin()));
    const t = await admin.ok(201, admin.post<{ id: string }>("/admin/titles", { kind: "movie", name: `Cache ${crypto.randomUUID()}` }));
    await admin.ok(200, admin.post(`/admin/titles/${t.id}/publish?force=true`));
    const a = await api(`/titles/${t.id}`);
    expect(a.headers.get("x-cache")).toBe("MISS");
    // A read made once is not stored (a one-off search costs no cache write): the second misses too.
    const b = await api(`/titles/${t.id}`);
    expect(b.headers.get("x-cache")).toBe("MISS");
    expect(b.headers.get("etag")).toBe(a.headers.get("etag"));
    const hit = await api(`/titles/${t.id}`);
    expect(hit.headers.get("x-cache")).toBe("HIT");
    expect(await hit.text()).toBe(await a.text());
    const c = await api(`/titles/${t.id}`, { headers: { "if-none-match": a.headers.get("etag") ?? "" } });
    expect(c.status).toBe(304);
    expect(c.headers.get("x-cache")).toBe("HIT");

    await admin.ok(200, admin.patch(`/admin/titles/${t.id}`, { name: "Renamed" }));
    const d = await api(`/titles/${t.id}`);
    expect(d.headers.get("x-cache")).toBe("MISS");
    expect(((await d.json()) as { title: { name: string } }).title.name).toBe("Renamed");
  });

  it("a list or search read and a title's page each look the cache up once per read, store at the second miss, and then hit", async () => {
    const admin = adminClient(await signIn(await newAdmin()));
    const t = await admin.ok(201, admin.post<{ id: string }>("/admin/titles", { kind: "movie", name: `Lookups ${crypto.randomUUID()}` }));
    await admin.ok(200, admin.post(`/admin/titles/${t.id}/publish?force=true`));
    for (const path of [`/api/v1/titles?q=lookups-${crypto.randomUUID()}`, "/api/v1/titles?limit=7", `/api/v1/titles/${t.id}`]) {
      const { app, calls } = countedApp();
      const get = async () => {
        const res = await app.request(path, {}, env);
        await res.arrayBuffer();
        return { path, status: res.status, cache: res.headers.get("x-cache"), ...calls };
      };
      expect(await get()).toEqual({ path, status: 200, cache: "MISS", match: 1, put: 0 });
      // Stored at the second miss: under its version, and as the URL's last answer (served stale
      // when no answer can be made).
      expect(await get()).toEqual({ path, status: 200, cache: "MISS", match: 2, put: 2 });
      expect(await get()).toEqual({ path, status: 200, cache: "HIT", match: 3, put: 2 });
    }
  });
});

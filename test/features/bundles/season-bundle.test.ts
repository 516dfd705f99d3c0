import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { type SeasonBundle, seasonBundleStub } from "../../../src/features/bundles/season-bundle";

describe("SeasonBundle Durable Object", () => {
  it("is reached by title+season through the typed client and starts idle", async () => {
    const ref = { titleId: crypto.randomUUID(), seasonNumber: 1 };
    const stub = seasonBundleStub(env.SEASON_BUNDLE, ref);
    expect(await stub.status(ref)).toMatchObject({ state: "idle", attempt: 0, bundleId: null });
    // The same title+season names the same object; another season another one.
    expect(seasonBundleStub(env.SEASON_BUNDLE, ref).id.equals(stub.id)).toBe(true);
    expect(seasonBundleStub(env.SEASON_BUNDLE, { ...ref, seasonNumber: 2 }).id.equals(stub.id)).toBe(false);
    await runInDurableObject(stub, async (_obj: SeasonBundle, state) => {
      const tables = state.storage.sql.exec<{ name: string }>("select name from sqlite_master where type = 'table'").toArray();
      expect(tables.map((t) => t.name)).toContain("bundle_state");
    });
  });

  it("refuses a malformed season reference", () => {
    expect(() => seasonBundleStub(env.SEASON_BUNDLE, { titleId: "not-a-uuid", seasonNumber: 1 })).toThrow();
    expect(() => seasonBundleStub(env.SEASON_BUNDLE, { titleId: crypto.randomUUID(), seasonNumber: -1 })).toThrow();
  });
});

// Someone must always be able to sign in: the last enabled admin can't be disabled, however many
// disable requests race. On a database of its own (the shared test database has many admins).
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrateDatabase } from "../../../scripts/db-migrate.ts";
import { postgres } from "../../../scripts/stack/config.ts";
import { createDatabase, dropDatabase } from "../../../scripts/stack/postgres.ts";
import { createAdmin, listAdmins, setAdminDisabled } from "../../../src/features/auth/admins-service.ts";
import { createDb } from "../../../src/platform/db.ts";

const name = `moviesnow_lastadmin_${randomUUID().slice(0, 8)}`;
const url = postgres.url.replace(/\/[^/]+$/, `/${name}`);
const audit = { actor: null, requestId: "last-admin-test", ip: null };
const key = Buffer.alloc(32, 3).toString("base64");

describe("the last enabled admin", () => {
  const { db } = createDb({ DATABASE_URL: url, NEON_FETCH_ENDPOINT: postgres.fetchEndpoint });
  beforeAll(async () => {
    createDatabase(name, true);
    await migrateDatabase(url, postgres.fetchEndpoint);
  }, 60_000);
  afterAll(() => dropDatabase(name));

  it("two admins disabling each other at once, twenty times over: one always stays enabled", async () => {
    for (let round = 0; round < 20; round++) {
      const [a, b] = await Promise.all(
        ["a", "b"].map((x) =>
          createAdmin(db, key, { email: `${x}-${randomUUID()}@moviesnow.test`, password: "a long enough password" }, audit),
        ),
      );
      const ids = [a?.admin.id ?? "", b?.admin.id ?? ""];
      // Every other admin out of the way: these two are the only enabled ones.
      for (const other of await listAdmins(db))
        if (!ids.includes(other.id) && !other.disabled) await setAdminDisabled(db, other.id, true, audit).catch(() => {});
      const outcomes = await Promise.allSettled(ids.map((id) => setAdminDisabled(db, id, true, audit)));
      expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(1);
      const refused = outcomes.find((o) => o.status === "rejected") as PromiseRejectedResult;
      expect(refused.reason).toMatchObject({ code: "CONFLICT" });
      expect((await listAdmins(db)).filter((x) => !x.disabled)).toHaveLength(1);
    }
  }, 120_000);

  it("the last one is refused with 409 and nothing is written; re-enabling is always allowed", async () => {
    const enabled = (await listAdmins(db)).filter((x) => !x.disabled);
    expect(enabled).toHaveLength(1);
    const last = enabled[0]?.id ?? "";
    await expect(setAdminDisabled(db, last, true, audit)).rejects.toMatchObject({ code: "CONFLICT" });
    expect((await listAdmins(db)).find((x) => x.id === last)?.disabled).toBe(false);
    const someone = (await listAdmins(db)).find((x) => x.disabled)?.id ?? "";
    expect((await setAdminDisabled(db, someone, false, audit)).disabled).toBe(false);
    expect((await setAdminDisabled(db, last, true, audit)).disabled).toBe(true);
  });
});

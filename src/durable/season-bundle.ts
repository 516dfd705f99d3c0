// SeasonBundle: the single writer of one season's bundle rebuild state (one object per
// title+season, reached by idFromName). State lives in the object's SQLite storage.
import { DurableObject } from "cloudflare:workers";
import * as z from "zod";

export const bundleStates = ["idle", "queued", "building", "ready", "failed"] as const;
export type BundleState = (typeof bundleStates)[number];

export const seasonRefSchema = z.object({ titleId: z.uuid(), seasonNumber: z.number().int().min(0).max(9999) });
export type SeasonRef = z.infer<typeof seasonRefSchema>;

export interface SeasonBundleStatus {
  state: BundleState;
  updatedAt: string | null;
}

export class SeasonBundle extends DurableObject<CloudflareBindings> {
  constructor(ctx: DurableObjectState, env: CloudflareBindings) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      this.ctx.storage.sql.exec(
        "CREATE TABLE IF NOT EXISTS bundle_state (id INTEGER PRIMARY KEY CHECK (id = 1), state TEXT NOT NULL, updated_at TEXT NOT NULL)",
      );
    });
  }

  async status(): Promise<SeasonBundleStatus> {
    const row = this.ctx.storage.sql
      .exec<{ state: string; updated_at: string }>("SELECT state, updated_at FROM bundle_state WHERE id = 1")
      .toArray()[0];
    if (!row) return { state: "idle", updatedAt: null };
    return { state: z.enum(bundleStates).parse(row.state), updatedAt: row.updated_at };
  }
}

/** The typed way to reach a season's object. */
export function seasonBundleStub(ns: DurableObjectNamespace<SeasonBundle>, ref: SeasonRef) {
  const r = seasonRefSchema.parse(ref);
  return ns.get(ns.idFromName(`${r.titleId}:${r.seasonNumber}`));
}

import { bigint, index, integer, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { idColumn, timestamps } from "./columns";
import { bundleSource, bundleStatus } from "./enums";
import { titleIdColumn } from "./title-id";

export const bundles = pgTable(
  "bundles",
  {
    id: idColumn(),
    titleId: titleIdColumn(),
    seasonNumber: integer("season_number").notNull(),
    storageKey: text("storage_key").notNull(),
    manifestKey: text("manifest_key"),
    sizeBytes: bigint("size_bytes", { mode: "number" }),
    sha256: text("sha256"),
    itemCount: integer("item_count"),
    label: text("label"),
    status: bundleStatus("status").notNull().default("building"),
    source: bundleSource("source").notNull().default("rebuild"),
    expiresAt: timestamp("expires_at", { withTimezone: true }),
    createdBy: text("created_by"),
    ...timestamps,
  },
  (t) => [index("bundles_title_season_idx").on(t.titleId, t.seasonNumber, t.status)],
);

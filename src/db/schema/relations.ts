// How the tables hang together, for drizzle's relational queries: a title with its seasons,
// episodes and assets is read in one SQL statement (json aggregation), not one query per table.
import { relations } from "drizzle-orm";
import { episodes } from "./episodes";
import { mediaAssets } from "./media-assets";
import { seasons } from "./seasons";
import { titles } from "./titles";

export const titleRelations = relations(titles, ({ many }) => ({
  seasons: many(seasons),
  episodes: many(episodes),
  mediaAssets: many(mediaAssets),
}));

export const seasonRelations = relations(seasons, ({ one }) => ({
  title: one(titles, { fields: [seasons.titleId], references: [titles.id] }),
}));

export const episodeRelations = relations(episodes, ({ one }) => ({
  title: one(titles, { fields: [episodes.titleId], references: [titles.id] }),
}));

export const mediaAssetRelations = relations(mediaAssets, ({ one }) => ({
  title: one(titles, { fields: [mediaAssets.titleId], references: [titles.id] }),
}));

import { sql } from "drizzle-orm";
import { check, date, foreignKey, integer, pgTable, text, unique } from "drizzle-orm/pg-core";
import { idColumn, timestamps } from "./columns";
import { seasons } from "./seasons";
import { titleIdColumn } from "./title-id";

export const episodes = pgTable(
  "episodes",
  {
    id: idColumn(),
    titleId: titleIdColumn(),
    seasonNumber: integer("season_number").notNull(),
    episodeNumber: integer("episode_number").notNull(),
    name: text("name"),
    overview: text("overview"),
    runtimeMinutes: integer("runtime_minutes"),
    airDate: date("air_date"),
    ...timestamps,
  },
  (t) => [
    unique("episodes_season_episode_unique").on(t.titleId, t.seasonNumber, t.episodeNumber),
    foreignKey({ columns: [t.titleId, t.seasonNumber], foreignColumns: [seasons.titleId, seasons.number] }).onDelete("cascade"),
    check("episodes_number_check", sql`${t.episodeNumber} >= 1`),
  ],
);

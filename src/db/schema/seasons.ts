import { sql } from "drizzle-orm";
import { check, integer, pgTable, primaryKey, text, uuid } from "drizzle-orm/pg-core";
import { timestamps } from "./columns";
import { titles } from "./titles";

export const seasons = pgTable(
  "seasons",
  {
    titleId: uuid("title_id")
      .notNull()
      .references(() => titles.id, { onDelete: "cascade" }),
    number: integer("number").notNull(),
    name: text("name"),
    overview: text("overview"),
    ...timestamps,
  },
  (t) => [primaryKey({ columns: [t.titleId, t.number] }), check("seasons_number_check", sql`${t.number} >= 0`)],
);

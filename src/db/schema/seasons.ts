import { sql } from "drizzle-orm";
import { check, integer, pgTable, primaryKey, text } from "drizzle-orm/pg-core";
import { timestamps } from "./columns";
import { titleIdColumn } from "./title-id";

export const seasons = pgTable(
  "seasons",
  {
    titleId: titleIdColumn(),
    number: integer("number").notNull(),
    name: text("name"),
    overview: text("overview"),
    ...timestamps,
  },
  (t) => [primaryKey({ columns: [t.titleId, t.number] }), check("seasons_number_check", sql`${t.number} >= 0`)],
);

import { uuid } from "drizzle-orm/pg-core";
import { titles } from "./titles";

/** title_id on a table whose rows belong to a title: required, and deleted with it. */
export const titleIdColumn = () =>
  uuid("title_id")
    .notNull()
    .references(() => titles.id, { onDelete: "cascade" });

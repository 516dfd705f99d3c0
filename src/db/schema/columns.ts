import { timestamp, uuid } from "drizzle-orm/pg-core";

/** The uuid primary key every entity table has. */
export const idColumn = () => uuid("id").primaryKey().defaultRandom();

/** created_at / updated_at on every mutable table. */
export const timestamps = {
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true })
    .notNull()
    .defaultNow()
    .$onUpdate(() => new Date()),
};

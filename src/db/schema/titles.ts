import { sql } from "drizzle-orm";
import { customType, date, index, integer, pgTable, real, smallint, text } from "drizzle-orm/pg-core";
import { idColumn, timestamps } from "./columns";
import { titleKind, titleStatus } from "./enums";

const tsvector = customType<{ data: string }>({ dataType: () => "tsvector" });

export const titles = pgTable(
  "titles",
  {
    id: idColumn(),
    kind: titleKind("kind").notNull(),
    slug: text("slug").notNull().unique(),
    name: text("name").notNull(),
    originalName: text("original_name"),
    overview: text("overview"),
    year: smallint("year"),
    releaseDate: date("release_date"),
    genres: text("genres").array().notNull().default(sql`'{}'::text[]`),
    languages: text("languages").array().notNull().default(sql`'{}'::text[]`),
    ageRating: text("age_rating"),
    runtimeMinutes: integer("runtime_minutes"),
    status: titleStatus("status").notNull().default("draft"),
    popularity: real("popularity").notNull().default(0),
    // Weighted: name first, then original name, then overview.
    search: tsvector("search").generatedAlwaysAs(
      sql`setweight(to_tsvector('simple', coalesce(name, '')), 'A') || setweight(to_tsvector('simple', coalesce(original_name, '')), 'B') || setweight(to_tsvector('english', coalesce(overview, '')), 'C')`,
    ),
    ...timestamps,
  },
  (t) => [
    index("titles_search_idx").using("gin", t.search),
    // One per public sort, on the exact expressions its keyset ORDER BY uses (catalog/service.ts
    // searchTitles): a page, first or deep, reads 21 index entries instead of sorting the table.
    index("titles_popularity_keyset_idx").on(t.status, sql`(${t.popularity}::float8) desc`, sql`(${t.id}::text) desc`),
    index("titles_name_keyset_idx").on(t.status, sql`lower(${t.name})`, sql`(${t.id}::text)`),
    index("titles_year_keyset_idx").on(t.status, sql`(coalesce(${t.year}, 0)::int) desc`, sql`(${t.id}::text) desc`),
    index("titles_newest_keyset_idx").on(t.status, sql`${t.createdAt} desc`, sql`(${t.id}::text) desc`),
    index("titles_genres_idx").using("gin", t.genres),
    index("titles_languages_idx").using("gin", t.languages),
    // Typo-tolerant name search; pg_trgm comes from the custom migration 0001.
    index("titles_name_trgm_idx").using("gin", t.name.op("gin_trgm_ops")),
  ],
);

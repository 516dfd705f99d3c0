DROP INDEX "titles_status_popularity_idx";--> statement-breakpoint
CREATE INDEX "titles_popularity_keyset_idx" ON "titles" USING btree ("status",("popularity"::float8) desc,("id"::text) desc);--> statement-breakpoint
CREATE INDEX "titles_name_keyset_idx" ON "titles" USING btree ("status",lower("name"),("id"::text));--> statement-breakpoint
CREATE INDEX "titles_year_keyset_idx" ON "titles" USING btree ("status",(coalesce("year", 0)::int) desc,("id"::text) desc);--> statement-breakpoint
CREATE INDEX "titles_newest_keyset_idx" ON "titles" USING btree ("status","created_at" desc,("id"::text) desc);--> statement-breakpoint
CREATE INDEX "titles_genres_idx" ON "titles" USING gin ("genres");--> statement-breakpoint
CREATE INDEX "titles_languages_idx" ON "titles" USING gin ("languages");
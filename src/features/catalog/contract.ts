// Wire shapes of the catalog: titles, seasons, episodes and the media validation report, as the
// admin and public routes answer them, and the fields an admin may send to create or change them.
import * as z from "zod";
import { toWire } from "../../lib/wire";
import type { Finding, ValidationReport } from "./media-validation";
import type { Episode, Season, Title } from "./service";

const lowerList = (max: number) =>
  z
    .array(z.string().trim().min(1).max(40))
    .max(max)
    .transform((v) => [...new Set(v.map((x) => x.toLowerCase()))]);

/** Title fields an admin may set, with their bounds. */
export const titleFields = {
  name: z.string().trim().min(1).max(300),
  slug: z
    .string()
    .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, "lowercase letters, digits and single hyphens")
    .max(100),
  original_name: z.string().max(300).nullable(),
  overview: z.string().max(10_000).nullable(),
  year: z.number().int().min(1870).max(2100).nullable(),
  release_date: z.iso.date().nullable(),
  genres: lowerList(20),
  languages: lowerList(20),
  age_rating: z.string().max(20).nullable(),
  runtime_minutes: z.number().int().min(1).max(2000).nullable(),
  // Stored as a 4-byte real: a tiny positive value would underflow there.
  popularity: z
    .number()
    .min(0)
    .max(1e9)
    .refine((v) => v === 0 || v >= 1e-6, "must be 0 or at least 0.000001"),
};

export const createTitleBody = z
  .object({
    kind: z.enum(["movie", "series"]),
    ...titleFields,
    slug: titleFields.slug.optional(),
    original_name: titleFields.original_name.optional(),
    overview: titleFields.overview.optional(),
    year: titleFields.year.optional(),
    release_date: titleFields.release_date.optional(),
    genres: titleFields.genres.optional(),
    languages: titleFields.languages.optional(),
    age_rating: titleFields.age_rating.optional(),
    runtime_minutes: titleFields.runtime_minutes.optional(),
    popularity: titleFields.popularity.optional(),
  })
  .meta({ id: "CreateTitle" });
export const patchTitleBody = z
  .object(
    Object.fromEntries(Object.entries(titleFields).map(([k, v]) => [k, v.optional()])) as {
      [K in keyof typeof titleFields]: z.ZodOptional<(typeof titleFields)[K]>;
    },
  )
  .strict()
  .refine((o) => Object.keys(o).length > 0, "send at least one field")
  .meta({ id: "PatchTitle" });

/** Episode fields an admin may set, with their bounds. */
const episodeFields = {
  episode_number: z.number().int().min(1).max(9999),
  name: z.string().max(300).nullable().optional(),
  overview: z.string().max(10_000).nullable().optional(),
  runtime_minutes: z.number().int().min(1).max(2000).nullable().optional(),
  air_date: z.iso.date().nullable().optional(),
};
export const createEpisodeBody = z
  .object({ season_number: z.number().int().min(0).max(9999), ...episodeFields })
  .meta({ id: "CreateEpisode" });
export const patchEpisodeBody = z.object({ ...episodeFields, episode_number: episodeFields.episode_number.optional() }).strict();

export const titleSchema = z
  .object({
    id: z.uuid(),
    kind: z.enum(["movie", "series"]),
    slug: z.string(),
    name: z.string(),
    original_name: z.string().nullable(),
    overview: z.string().nullable(),
    year: z.number().int().nullable(),
    release_date: z.string().nullable(),
    genres: z.array(z.string()),
    languages: z.array(z.string()),
    age_rating: z.string().nullable(),
    runtime_minutes: z.number().int().nullable(),
    status: z.enum(["draft", "published", "archived"]),
    popularity: z.number(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({
    id: "Title",
    examples: [
      {
        id: "6b0c1f7e-2a4d-4c8e-9f3b-1d2e3f4a5b6c",
        kind: "series",
        slug: "the-long-night",
        name: "The Long Night",
        original_name: null,
        overview: "A lighthouse keeper and the storm that would not end.",
        year: 2024,
        release_date: "2024-10-03",
        genres: ["drama", "thriller"],
        languages: ["en", "fr"],
        age_rating: "12",
        runtime_minutes: null,
        status: "published",
        popularity: 87.5,
        created_at: "2026-11-02T09:15:00.000Z",
        updated_at: "2026-11-20T17:42:10.000Z",
      },
    ],
  });
export type TitleJson = z.infer<typeof titleSchema>;

export const titleJson = (t: Title): TitleJson => toWire(titleSchema, t);

export const episodeSchema = z
  .object({
    id: z.uuid(),
    title_id: z.uuid(),
    season_number: z.number().int(),
    episode_number: z.number().int(),
    name: z.string().nullable(),
    overview: z.string().nullable(),
    runtime_minutes: z.number().int().nullable(),
    air_date: z.string().nullable(),
  })
  .meta({ id: "Episode" });
export const episodeJson = (e: Episode): z.infer<typeof episodeSchema> => toWire(episodeSchema, e);

export const seasonSchema = z
  .object({ number: z.number().int(), name: z.string().nullable(), overview: z.string().nullable(), episodes: z.array(episodeSchema) })
  .meta({ id: "Season" });
export const seasonJson = (s: Season & { episodes?: Episode[] }): z.infer<typeof seasonSchema> =>
  toWire(seasonSchema, s, { episodes: (s.episodes ?? []).map(episodeJson) });

const findingSchema = z.object({ code: z.string(), message: z.string(), asset_id: z.uuid().nullable(), episode_id: z.uuid().nullable() });
export const validationSchema = z
  .object({ title_id: z.uuid(), ok: z.boolean(), errors: z.array(findingSchema), warnings: z.array(findingSchema) })
  .meta({ id: "MediaValidationReport" });
const findingJson = (f: Finding) => toWire(findingSchema, f);
export const validationJson = (r: ValidationReport): z.infer<typeof validationSchema> =>
  toWire(validationSchema, r, { errors: r.errors.map(findingJson), warnings: r.warnings.map(findingJson) });

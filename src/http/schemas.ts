// Request pieces shared by the admin catalog routes.
import * as z from "zod";

export const uuidParam = (name: string) => z.uuid().meta({ param: { name, in: "path" } });
export const idParams = z.object({ id: uuidParam("id") });
export const idempotencyHeaders = z.object({
  "idempotency-key": z
    .string()
    .max(255)
    .optional()
    .describe("Makes a retry safe: the same key and request replay the first response for 24 h"),
});
export const forceQuery = z.object({
  force: z.enum(["true", "false"]).optional().describe("true: go ahead despite dependents or failed validation"),
});
export const isForced = (q: { force?: "true" | "false" | undefined }) => q.force === "true";
export const json = <T extends z.ZodType>(schema: T, description = "") => ({
  ...(description ? { description } : {}),
  content: { "application/json": { schema } },
});
export const body = <T extends z.ZodType>(schema: T) => ({ body: { required: true, content: { "application/json": { schema } } } });

const lowerList = (max: number) =>
  z
    .array(z.string().trim().min(1).max(40))
    .max(max)
    .transform((v) => [...new Set(v.map((x) => x.toLowerCase()))]);

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

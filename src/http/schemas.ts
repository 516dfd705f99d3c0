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

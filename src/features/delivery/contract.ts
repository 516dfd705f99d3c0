// Wire shapes of delivery: the storage key and file name a client asks for, a signed download.
import * as z from "zod";
import { CONTROL_CHARACTERS, NO_CONTROL_CHARACTERS } from "../../lib/storage-keys";
import { toWire } from "../../lib/wire";
import type { SignedDownload } from "./service";

const plain = (s: string) => !CONTROL_CHARACTERS.test(s);
export const storageKey = z.string().min(1).max(1024).refine(plain, NO_CONTROL_CHARACTERS);
export const filename = z
  .string()
  .min(1)
  .max(255)
  .refine(plain, NO_CONTROL_CHARACTERS)
  .describe("Name the browser saves the file as (any Unicode but control characters)");
export const signedSchema = z
  .object({
    storage_key: z.string(),
    url: z.string(),
    expires_at: z.string(),
    filename: z.string(),
    size_bytes: z.number().int().nullable(),
  })
  .meta({ id: "SignedDownload" });
export const signedJson = (s: SignedDownload): z.infer<typeof signedSchema> => toWire(signedSchema, s);

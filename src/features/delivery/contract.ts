// Wire shapes of delivery: the storage key and file name a client asks for, a signed download.
import * as z from "zod";
import { plainText } from "../../lib/storage-keys";
import { toWire } from "../../lib/wire";
import type { SignedDownload } from "./service";

export const storageKey = plainText(1024);
export const filename = plainText(255).describe("Name the browser saves the file as (any Unicode but control characters)");
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

// Wire shape of an admin account.
import * as z from "zod";
import { toWire } from "../../lib/wire";
import type { AdminView } from "./admins-service";

export const adminSchema = z
  .object({
    id: z.uuid(),
    email: z.string(),
    disabled: z.boolean(),
    mfa_enrolled: z.boolean(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: "Admin" });
export const adminJson = (a: AdminView): z.infer<typeof adminSchema> => toWire(adminSchema, a);

// Wire shape of the audit trail.
import * as z from "zod";
import { type RowFor, toWire } from "../../lib/wire";

export const auditEntrySchema = z
  .object({
    id: z.number().int(),
    at: z.string(),
    actor: z.string(),
    action: z.string(),
    resource_type: z.string(),
    resource_id: z.string().nullable(),
    request_id: z.string().nullable(),
    ip: z.string().nullable(),
    details: z.record(z.string(), z.unknown()),
  })
  .meta({ id: "AuditLogEntry" });
export const auditEntryJson = (r: RowFor<z.infer<typeof auditEntrySchema>>): z.infer<typeof auditEntrySchema> =>
  toWire(auditEntrySchema, r);

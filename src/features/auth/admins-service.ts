// Admin accounts: created with a password and an enrolled TOTP secret (the otpauth URI is shown
// once), listed, disabled and re-enabled. The CLI and the admin API share this code.
import { asc, eq, sql } from "drizzle-orm";
import { adminUsers } from "../../db/schema";
import { hashPassword } from "../../lib/crypto/password";
import { seal } from "../../lib/crypto/secret-box";
import { newTotpSecret, otpauthUri } from "../../lib/crypto/totp";
import { AppError } from "../../lib/errors";
import type { Database } from "../../platform/db";
import { type AuditContext, actorLabel, audited } from "../audit/service";
import { normaliseEmail } from "./service";

export const MIN_PASSWORD_LENGTH = 12;

export interface AdminView {
  id: string;
  email: string;
  disabled: boolean;
  mfaEnrolled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

const view = (u: typeof adminUsers.$inferSelect): AdminView => ({
  id: u.id,
  email: u.email,
  disabled: u.disabled,
  mfaEnrolled: u.totpSecretEnc !== null,
  createdAt: u.createdAt,
  updatedAt: u.updatedAt,
});

const isUniqueViolation = (e: unknown) => {
  const x = e as { code?: string; cause?: { code?: string } };
  return x?.code === "23505" || x?.cause?.code === "23505";
};

export async function createAdmin(
  db: Database,
  encryptionKey: string,
  input: { email: string; password: string },
  audit: AuditContext,
): Promise<{ admin: AdminView; otpauthUri: string; totpSecret: string }> {
  const email = normaliseEmail(input.email);
  if (input.password.length < MIN_PASSWORD_LENGTH) {
    throw new AppError("VALIDATION_FAILED", `password must be at least ${MIN_PASSWORD_LENGTH} characters`, {
      errors: [{ path: "json.password", message: `must be at least ${MIN_PASSWORD_LENGTH} characters` }],
    });
  }
  const id = crypto.randomUUID();
  const totpSecret = newTotpSecret();
  const row = {
    id,
    email,
    passwordHash: await hashPassword(input.password, encryptionKey),
    totpSecretEnc: await seal(totpSecret, encryptionKey, `admin:${id}`),
  };
  try {
    const write = db.insert(adminUsers).values(row).returning();
    const inserted = await audited(db, write, audit, "admin_user.create", ["admin_user", id], {
      email,
    });
    const admin = inserted[0];
    if (!admin) throw new Error("insert returned no row");
    return { admin: view(admin), otpauthUri: otpauthUri(totpSecret, email), totpSecret };
  } catch (e) {
    if (isUniqueViolation(e)) throw new AppError("CONFLICT", `An admin with email ${email} already exists.`);
    throw e;
  }
}

export async function listAdmins(db: Database): Promise<AdminView[]> {
  return (await db.select().from(adminUsers).orderBy(asc(adminUsers.email))).map(view);
}

/** Serialises changes to who is enabled: with it, "another admin stays enabled" holds under concurrency. */
const ENABLED_ADMINS_LOCK = sql`select pg_advisory_xact_lock(hashtext('moviesnow:admin_users:enabled'))`;

/**
 * Disables or re-enables an admin. The last enabled admin can't be disabled (409): someone must
 * always be able to sign in. One transaction takes a lock first, so two admins disabling each
 * other at once can't both succeed; the audit row is written only when the row changed.
 */
export async function setAdminDisabled(db: Database, id: string, disabled: boolean, audit: AuditContext): Promise<AdminView> {
  const [existing] = await db.select({ id: adminUsers.id }).from(adminUsers).where(eq(adminUsers.id, id)).limit(1);
  if (!existing) throw new AppError("NOT_FOUND", `No admin with id ${id}.`);
  const action = disabled ? "admin_user.disable" : "admin_user.enable";
  const [, changed] = await db.batch([
    db.execute(ENABLED_ADMINS_LOCK),
    db.execute<typeof adminUsers.$inferSelect>(sql`
      with changed as (
        update ${adminUsers} set disabled = ${disabled}, updated_at = now()
        where id = ${id}
          and (${!disabled} or exists (select 1 from ${adminUsers} o where o.disabled = false and o.id <> ${id}))
        returning *
      ), logged as (
        insert into audit_logs (actor, action, resource_type, resource_id, request_id, ip, details)
        select ${actorLabel(audit.actor)}, ${action}, 'admin_user', id::text, ${audit.requestId}, ${audit.ip}, '{}'::jsonb from changed
      )
      select id from changed`),
  ]);
  if (changed.rows.length !== 1)
    throw new AppError("CONFLICT", "This is the last enabled admin; enable or create another before disabling it.");
  const [admin] = await db.select().from(adminUsers).where(eq(adminUsers.id, id)).limit(1);
  if (!admin) throw new Error(`admin ${id} vanished during update`);
  return view(admin);
}

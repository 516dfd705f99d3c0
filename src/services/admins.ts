// Admin accounts: created with a password and an enrolled TOTP secret (the otpauth URI is shown
// once), listed, disabled and re-enabled. The CLI and the admin API share this code.
import { asc, eq } from "drizzle-orm";
import type { Database } from "../adapters/db";
import { adminUsers } from "../db/schema";
import { hashPassword } from "../lib/crypto/password";
import { seal } from "../lib/crypto/secret-box";
import { newTotpSecret, otpauthUri } from "../lib/crypto/totp";
import { AppError } from "../lib/errors";
import { type AuditContext, auditInsert } from "./audit";
import { normaliseEmail } from "./auth";

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
      errors: [{ path: "body.password", message: `must be at least ${MIN_PASSWORD_LENGTH} characters` }],
    });
  }
  const id = crypto.randomUUID();
  const totpSecret = newTotpSecret();
  const row = {
    id,
    email,
    passwordHash: await hashPassword(input.password),
    totpSecretEnc: await seal(totpSecret, encryptionKey, `admin:${id}`),
  };
  try {
    const [inserted] = await db.batch([
      db.insert(adminUsers).values(row).returning(),
      auditInsert(db, audit, { action: "admin_user.create", resourceType: "admin_user", resourceId: id, details: { email } }),
    ]);
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

export async function setAdminDisabled(db: Database, id: string, disabled: boolean, audit: AuditContext): Promise<AdminView> {
  const [existing] = await db.select({ id: adminUsers.id }).from(adminUsers).where(eq(adminUsers.id, id)).limit(1);
  if (!existing) throw new AppError("NOT_FOUND", `No admin with id ${id}.`);
  const [updated] = await db.batch([
    db.update(adminUsers).set({ disabled }).where(eq(adminUsers.id, id)).returning(),
    auditInsert(db, audit, { action: disabled ? "admin_user.disable" : "admin_user.enable", resourceType: "admin_user", resourceId: id }),
  ]);
  const admin = updated[0];
  if (!admin) throw new Error(`admin ${id} vanished during update`);
  return view(admin);
}

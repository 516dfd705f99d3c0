import { bigint, boolean, pgTable, text } from "drizzle-orm/pg-core";
import { idColumn, timestamps } from "./columns";

export const adminUsers = pgTable("admin_users", {
  id: idColumn(),
  email: text("email").notNull().unique(),
  /** `pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>` */
  passwordHash: text("password_hash").notNull(),
  /** AES-GCM ciphertext of the TOTP secret, keyed by a Worker secret. */
  totpSecretEnc: text("totp_secret_enc"),
  /** The last TOTP time step accepted, so a code can't be replayed. */
  lastTotpStep: bigint("last_totp_step", { mode: "number" }),
  disabled: boolean("disabled").notNull().default(false),
  ...timestamps,
});

import { bigint, boolean, pgTable, text, uuid } from "drizzle-orm/pg-core";
import { timestamps } from "./columns";

export const adminUsers = pgTable("admin_users", {
  id: uuid("id").primaryKey().defaultRandom(),
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

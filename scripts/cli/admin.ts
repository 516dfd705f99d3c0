// `moviesnow admin …`: enrol admins straight into the database (create, list).
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import qrcode from "qrcode-terminal";
import { createAdmin, listAdmins } from "../../src/features/auth/admins-service.ts";
import { createDb } from "../../src/platform/db.ts";
import { parseVars } from "../dev-vars.ts";
import { type Command, UsageError } from "./command.ts";
import { ask } from "./prompt.ts";

function config(): Record<string, string | undefined> {
  const file = resolve(import.meta.dirname, "../../.dev.vars");
  const local = existsSync(file) ? Object.fromEntries(parseVars(readFileSync(file, "utf8"))) : {};
  const pick = (k: string) => process.env[k] ?? local[k];
  return {
    DATABASE_URL: pick("DATABASE_URL"),
    NEON_FETCH_ENDPOINT: pick("NEON_FETCH_ENDPOINT"),
    TOTP_ENCRYPTION_KEY: pick("TOTP_ENCRYPTION_KEY"),
  };
}

function required(cfg: Record<string, string | undefined>, name: string): string {
  const v = cfg[name];
  if (!v) throw new Error(`${name} is not set (environment or .dev.vars)`);
  return v;
}

const usage = `moviesnow admin create --email EMAIL [--password-stdin] [--qr] [--json]
moviesnow admin list [--json]

  create: an admin with a password (prompted, from stdin, or MOVIESNOW_ADMIN_PASSWORD) and a new
          TOTP secret; prints the otpauth:// URI once, to add to an authenticator app, and on a
          terminal (or with --qr) the same as a QR code to scan.
  Uses DATABASE_URL and TOTP_ENCRYPTION_KEY from the environment, else .dev.vars.

  Examples:
    moviesnow admin create --email ops@moviesnow.example
    echo "$PASSWORD" | moviesnow admin create --email ci@moviesnow.example --password-stdin --json
    moviesnow admin list`;

export const adminCommand: Command = {
  usage,
  async run(args) {
    const [cmd, ...rest] = args;
    const cfg = config();
    const db = () => createDb({ DATABASE_URL: required(cfg, "DATABASE_URL"), NEON_FETCH_ENDPOINT: cfg.NEON_FETCH_ENDPOINT }).db;
    if (cmd === "create") {
      const { values } = parseArgs({
        args: rest,
        options: { email: { type: "string" }, "password-stdin": { type: "boolean" }, json: { type: "boolean" }, qr: { type: "boolean" } },
      });
      if (!values.email) throw new UsageError("admin create needs --email");
      const password = await ask("Password (at least 12 characters): ", "MOVIESNOW_ADMIN_PASSWORD", values["password-stdin"]);
      const r = await createAdmin(
        db(),
        required(cfg, "TOTP_ENCRYPTION_KEY"),
        { email: values.email, password },
        { actor: null, requestId: `cli-${crypto.randomUUID()}`, ip: null },
      );
      if (values.json) console.log(JSON.stringify({ id: r.admin.id, email: r.admin.email, otpauth_uri: r.otpauthUri }));
      else {
        console.log(`admin ${r.admin.email} created (id ${r.admin.id}).`);
        console.log("Add this to an authenticator app now; it is not shown again:");
        console.log(r.otpauthUri);
        // The same URI as a QR code to scan, on a terminal (or when asked with --qr).
        if (values.qr ?? process.stdout.isTTY) qrcode.generate(r.otpauthUri, { small: true }, (q) => console.log(q));
      }
      return 0;
    }
    if (cmd === "list") {
      const { values } = parseArgs({ args: rest, options: { json: { type: "boolean" } } });
      const admins = await listAdmins(db());
      if (values.json) console.log(JSON.stringify(admins.map((a) => ({ id: a.id, email: a.email, disabled: a.disabled }))));
      else for (const a of admins) console.log(`${a.id}  ${a.email}${a.disabled ? "  (disabled)" : ""}`);
      return 0;
    }
    throw new UsageError(`unknown admin command ${JSON.stringify(cmd ?? "")}`);
  },
};

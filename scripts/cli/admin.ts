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

const SETTINGS = ["DATABASE_URL", "NEON_FETCH_ENDPOINT", "TOTP_ENCRYPTION_KEY"] as const;
type Settings = { values: Partial<Record<(typeof SETTINGS)[number], string>>; source: string };

/**
 * The settings come from one place, never mixed: --secrets-file FILE; else the environment, when it
 * names DATABASE_URL or TOTP_ENCRYPTION_KEY; else .dev.vars (development). Mixed, production's
 * database with development's key would enrol an admin whose TOTP seed no Worker can decrypt.
 */
function config(envFile: string | undefined): Settings {
  const pickAll = (from: Record<string, string | undefined>) =>
    Object.fromEntries(SETTINGS.flatMap((k) => (from[k] ? [[k, from[k]]] : []))) as Settings["values"];
  if (envFile) {
    if (!existsSync(envFile)) throw new UsageError(`--secrets-file ${envFile}: no such file`);
    return { values: pickAll(Object.fromEntries(parseVars(readFileSync(envFile, "utf8")))), source: envFile };
  }
  if (process.env.DATABASE_URL || process.env.TOTP_ENCRYPTION_KEY) return { values: pickAll(process.env), source: "the environment" };
  const file = resolve(import.meta.dirname, "../../.dev.vars");
  const local = existsSync(file) ? Object.fromEntries(parseVars(readFileSync(file, "utf8"))) : {};
  return { values: pickAll(local), source: ".dev.vars (neither DATABASE_URL nor TOTP_ENCRYPTION_KEY is in the environment)" };
}

function required(cfg: Settings, name: "DATABASE_URL" | "TOTP_ENCRYPTION_KEY"): string {
  const v = cfg.values[name];
  if (!v) throw new Error(`${name} is not set in ${cfg.source}; every setting comes from that one place`);
  return v;
}

const usage = `moviesnow admin create --email EMAIL [--password-stdin] [--qr] [--json] [--secrets-file FILE]
moviesnow admin list [--json] [--secrets-file FILE]

  create: an admin with a password (prompted, from stdin, or MOVIESNOW_ADMIN_PASSWORD) and a new
          TOTP secret; prints the otpauth:// URI once, to add to an authenticator app, and on a
          terminal (or with --qr) the same as a QR code to scan.
  Settings (DATABASE_URL, TOTP_ENCRYPTION_KEY, NEON_FETCH_ENDPOINT) come from one place, never
  mixed: --secrets-file FILE (e.g. the deploy's secrets file), else the environment when it sets
  DATABASE_URL or TOTP_ENCRYPTION_KEY, else .dev.vars (development).

  Examples:
    moviesnow admin create --email ops@moviesnow.example --secrets-file prod.secrets.env
    echo "$PASSWORD" | moviesnow admin create --email ci@moviesnow.example --password-stdin --json
    moviesnow admin list`;

export const adminCommand: Command = {
  usage,
  async run(args) {
    const [cmd, ...rest] = args;
    const db = (cfg: Settings) =>
      createDb({ DATABASE_URL: required(cfg, "DATABASE_URL"), NEON_FETCH_ENDPOINT: cfg.values.NEON_FETCH_ENDPOINT }).db;
    if (cmd === "create") {
      const { values } = parseArgs({
        args: rest,
        options: {
          email: { type: "string" },
          "password-stdin": { type: "boolean" },
          json: { type: "boolean" },
          qr: { type: "boolean" },
          "secrets-file": { type: "string" },
        },
      });
      if (!values.email) throw new UsageError("admin create needs --email");
      const cfg = config(values["secrets-file"]);
      const key = required(cfg, "TOTP_ENCRYPTION_KEY");
      const database = db(cfg);
      const password = await ask("Password (at least 12 characters): ", "MOVIESNOW_ADMIN_PASSWORD", values["password-stdin"]);
      const r = await createAdmin(
        database,
        key,
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
      const { values } = parseArgs({ args: rest, options: { json: { type: "boolean" }, "secrets-file": { type: "string" } } });
      const admins = await listAdmins(db(config(values["secrets-file"])));
      if (values.json) console.log(JSON.stringify(admins.map((a) => ({ id: a.id, email: a.email, disabled: a.disabled }))));
      else for (const a of admins) console.log(`${a.id}  ${a.email}${a.disabled ? "  (disabled)" : ""}`);
      return 0;
    }
    throw new UsageError(`unknown admin command ${JSON.stringify(cmd ?? "")}`);
  },
};

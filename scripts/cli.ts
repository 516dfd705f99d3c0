// The operator CLI: `npm run cli -- <command>` (also installed as `moviesnow`).
//   admin create --email E [--password-stdin]   create an admin, print its otpauth:// URI
//   admin list                                  list admins
// Configuration comes from the environment (DATABASE_URL, TOTP_ENCRYPTION_KEY, and
// NEON_FETCH_ENDPOINT locally), falling back to .dev.vars for local use.
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { createInterface } from "node:readline/promises";
import { parseArgs } from "node:util";
import { createDb } from "../src/adapters/db.ts";
import { AppError } from "../src/lib/errors.ts";
import { createAdmin, listAdmins } from "../src/services/admins.ts";
import { parseVars } from "./dev-vars.ts";

function config(): Record<string, string | undefined> {
  const file = resolve(import.meta.dirname, "../.dev.vars");
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

async function readPassword(fromStdin: boolean): Promise<string> {
  if (process.env.MOVIESNOW_ADMIN_PASSWORD) return process.env.MOVIESNOW_ADMIN_PASSWORD;
  if (fromStdin || !process.stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks)
      .toString("utf8")
      .replace(/\r?\n$/, "");
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  try {
    return await rl.question("Password (at least 12 characters): ");
  } finally {
    rl.close();
  }
}

async function main(argv: string[]): Promise<number> {
  const [area, cmd, ...rest] = argv;
  const cfg = config();
  if (area === "admin" && cmd === "create") {
    const { values } = parseArgs({ args: rest, options: { email: { type: "string" }, "password-stdin": { type: "boolean" } } });
    if (!values.email) throw new Error("admin create needs --email");
    const password = await readPassword(values["password-stdin"] ?? false);
    const { db } = createDb({ DATABASE_URL: required(cfg, "DATABASE_URL"), NEON_FETCH_ENDPOINT: cfg.NEON_FETCH_ENDPOINT });
    const r = await createAdmin(
      db,
      required(cfg, "TOTP_ENCRYPTION_KEY"),
      { email: values.email, password },
      {
        actor: null,
        requestId: `cli-${crypto.randomUUID()}`,
        ip: null,
      },
    );
    console.log(`admin ${r.admin.email} created (id ${r.admin.id}).`);
    console.log("Add this to an authenticator app now; it is not shown again:");
    console.log(r.otpauthUri);
    return 0;
  }
  if (area === "admin" && cmd === "list") {
    const { db } = createDb({ DATABASE_URL: required(cfg, "DATABASE_URL"), NEON_FETCH_ENDPOINT: cfg.NEON_FETCH_ENDPOINT });
    for (const a of await listAdmins(db)) console.log(`${a.id}  ${a.email}${a.disabled ? "  (disabled)" : ""}`);
    return 0;
  }
  console.error("usage: moviesnow admin create --email EMAIL [--password-stdin] | admin list");
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`moviesnow: ${e instanceof AppError ? e.message : (e as Error).message}`);
    process.exit(1);
  },
);

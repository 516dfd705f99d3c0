// The operator CLI's admin enrolment, run as operators run it (bin/moviesnow.cjs: the bundle built
// from this checkout) against the test database.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { postgres, workerVars } from "../../../scripts/stack/config.ts";
import { testDatabaseUrl } from "../../support/stack-env.ts";

const root = resolve(import.meta.dirname, "../../..");
const settings: Record<string, string> = {
  DATABASE_URL: testDatabaseUrl,
  NEON_FETCH_ENDPOINT: postgres.fetchEndpoint,
  TOTP_ENCRYPTION_KEY: workerVars().TOTP_ENCRYPTION_KEY ?? "",
};
const cli = (args: string[], input = "", env: Record<string, string> = settings) =>
  spawnSync(process.execPath, ["bin/moviesnow.cjs", ...args], {
    cwd: root,
    input,
    encoding: "utf8",
    env: { ...process.env, DATABASE_URL: "", NEON_FETCH_ENDPOINT: "", TOTP_ENCRYPTION_KEY: "", MOVIESNOW_ADMIN_PASSWORD: "", ...env },
  });

describe("moviesnow admin create", () => {
  it("creates an admin and prints its otpauth:// URI once; a second create of the email is refused", async () => {
    const email = `cli-${crypto.randomUUID()}@moviesnow.test`;
    const r = cli(["admin", "create", "--email", email, "--password-stdin"], "a long enough password\n");
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const uri = r.stdout.split("\n").find((l) => l.startsWith("otpauth://totp/"));
    expect(uri).toBeDefined();
    expect(new URL(uri ?? "").searchParams.get("secret")).toMatch(/^[A-Z2-7]{32}$/);
    expect(r.stdout).not.toContain("a long enough password");

    const again = cli(["admin", "create", "--email", email.toUpperCase(), "--password-stdin"], "another long password\n");
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/already exists/);

    const list = cli(["admin", "list"]);
    expect(list.status).toBe(0);
    expect(list.stdout).toContain(email);
  });

  it("refuses a short password without writing anything", () => {
    const email = `short-${crypto.randomUUID()}@moviesnow.test`;
    const r = cli(["admin", "create", "--email", email, "--password-stdin"], "short\n");
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/at least 12/);
    expect(cli(["admin", "list"]).stdout).not.toContain(email);
  });

  it("prints the otpauth:// URI as a terminal QR code when asked (--qr), not otherwise when piped", () => {
    const plain = cli(
      ["admin", "create", "--email", `noqr-${crypto.randomUUID()}@moviesnow.test`, "--password-stdin"],
      "a long enough password\n",
    );
    expect(plain.status).toBe(0);
    expect(plain.stdout).not.toMatch(/[▀▄█]/);
    const r = cli(
      ["admin", "create", "--email", `qr-${crypto.randomUUID()}@moviesnow.test`, "--password-stdin", "--qr"],
      "a long enough password\n",
    );
    expect(r.status, r.stderr).toBe(0);
    const qrLines = r.stdout.split("\n").filter((l) => /[▀▄█]/.test(l));
    // A QR code of an otpauth URI: at least 25 modules square, drawn two rows per line.
    expect(qrLines.length).toBeGreaterThanOrEqual(13);
    expect(new Set(qrLines.map((l) => [...l].length)).size).toBe(1);
  });

  it("takes its settings from one place: a database in the environment never meets a key from .dev.vars", () => {
    const email = `mixed-${crypto.randomUUID()}@moviesnow.test`;
    const { TOTP_ENCRYPTION_KEY: _key, ...dbOnly } = settings;
    const r = cli(["admin", "create", "--email", email, "--password-stdin"], "a long enough password\n", dbOnly);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/TOTP_ENCRYPTION_KEY is not set in the environment; every setting comes from that one place/);
    expect(cli(["admin", "list"]).stdout).not.toContain(email);
  });

  it("--secrets-file takes every setting from that file, whatever the environment says", () => {
    const dir = mkdtempSync(join(tmpdir(), "mn-admin-env-"));
    try {
      const file = join(dir, "prod.secrets.env");
      writeFileSync(
        file,
        Object.entries(settings)
          .map(([k, v]) => `${k}=${v}`)
          .join("\n"),
        { mode: 0o600 },
      );
      const email = `envfile-${crypto.randomUUID()}@moviesnow.test`;
      const elsewhere = { DATABASE_URL: "postgresql://nobody:x@127.0.0.1:1/none", TOTP_ENCRYPTION_KEY: "bm90LXRoZS1rZXk=" };
      const r = cli(
        ["admin", "create", "--email", email, "--password-stdin", "--secrets-file", file],
        "a long enough password\n",
        elsewhere,
      );
      expect(r.status, r.stderr).toBe(0);
      expect(cli(["admin", "list", "--secrets-file", file], "", elsewhere).stdout).toContain(email);
      expect(cli(["admin", "list", "--secrets-file", join(dir, "missing.env")]).stderr).toMatch(/no such file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// `moviesnow login` (password + TOTP → a saved session) and `moviesnow whoami`.
import { parseArgs } from "node:util";
import { api, clearSession, loadSession, ok, saveSession } from "./api.ts";
import { type Command, commandArgs, UsageError } from "./command.ts";
import { ask } from "./prompt.ts";

export const loginCommand: Command = {
  usage: `moviesnow login --api URL --email EMAIL [--code 123456] [--password-stdin] [--json]

  The password is prompted, read from stdin, or taken from MOVIESNOW_ADMIN_PASSWORD; the code is
  --code, MOVIESNOW_TOTP_CODE, or prompted. The session (15 minutes) is saved, readable only by
  you, in $MOVIESNOW_CONFIG_DIR (default ~/.config/moviesnow/session.json).

  Examples:
    moviesnow login --api https://api.moviesnow.example/api/v1 --email ops@moviesnow.example
    MOVIESNOW_ADMIN_PASSWORD=… moviesnow login --email ops@moviesnow.example --code 123456 --json`,
  async run(args) {
    const { values } = commandArgs(args, { email: { type: "string" }, code: { type: "string" }, "password-stdin": { type: "boolean" } });
    if (!values.email) throw new UsageError("login needs --email");
    const client = api({ api: values.api, auth: false });
    const password = await ask("Password: ", "MOVIESNOW_ADMIN_PASSWORD", values["password-stdin"]);
    const step1 = await ok(client.client.POST("/api/v1/admin/auth/login", { body: { email: values.email, password } }));
    const code = values.code ?? (await ask("TOTP code: ", "MOVIESNOW_TOTP_CODE"));
    const step2 = await ok(client.client.POST("/api/v1/admin/auth/mfa", { body: { challenge: step1.body.challenge, code } }));
    const expires = new Date(Date.now() + step2.body.expires_in * 1000).toISOString();
    const file = saveSession({ api: client.base, token: step2.body.access_token, email: values.email, expires_at: expires });
    if (values.json) console.log(JSON.stringify({ email: values.email, expires_at: expires, session_file: file }));
    else console.log(`signed in as ${values.email} until ${expires} (session in ${file})`);
    return 0;
  },
};

export const whoamiCommand: Command = {
  usage: `moviesnow whoami [--api URL] [--json]

  Examples:
    moviesnow whoami
    MOVIESNOW_ADMIN_KEY=… moviesnow whoami --api http://127.0.0.1:8787/api/v1 --json`,
  async run(args) {
    const { values } = commandArgs(args, {});
    const me = await ok(api({ api: values.api }).client.GET("/api/v1/admin/auth/me"));
    if (values.json) console.log(JSON.stringify(me.body));
    else console.log(me.body.kind === "admin" ? `${me.body.email} (admin ${me.body.id})` : "the automation key (X-Admin-Key)");
    return 0;
  },
};

export const logoutCommand: Command = {
  usage: `moviesnow logout [--json]

  Revokes the saved session on the API (it cannot be used again, even by a copy of the file) and
  deletes the file. Without a saved session there is nothing to do.

  Examples:
    moviesnow logout`,
  async run(args) {
    const { values } = parseArgs({ args, options: { json: { type: "boolean" } } });
    const session = loadSession();
    let revoked = false;
    let warning: string | null = null;
    if (session) {
      try {
        await ok(api({ api: session.api, auth: "session" }).client.POST("/api/v1/admin/auth/logout"));
        revoked = true;
      } catch (e) {
        // Forget it here anyway; it expires on its own within minutes.
        warning = `the API did not revoke the session: ${(e as Error).message}`;
      }
    }
    const removed = clearSession();
    if (warning) console.error(`moviesnow logout: ${warning}`);
    if (values.json) console.log(JSON.stringify({ signed_out: removed, revoked }));
    else console.log(removed ? `signed out${session ? ` ${session.email}` : ""}` : "not signed in");
    return 0;
  },
};

// `moviesnow login` (password + TOTP → a saved session) and `moviesnow whoami`.
import { parseArgs } from "node:util";
import { api, saveSession } from "./api.ts";
import type { Command } from "./main.ts";
import { ask } from "./prompt.ts";

export const loginCommand: Command = {
  usage: `moviesnow login --api URL --email EMAIL [--code 123456] [--password-stdin] [--json]

  The password is prompted, read from stdin, or taken from MOVIESNOW_ADMIN_PASSWORD; the code is
  --code, MOVIESNOW_TOTP_CODE, or prompted. The session (15 minutes) is saved, readable only by
  you, in $MOVIESNOW_CONFIG_DIR (default ~/.config/moviesnow/session.json).`,
  async run(args) {
    const { values } = parseArgs({
      args,
      options: {
        api: { type: "string" },
        email: { type: "string" },
        code: { type: "string" },
        "password-stdin": { type: "boolean" },
        json: { type: "boolean" },
      },
    });
    if (!values.email) throw Object.assign(new Error("login needs --email"), { code: "ERR_PARSE_ARGS_USAGE" });
    const client = api({ api: values.api, auth: false });
    const password = await ask("Password: ", "MOVIESNOW_ADMIN_PASSWORD", values["password-stdin"]);
    const step1 = await client.call<{ challenge: string }>("POST", "/admin/auth/login", { email: values.email, password });
    const code = values.code ?? (await ask("TOTP code: ", "MOVIESNOW_TOTP_CODE"));
    const step2 = await client.call<{ access_token: string; expires_in: number }>("POST", "/admin/auth/mfa", {
      challenge: step1.body.challenge,
      code,
    });
    const expires = new Date(Date.now() + step2.body.expires_in * 1000).toISOString();
    const file = saveSession({ api: client.base, token: step2.body.access_token, email: values.email, expires_at: expires });
    if (values.json) console.log(JSON.stringify({ email: values.email, expires_at: expires, session_file: file }));
    else console.log(`signed in as ${values.email} until ${expires} (session in ${file})`);
    return 0;
  },
};

export const whoamiCommand: Command = {
  usage: "moviesnow whoami [--api URL] [--json]",
  async run(args) {
    const { values } = parseArgs({ args, options: { api: { type: "string" }, json: { type: "boolean" } } });
    const me = await api({ api: values.api }).call<{ kind: string; id: string; email: string | null }>("GET", "/admin/auth/me");
    if (values.json) console.log(JSON.stringify(me.body));
    else console.log(me.body.kind === "admin" ? `${me.body.email} (admin ${me.body.id})` : "the automation key (X-Admin-Key)");
    return 0;
  },
};

// npm run deploy — production, in the order that cannot leave it half-configured:
//   1. terraform apply (S3, CloudFront, IAM) and read its outputs
//   2. wrangler secret put, for each secret given now (Terraform's keys, the operator's values)
//   3. npm run db:migrate against Neon (DATABASE_URL)
//   4. wrangler deploy --env production, with Terraform's outputs as vars
//   5. moviesnow smoke against the deployed API
// Refuses before step 1 when something it will need is missing: the route still the example
// domain, a required secret neither given nor already set, DATABASE_URL for the migration.
// --dry-run prints the plan (secret values never shown) and changes nothing.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs, parseEnv } from "node:util";
import { unstable_readConfig } from "wrangler";
import { REQUIRED_SECRETS, SECRET_VARS, type SecretVar } from "../src/platform/env.ts";
import { migrateDatabase } from "./db-migrate.ts";

const root = resolve(import.meta.dirname, "..");
const EXAMPLE_DOMAIN = /\.example$/;

class DeployError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

const { values: opts } = parseArgs({
  options: {
    yes: { type: "boolean", short: "y" },
    "dry-run": { type: "boolean" },
    "skip-terraform": { type: "boolean" },
    "skip-migrate": { type: "boolean" },
    "skip-smoke": { type: "boolean" },
    "secrets-file": { type: "string" },
    config: { type: "string", default: "wrangler.toml" },
    api: { type: "string" },
    help: { type: "boolean", short: "h" },
  },
});

const USAGE = `npm run deploy -- [--yes] [--dry-run] [--secrets-file FILE] [--skip-terraform] [--skip-migrate]
                     [--skip-smoke] [--api URL] [--config wrangler.toml]

  Secrets come from the environment or --secrets-file (dotenv) under their Worker names
  (${SECRET_VARS.join(", ")}); Terraform supplies the AWS keys. One already set on the Worker
  need not be given again. --yes applies Terraform without asking. docs/deploy.md has the details.`;

// TERRAFORM_BIN and WRANGLER_BIN name other executables (a wrapper, or a recorder in the tests).
const terraformBin = process.env.TERRAFORM_BIN ?? "terraform";
const [wranglerCmd, ...wranglerPre] = process.env.WRANGLER_BIN
  ? [process.env.WRANGLER_BIN]
  : [process.execPath, resolve(root, "node_modules/wrangler/bin/wrangler.js")];
const childEnv = { ...process.env, WRANGLER_SEND_METRICS: "false" };

/** Runs a step's command; `show` lets its output through (plans, prompts), else it is returned. */
function run(what: string, cmd: string, args: string[], o: { input?: string; show?: boolean } = {}): string {
  const r = spawnSync(cmd, args, {
    cwd: root,
    env: childEnv,
    encoding: "utf8",
    input: o.input,
    stdio: [o.input === undefined ? "inherit" : "pipe", o.show ? "inherit" : "pipe", "inherit"],
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) throw new DeployError(`${what}: ${r.error.message}`);
  if (r.status !== 0) throw new DeployError(`${what} failed (exit ${r.status})`);
  return r.stdout ?? "";
}

const wrangler = (what: string, args: string[], o: { input?: string; show?: boolean } = {}) =>
  run(what, wranglerCmd ?? "", [...wranglerPre, ...args, "--config", resolve(root, opts.config ?? "")], o);

/** Names of the secrets the production Worker has; none when it does not exist yet. */
function secretsOnWorker(): Set<string> {
  try {
    const out = wrangler("wrangler secret list", ["secret", "list", "--env", "production", "--format", "json"]);
    return new Set((JSON.parse(out || "[]") as { name: string }[]).map((s) => s.name));
  } catch {
    console.log("no secrets listed (a first deploy): every required one must be given now");
    return new Set();
  }
}

function step(n: number, text: string) {
  console.log(`\n[deploy] ${n}/5 ${text}`);
}

function operatorSecrets(): Partial<Record<SecretVar, string>> {
  const fromFile = opts["secrets-file"] ? parseEnv(readFileSync(opts["secrets-file"], "utf8")) : {};
  const out: Partial<Record<SecretVar, string>> = {};
  for (const name of SECRET_VARS) {
    const v = fromFile[name] ?? process.env[name];
    if (v) out[name] = v;
  }
  return out;
}

async function main(): Promise<void> {
  if (opts.help) {
    console.log(USAGE);
    return;
  }
  const dry = opts["dry-run"] === true;
  const prod = unstable_readConfig({ config: resolve(root, opts.config ?? ""), env: "production" });
  const route = prod.routes?.[0];
  const host = typeof route === "string" ? route : route?.pattern;
  if (!host || EXAMPLE_DOMAIN.test(host.replace(/\/.*$/, ""))) {
    throw new DeployError(
      `[env.production] routes in ${opts.config} is still ${JSON.stringify(host)}: set the API's domain (a zone on your Cloudflare account) first`,
      2,
    );
  }
  const api = opts.api ?? `https://${host.replace(/\/\*?$/, "")}/api/v1`;
  const given = operatorSecrets();
  if (!opts["skip-migrate"] && !given.DATABASE_URL) {
    throw new DeployError("DATABASE_URL is needed to migrate the database (give it, or pass --skip-migrate)", 2);
  }

  // 1. Terraform
  step(1, "terraform apply");
  // terraform/outputs.tf names both maps' keys as the Worker does.
  let tfVars: Record<string, string> = {};
  let tfSecrets: Record<string, string> = {};
  if (opts["skip-terraform"]) console.log("skipped (--skip-terraform)");
  else if (dry)
    console.log(`would run: ${terraformBin} -chdir=terraform init, then apply${opts.yes ? " -auto-approve" : ""}, then output -json`);
  else {
    run("terraform init", terraformBin, ["-chdir=terraform", "init", "-input=false"], { show: true });
    run("terraform apply", terraformBin, ["-chdir=terraform", "apply", ...(opts.yes ? ["-auto-approve", "-input=false"] : [])], {
      show: true,
    });
  }
  if (!opts["skip-terraform"] && !dry) {
    const raw = JSON.parse(run("terraform output", terraformBin, ["-chdir=terraform", "output", "-json"])) as Partial<
      Record<"worker_vars" | "worker_secrets", { value: Record<string, string> }>
    >;
    tfVars = raw.worker_vars?.value ?? {};
    tfSecrets = raw.worker_secrets?.value ?? {};
  }

  // 2. Secrets: Terraform's keys win over the environment's (they are the ones it just made).
  step(2, "wrangler secret put");
  const secrets: Partial<Record<SecretVar, string>> = { ...given };
  for (const name of SECRET_VARS) if (tfSecrets[name]) secrets[name] = tfSecrets[name];
  const alreadySet = dry ? new Set<string>() : secretsOnWorker();
  const fromTerraform = new Set(opts["skip-terraform"] ? [] : SECRET_VARS.filter((n) => n.includes("AWS_")));
  const missing = REQUIRED_SECRETS.filter((n) => !secrets[n] && !alreadySet.has(n) && !(dry && fromTerraform.has(n)));
  if (missing.length > 0) throw new DeployError(`required secrets neither given nor set on the Worker: ${missing.join(", ")}`, 2);
  for (const name of SECRET_VARS) {
    const value = secrets[name];
    if (value === undefined) continue;
    if (dry) console.log(`would set ${name} (${value.length} characters)`);
    else {
      wrangler(`wrangler secret put ${name}`, ["secret", "put", name, "--env", "production"], { input: value });
      console.log(`set ${name}`);
    }
  }
  if (dry) for (const name of fromTerraform) if (!secrets[name]) console.log(`would set ${name} (from terraform output)`);

  // 3. Migrations
  step(3, "database migrations");
  if (opts["skip-migrate"]) console.log("skipped (--skip-migrate)");
  else if (dry) console.log("would apply drizzle/ migrations to DATABASE_URL");
  else {
    const n = await migrateDatabase(given.DATABASE_URL ?? "", process.env.NEON_FETCH_ENDPOINT || undefined);
    console.log(`${n} migration(s) applied`);
  }

  // 4. The Worker
  step(4, `wrangler deploy --env production (${prod.name} on ${host})`);
  const vars = Object.entries(tfVars).flatMap(([k, v]) => ["--var", `${k}:${v}`]);
  if (dry) console.log(`would run: wrangler deploy --env production ${vars.join(" ")}`.trimEnd());
  else wrangler("wrangler deploy", ["deploy", "--env", "production", ...vars], { show: true });

  // 5. Smoke check
  step(5, `moviesnow smoke --api ${api}`);
  if (opts["skip-smoke"]) console.log("skipped (--skip-smoke)");
  else if (dry) console.log(`would check ${api}`);
  else {
    const smokeEnv = { ...childEnv, ...(secrets.PUBLIC_API_KEY ? { MOVIESNOW_PUBLIC_API_KEY: secrets.PUBLIC_API_KEY } : {}) };
    // A new custom domain can take a moment to answer: a few tries before calling it failed.
    for (let attempt = 1; ; attempt++) {
      const r = spawnSync(process.execPath, [resolve(root, "bin/moviesnow.cjs"), "smoke", "--api", api], {
        stdio: "inherit",
        env: smokeEnv,
      });
      if (r.status === 0) break;
      if (attempt >= 3) throw new DeployError("the smoke check failed: the Worker is deployed, see the table above");
      console.log(`[deploy] smoke check failed; trying again in ${attempt * 10} s`);
      await new Promise((done) => setTimeout(done, attempt * 10_000));
    }
  }
  console.log(`\n[deploy] ${dry ? "dry run done: nothing was changed" : `done: ${api}`}`);
}

main().catch((e: unknown) => {
  console.error(`[deploy] ${(e as Error).message}`);
  if (e instanceof DeployError && e.exitCode === 2) console.error(USAGE);
  process.exit(e instanceof DeployError ? e.exitCode : 1);
});

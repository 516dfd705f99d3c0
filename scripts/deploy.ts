// npm run deploy — production, in an order that cannot leave it half-configured:
//   checks (nothing changes): the route, DATABASE_URL, terraform and Docker there, wrangler signed
//     in to the configured account, the secrets already on the Worker (a failing list stops the run
//     unless the Worker does not exist yet), every required secret given, set or made by Terraform,
//     and for a code-only deploy Terraform's outputs readable from its state
//   1. terraform apply (S3, CloudFront, IAM) and read its outputs (--skip-terraform: outputs only)
//   2. npm run db:migrate against Neon (DATABASE_URL)
//   3. wrangler deploy --env production: the code, Terraform's outputs as vars and the secrets given
//      now, as one version (--secrets-file), so no version ever runs new code with old secrets
//   4. moviesnow smoke against the deployed API
// --dry-run runs the checks, prints the plan (secret values never shown) and changes nothing.
import { spawnSync } from "node:child_process";
import { createPrivateKey } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs, parseEnv } from "node:util";
import { unstable_readConfig } from "wrangler";
import { REQUIRED_SECRETS, SECRET_VARS, type SecretVar } from "../src/platform/env.ts";
import { migrateDatabase } from "./db-migrate.ts";

const root = resolve(import.meta.dirname, "..");
const EXAMPLE_DOMAIN = /\.example$/;
/**
 * Production's required secrets: the Worker's own, and CLOUDFRONT_PRIVATE_KEY, because Terraform
 * always makes the distribution and hands its domain to the Worker, which then signs every
 * delivery URL for it (without the key, every request would answer CONFIG_INVALID).
 */
const DEPLOY_REQUIRED: readonly SecretVar[] = [...REQUIRED_SECRETS, "CLOUDFRONT_PRIVATE_KEY"];
/** Made by Terraform (terraform/outputs.tf worker_secrets), never by the operator. */
const TERRAFORM_SECRETS: readonly SecretVar[] = [
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "JOB_AWS_ACCESS_KEY_ID",
  "JOB_AWS_SECRET_ACCESS_KEY",
];

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
  need not be given again. --yes applies Terraform without asking. --skip-terraform deploys code
  only, with the vars and keys read from Terraform's state. docs/deploy.md has the details.`;

// TERRAFORM_BIN and WRANGLER_BIN name other executables (a wrapper, or a recorder in the tests);
// WRANGLER_DOCKER_BIN is the Docker wrangler builds the container image with.
const terraformBin = process.env.TERRAFORM_BIN ?? "terraform";
const dockerBin = process.env.WRANGLER_DOCKER_BIN ?? "docker";
const [wranglerCmd, ...wranglerPre] = process.env.WRANGLER_BIN
  ? [process.env.WRANGLER_BIN]
  : [process.execPath, resolve(root, "node_modules/wrangler/bin/wrangler.js")];
/**
 * Each tool gets only the environment it needs: where things are, locale, proxies and CA roots,
 * plus its own family of variables. Terraform never sees the Worker's secrets or the Cloudflare
 * token; wrangler never sees the AWS or database credentials (the secrets it ships go in the
 * --secrets-file); the smoke check sees none of them.
 */
const BASE_ENV = new Set([
  ...["PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "TERM", "TZ", "TMPDIR"],
  ...["XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_RUNTIME_DIR"],
  ...["HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy"],
  ...["SSL_CERT_FILE", "SSL_CERT_DIR", "NODE_EXTRA_CA_CERTS"],
]);
function envFor(prefixes: string[], extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && (BASE_ENV.has(k) || k.startsWith("LC_") || prefixes.some((p) => k.startsWith(p)))) out[k] = v;
  return { ...out, ...extra };
}
const TOOL_ENV: Record<"terraform" | "wrangler" | "docker", NodeJS.ProcessEnv> = {
  terraform: envFor(["AWS_", "TF_"]),
  wrangler: envFor(["CLOUDFLARE_", "WRANGLER_", "DOCKER_"], { WRANGLER_SEND_METRICS: "false" }),
  docker: envFor(["DOCKER_"]),
};
type Tool = keyof typeof TOOL_ENV;

interface Ran {
  ok: boolean;
  stdout: string;
  /** What went wrong, for a message: the error, or the end of stderr. */
  why: string;
}

/** Runs a read-only command of a check and keeps its output. */
function probe(tool: Tool, cmd: string, args: string[]): Ran {
  const r = spawnSync(cmd, args, {
    cwd: root,
    env: TOOL_ENV[tool],
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    maxBuffer: 64 * 1024 * 1024,
  });
  const err = `${r.stderr ?? ""}`.trim().split("\n").slice(-3).join(" ").slice(0, 400);
  if (r.error) return { ok: false, stdout: "", why: r.error.message };
  return { ok: r.status === 0, stdout: r.stdout ?? "", why: err || `exit ${r.status}` };
}

/** Runs a step's command; `show` lets its output through (plans, prompts), else it is returned. */
function run(tool: Tool, what: string, cmd: string, args: string[], o: { show?: boolean } = {}): string {
  const r = spawnSync(cmd, args, {
    cwd: root,
    env: TOOL_ENV[tool],
    encoding: "utf8",
    stdio: ["inherit", o.show ? "inherit" : "pipe", "inherit"],
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) throw new DeployError(`${what}: ${r.error.message}`);
  if (r.status !== 0) throw new DeployError(`${what} failed (exit ${r.status})`);
  return r.stdout ?? "";
}

const wranglerArgs = (args: string[]) => [...wranglerPre, ...args, "--config", resolve(root, opts.config ?? "")];

function step(n: number, text: string) {
  console.log(`\n[deploy] ${n}/4 ${text}`);
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

type TerraformOutputs = { vars: Record<string, string>; secrets: Record<string, string> };

/** `terraform output -json`'s two maps (terraform/outputs.tf), or why they can't be had. */
function terraformOutputs(): TerraformOutputs | string {
  const r = probe("terraform", terraformBin, ["-chdir=terraform", "output", "-json"]);
  if (!r.ok) return `terraform output failed: ${r.why}`;
  try {
    const raw = JSON.parse(r.stdout || "{}") as Partial<Record<"worker_vars" | "worker_secrets", { value: Record<string, string> }>>;
    if (!raw.worker_vars?.value || !raw.worker_secrets?.value)
      return "terraform output has no worker_vars and worker_secrets: no applied state is reachable";
    return { vars: raw.worker_vars.value, secrets: raw.worker_secrets.value };
  } catch {
    return "terraform output -json printed no JSON";
  }
}

/** The account wrangler acts for: account_id in the config, else CLOUDFLARE_ACCOUNT_ID. */
function checkWrangler(accountId: string | undefined): string | null {
  const r = probe("wrangler", wranglerCmd ?? "", wranglerArgs(["whoami", "--json"]));
  if (!r.ok) return `wrangler is not signed in (wrangler whoami: ${r.why}): set CLOUDFLARE_API_TOKEN or run npx wrangler login`;
  let accounts: { id: string; name: string }[] = [];
  try {
    accounts = (JSON.parse(r.stdout) as { accounts?: { id: string; name: string }[] }).accounts ?? [];
  } catch {
    return "wrangler whoami --json printed no JSON";
  }
  if (accountId) {
    if (!accounts.some((a) => a.id === accountId))
      return `wrangler is signed in, but not to account ${accountId} (it can reach: ${accounts.map((a) => `${a.name} ${a.id}`).join(", ") || "none"})`;
  } else if (accounts.length !== 1) {
    return `wrangler can reach ${accounts.length} accounts: set CLOUDFLARE_ACCOUNT_ID (or account_id in the config) to the one production lives in`;
  }
  return null;
}

/** Names of the secrets the production Worker has; an empty set only when the Worker does not exist yet. */
function secretsOnWorker(): Set<string> | string {
  const r = probe("wrangler", wranglerCmd ?? "", wranglerArgs(["secret", "list", "--env", "production", "--format", "json"]));
  if (!r.ok) {
    // Cloudflare's "script not found" (10007): a first deploy. Anything else (an expired token, the
    // wrong account, the API down) would make every secret look missing, or worse, present.
    if (/10007|script_not_found|does not exist/i.test(`${r.why} ${r.stdout}`)) {
      console.log("no Worker yet (a first deploy): every required secret must be given now");
      return new Set();
    }
    return `wrangler secret list failed: ${r.why}`;
  }
  try {
    return new Set((JSON.parse(r.stdout || "[]") as { name: string }[]).map((s) => s.name));
  } catch {
    return "wrangler secret list printed no JSON";
  }
}

async function main(): Promise<void> {
  if (opts.help) {
    console.log(USAGE);
    return;
  }
  const dry = opts["dry-run"] === true;
  const skipTf = opts["skip-terraform"] === true;
  const configPath = resolve(root, opts.config ?? "");
  const prod = unstable_readConfig({ config: configPath, env: "production" });
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

  // Checks: every one runs, read-only, before anything changes; all problems are named together.
  console.log("[deploy] checks");
  const problems: string[] = [];
  if (!opts["skip-migrate"] && !given.DATABASE_URL)
    problems.push("DATABASE_URL is needed to migrate the database (give it, or pass --skip-migrate)");
  const tfVersion = probe("terraform", terraformBin, ["version"]);
  if (!tfVersion.ok) problems.push(`terraform is needed (${terraformBin}: ${tfVersion.why})`);
  const docker = probe("docker", dockerBin, ["info", "--format", "{{.ServerVersion}}"]);
  if (!docker.ok)
    problems.push(
      `Docker must be running: wrangler builds the bundle job's image from container/Dockerfile (${dockerBin} info: ${docker.why})`,
    );
  const wranglerProblem = checkWrangler(prod.account_id ?? process.env.CLOUDFLARE_ACCOUNT_ID);
  if (wranglerProblem) problems.push(wranglerProblem);
  const onWorker = wranglerProblem ? new Set<string>() : secretsOnWorker();
  if (typeof onWorker === "string") problems.push(onWorker);
  // A code-only deploy takes the Worker's vars and AWS keys from Terraform's state, never from
  // wrangler.toml (which has no production values).
  let tf: TerraformOutputs | undefined;
  if (skipTf && tfVersion.ok) {
    const out = terraformOutputs();
    if (typeof out === "string")
      problems.push(
        `--skip-terraform needs Terraform's outputs: ${out} (run from a checkout with the state, or configure its remote backend)`,
      );
    else tf = out;
  }
  const set = typeof onWorker === "string" ? new Set<string>() : onWorker;
  const missing = DEPLOY_REQUIRED.filter(
    (n) => !given[n] && !set.has(n) && !(TERRAFORM_SECRETS.includes(n) && (skipTf ? Boolean(tf?.secrets[n]) : true)),
  );
  if (missing.length > 0 && !wranglerProblem && typeof onWorker !== "string")
    problems.push(`required secrets neither given nor set on the Worker: ${missing.join(", ")}`);
  if (given.CLOUDFRONT_PRIVATE_KEY) {
    try {
      createPrivateKey(given.CLOUDFRONT_PRIVATE_KEY);
    } catch {
      problems.push("CLOUDFRONT_PRIVATE_KEY is not a PEM private key");
    }
  }
  if (problems.length > 0) throw new DeployError(`refusing to deploy; nothing was changed:\n  - ${problems.join("\n  - ")}`, 2);
  console.log("all checks passed");

  // 1. Terraform
  step(1, skipTf ? "terraform output (--skip-terraform)" : "terraform apply");
  if (!skipTf) {
    if (dry)
      console.log(`would run: ${terraformBin} -chdir=terraform init, then apply${opts.yes ? " -auto-approve" : ""}, then output -json`);
    else {
      run("terraform", "terraform init", terraformBin, ["-chdir=terraform", "init", "-input=false"], { show: true });
      run(
        "terraform",
        "terraform apply",
        terraformBin,
        ["-chdir=terraform", "apply", ...(opts.yes ? ["-auto-approve", "-input=false"] : [])],
        {
          show: true,
        },
      );
      const out = terraformOutputs();
      if (typeof out === "string") throw new DeployError(out);
      tf = out;
    }
  } else console.log(`read ${Object.keys(tf?.vars ?? {}).length} vars and ${Object.keys(tf?.secrets ?? {}).length} secrets from the state`);

  // 2. Migrations
  step(2, "database migrations");
  if (opts["skip-migrate"]) console.log("skipped (--skip-migrate)");
  else if (dry) console.log("would apply drizzle/ migrations to DATABASE_URL");
  else {
    const n = await migrateDatabase(given.DATABASE_URL ?? "", process.env.NEON_FETCH_ENDPOINT || undefined);
    console.log(`${n} migration(s) applied`);
  }

  // 3. The Worker: code, vars and secrets as one version. Terraform's keys win over the
  // environment's (they are the ones it just made).
  step(3, `wrangler deploy --env production (${prod.name} on ${host})`);
  const secrets: Partial<Record<SecretVar, string>> = { ...given };
  for (const name of TERRAFORM_SECRETS) if (tf?.secrets[name]) secrets[name] = tf.secrets[name];
  const vars = Object.entries(tf?.vars ?? {}).flatMap(([k, v]) => ["--var", `${k}:${v}`]);
  if (dry) {
    for (const name of SECRET_VARS) if (secrets[name]) console.log(`would set ${name} (${secrets[name]?.length} characters)`);
    if (!skipTf) for (const name of TERRAFORM_SECRETS) console.log(`would set ${name} (from terraform output)`);
    console.log(
      `would run: wrangler deploy --env production ${vars.join(" ") || "--var …(from terraform output)"} --secrets-file <0600 file>`,
    );
  } else {
    // A private directory, removed whatever happens: the file holds every secret in clear.
    const dir = mkdtempSync(join(tmpdir(), "moviesnow-deploy-"));
    const file = join(dir, "secrets.json");
    try {
      writeFileSync(file, JSON.stringify(secrets), { mode: 0o600 });
      run(
        "wrangler",
        "wrangler deploy",
        wranglerCmd ?? "",
        wranglerArgs(["deploy", "--env", "production", ...vars, "--secrets-file", file]),
        {
          show: true,
        },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    console.log(`deployed with ${Object.keys(secrets).length} secret(s): ${Object.keys(secrets).join(", ")}`);
  }

  // 4. Smoke check
  step(4, `moviesnow smoke --api ${api}`);
  if (opts["skip-smoke"]) console.log("skipped (--skip-smoke)");
  else if (dry) console.log(`would check ${api}`);
  else {
    const smokeEnv = envFor([], secrets.PUBLIC_API_KEY ? { MOVIESNOW_PUBLIC_API_KEY: secrets.PUBLIC_API_KEY } : {});
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

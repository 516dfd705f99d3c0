// npm run deploy, end to end on this machine: Terraform, wrangler and Docker are recorders (no
// AWS or Cloudflare account, no Docker engine here) that answer as the real tools do, and fail as
// they fail, while the migration runs against the local Postgres and the smoke check against the
// Worker under wrangler dev. What is checked: every refusal happens before any change, the code and
// the secrets ship as one version (one `wrangler deploy --secrets-file`, never on a command line),
// Terraform's outputs are the Worker's vars, also for a code-only deploy.
import { spawn } from "node:child_process";
import { generateKeyPairSync, randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgres } from "../../scripts/stack/config.ts";
import { commandRecorder, type RecordedReply } from "../support/command-recorder.ts";
import { adminWorkerVars } from "../support/http-admin.ts";
import { type HttpWorker, startHttpWorker } from "../support/http-worker.ts";
import { testDatabaseUrl } from "../support/stack-env.ts";

const root = resolve(import.meta.dirname, "../..");
// Inside the checkout, so that the copied config's relative paths (main, the Dockerfile) hold.
const dir = join(root, ".local", `deploy-test-${randomUUID()}`);
const log = join(dir, "calls.log");
const config = join(dir, "wrangler.toml");
let worker: HttpWorker;

// As `terraform output -json` prints terraform/outputs.tf (map keys in its sorted order).
const TF_OUTPUTS = {
  cloudfront_distribution_id: { value: "E123", sensitive: false },
  worker_secrets: {
    sensitive: true,
    value: {
      AWS_ACCESS_KEY_ID: "AKIAWORKER",
      AWS_SECRET_ACCESS_KEY: "worker-secret-from-terraform",
      JOB_AWS_ACCESS_KEY_ID: "AKIAJOB",
      JOB_AWS_SECRET_ACCESS_KEY: "job-secret-from-terraform",
    },
  },
  worker_vars: {
    sensitive: false,
    value: {
      AWS_BUCKET_NAME: "moviesnow-media-prod",
      AWS_REGION: "eu-west-1",
      CLOUDFRONT_DOMAIN: "media.moviesnow.test",
      CLOUDFRONT_KEY_PAIR_ID: "K2JCJMDEHXQW5F",
      CLOUDFRONT_SIGNATURE_HASH: "SHA256",
      CORS_ALLOWED_ORIGINS: "https://www.moviesnow.test",
      S3_SSE: "AES256",
    },
  },
};

const recorder = (name: string, replies: [RegExp, string | RecordedReply][]) => commandRecorder(dir, name, log, replies);

const deploy = (args: string[], env: Record<string, string>) =>
  new Promise<{ status: number | null; out: string }>((done) => {
    const child = spawn(process.execPath, [resolve(root, "node_modules/tsx/dist/cli.mjs"), resolve(root, "scripts/deploy.ts"), ...args], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("close", (status) => done({ status, out }));
  });

const calls = () =>
  readFileSync(log, "utf8")
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => l.replaceAll(dir, "<dir>").replaceAll(root, "<root>"));

beforeAll(async () => {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    config,
    readFileSync(join(root, "wrangler.toml"), "utf8")
      .replace('main = "src/worker.ts"', 'main = "../../src/worker.ts"')
      .replaceAll("./src/lib/zod-locales.ts", "../../src/lib/zod-locales.ts")
      .replace('image = "./container/Dockerfile"', 'image = "../../container/Dockerfile"')
      .replace('image_build_context = "."', 'image_build_context = "../.."')
      .replace("api.moviesnow.example", "api.moviesnow.test"),
  );
  worker = await startHttpWorker(adminWorkerVars(`deploy-${randomUUID()}`));
}, 120_000);
afterAll(async () => {
  await worker?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const ACCOUNT = { id: "0123456789abcdef0123456789abcdef", name: "MoviesNow" };
const WHOAMI = JSON.stringify({ loggedIn: true, authType: "User API Token", email: "ops@moviesnow.test", accounts: [ACCOUNT] });
const cloudfrontKey = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();

/** The three tools as they answer a signed-in operator with Docker running and an applied state. */
function tools(
  over: {
    terraform?: [RegExp, string | RecordedReply][];
    wrangler?: [RegExp, string | RecordedReply][];
    docker?: [RegExp, string | RecordedReply][];
  } = {},
) {
  return {
    TERRAFORM_BIN: recorder("terraform", [
      ...(over.terraform ?? []),
      [/version/, "Terraform v1.9.8"],
      [/output -json/, JSON.stringify(TF_OUTPUTS)],
    ]),
    WRANGLER_BIN: recorder("wrangler", [...(over.wrangler ?? []), [/whoami --json/, WHOAMI], [/secret list/, "[]"]]),
    WRANGLER_DOCKER_BIN: recorder("docker", [...(over.docker ?? []), [/info/, "28.2.2"]]),
    CLOUDFLARE_ACCOUNT_ID: ACCOUNT.id,
  };
}

/** The calls a check makes: none of them changes anything. */
const READ_ONLY = /^(terraform version|terraform -chdir=terraform output -json|docker info|wrangler whoami|wrangler secret list)/;

describe("npm run deploy", () => {
  const secrets = {
    DATABASE_URL: testDatabaseUrl,
    NEON_FETCH_ENDPOINT: postgres.fetchEndpoint,
    UPSTASH_REDIS_REST_URL: "https://eu1-example.upstash.io",
    UPSTASH_REDIS_REST_TOKEN: "upstash-token-value",
    ADMIN_JWT_SECRET: "a-production-jwt-secret-of-at-least-32-chars",
    TOTP_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString("base64"),
    JOB_SERVICE_SECRET: "a-job-service-secret-of-at-least-32-chars",
    CLOUDFRONT_PRIVATE_KEY: cloudfrontKey,
    AWS_SECRET_ACCESS_KEY: "an-older-key-that-terraform-replaces",
  };
  const conf = "--config <dir>/wrangler.toml";
  const checks = [
    "terraform version",
    "docker info --format {{.ServerVersion}}",
    `wrangler whoami --json ${conf}`,
    `wrangler secret list --env production --format json ${conf}`,
  ];
  const deployedSecrets = () => {
    const line = calls().find((l) => l.startsWith("wrangler secrets-file "));
    return JSON.parse(line?.slice("wrangler secrets-file ".length) ?? "null") as Record<string, string> | null;
  };

  it("checks, applies Terraform, migrates, deploys code, Terraform's vars and every secret as one version, then smoke-checks", async () => {
    writeFileSync(log, "");
    writeFileSync(`${log}.env`, "");
    const r = await deploy(["--yes", "--config", config, "--api", worker.api], {
      ...secrets,
      ...tools(),
      AWS_PROFILE: "moviesnow-admin",
      CLOUDFLARE_API_TOKEN: "a-cloudflare-token",
    });
    expect(r.status, r.out).toBe(0);

    const vars =
      "--var AWS_BUCKET_NAME:moviesnow-media-prod --var AWS_REGION:eu-west-1 --var CLOUDFRONT_DOMAIN:media.moviesnow.test --var CLOUDFRONT_KEY_PAIR_ID:K2JCJMDEHXQW5F --var CLOUDFRONT_SIGNATURE_HASH:SHA256 --var CORS_ALLOWED_ORIGINS:https://www.moviesnow.test --var S3_SSE:AES256";
    const seen = calls().filter((l) => !l.startsWith("wrangler secrets-file "));
    expect(seen.slice(0, -1)).toEqual([
      ...checks,
      "terraform -chdir=terraform init -input=false",
      "terraform -chdir=terraform apply -auto-approve -input=false",
      "terraform -chdir=terraform output -json",
    ]);
    // One version: one deploy, no `secret put` (each one would deploy the old code again).
    expect(seen.at(-1)).toMatch(new RegExp(`^wrangler deploy --env production ${vars} --secrets-file /\\S+/secrets\\.json ${conf}$`));
    expect(calls().filter((l) => l.includes("secret put"))).toEqual([]);
    const file = seen.at(-1)?.match(/--secrets-file (\S+)/)?.[1] ?? "";
    expect(existsSync(file), "the secrets file is removed after the deploy").toBe(false);
    expect(deployedSecrets()).toEqual({
      DATABASE_URL: testDatabaseUrl,
      UPSTASH_REDIS_REST_URL: "https://eu1-example.upstash.io",
      UPSTASH_REDIS_REST_TOKEN: "upstash-token-value",
      AWS_ACCESS_KEY_ID: "AKIAWORKER",
      AWS_SECRET_ACCESS_KEY: "worker-secret-from-terraform",
      JOB_AWS_ACCESS_KEY_ID: "AKIAJOB",
      JOB_AWS_SECRET_ACCESS_KEY: "job-secret-from-terraform",
      JOB_SERVICE_SECRET: secrets.JOB_SERVICE_SECRET,
      CLOUDFRONT_PRIVATE_KEY: cloudfrontKey,
      ADMIN_JWT_SECRET: secrets.ADMIN_JWT_SECRET,
      TOTP_ENCRYPTION_KEY: secrets.TOTP_ENCRYPTION_KEY,
    });
    // The migration ran against the database (already current here), then the real smoke check.
    expect(r.out).toMatch(/0 migration\(s\) applied/);
    expect(r.out).toMatch(/all 7 checks passed/);
    // Each tool sees only its own family of variables: no tool gets a secret it does not ship.
    const envOf = (tool: string) =>
      readFileSync(`${log}.env`, "utf8")
        .split("\n")
        .filter((l) => l.startsWith(`${tool} `))
        .map((l) => new Set((l.split(" :: ")[1] ?? "").trim().split(" ")));
    const workerSecrets = [
      "DATABASE_URL",
      "UPSTASH_REDIS_REST_TOKEN",
      "ADMIN_JWT_SECRET",
      "TOTP_ENCRYPTION_KEY",
      "JOB_SERVICE_SECRET",
      "CLOUDFRONT_PRIVATE_KEY",
    ];
    expect(envOf("terraform").length).toBeGreaterThan(0);
    for (const names of envOf("terraform")) {
      for (const n of [...workerSecrets, "CLOUDFLARE_API_TOKEN"]) expect(names.has(n), `terraform sees ${n}`).toBe(false);
      expect(names.has("AWS_PROFILE")).toBe(true);
    }
    expect(envOf("wrangler").length).toBeGreaterThan(0);
    for (const names of envOf("wrangler")) {
      for (const n of [...workerSecrets, "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"]) expect(names.has(n), `wrangler sees ${n}`).toBe(false);
      expect(names.has("CLOUDFLARE_API_TOKEN") && names.has("WRANGLER_SEND_METRICS")).toBe(true);
    }
    for (const names of envOf("docker"))
      for (const n of [...workerSecrets, "AWS_PROFILE", "CLOUDFLARE_API_TOKEN"]) expect(names.has(n)).toBe(false);
    // Secret values are never printed.
    for (const v of ["upstash-token-value", "worker-secret-from-terraform", secrets.ADMIN_JWT_SECRET, secrets.JOB_SERVICE_SECRET])
      expect(r.out).not.toContain(v);
  }, 180_000);

  it("a code-only deploy (--skip-terraform) takes the vars and the AWS keys from Terraform's state, not from wrangler.toml", async () => {
    writeFileSync(log, "");
    const { AWS_SECRET_ACCESS_KEY: _old, CLOUDFRONT_PRIVATE_KEY: _set, ...some } = secrets;
    const r = await deploy(["--skip-terraform", "--skip-migrate", "--skip-smoke", "--config", config], {
      ...some,
      CLOUDFRONT_PRIVATE_KEY: "",
      ...tools({ wrangler: [[/secret list/, JSON.stringify([{ name: "CLOUDFRONT_PRIVATE_KEY", type: "secret_text" }])]] }),
    });
    expect(r.status, r.out).toBe(0);
    const seen = calls().filter((l) => !l.startsWith("wrangler secrets-file "));
    expect(seen.slice(0, -1)).toEqual([...checks, "terraform -chdir=terraform output -json"]);
    expect(seen.at(-1)).toMatch(
      /^wrangler deploy --env production --var AWS_BUCKET_NAME:moviesnow-media-prod --var AWS_REGION:eu-west-1 .*--var S3_SSE:AES256 --secrets-file /,
    );
    expect(deployedSecrets()).toMatchObject({ AWS_ACCESS_KEY_ID: "AKIAWORKER", AWS_SECRET_ACCESS_KEY: "worker-secret-from-terraform" });
    expect(deployedSecrets()).not.toHaveProperty("CLOUDFRONT_PRIVATE_KEY");
    // wrangler.toml has no production value that a deploy without --var would fall back to.
    const toml = readFileSync(resolve(root, "wrangler.toml"), "utf8");
    const prodVars = toml.slice(toml.indexOf("[env.production.vars]")).split(/\n\[/)[0] ?? "";
    expect(prodVars.match(/^[A-Z_]+(?= =)/gm)).toEqual(["ENVIRONMENT"]);
  }, 60_000);

  const refusals: [string, string[], Record<string, string>, RegExp][] = [
    [
      "a required secret neither given nor set",
      [],
      { ADMIN_JWT_SECRET: "" },
      /required secrets neither given nor set on the Worker: ADMIN_JWT_SECRET/,
    ],
    [
      "no CloudFront private key (Terraform always makes the distribution)",
      [],
      { CLOUDFRONT_PRIVATE_KEY: "" },
      /required secrets neither given nor set on the Worker: CLOUDFRONT_PRIVATE_KEY/,
    ],
    [
      "a CloudFront key that is not a PEM private key",
      [],
      { CLOUDFRONT_PRIVATE_KEY: "not a key" },
      /CLOUDFRONT_PRIVATE_KEY is not a PEM private key/,
    ],
    ["no DATABASE_URL to migrate", [], { DATABASE_URL: "" }, /DATABASE_URL is needed to migrate/],
  ];
  for (const [what, args, env, message] of refusals)
    it(`refuses before changing anything: ${what}`, async () => {
      writeFileSync(log, "");
      const r = await deploy(["--yes", "--config", config, ...args], { ...secrets, ...tools(), ...env });
      expect(r.status, r.out).toBe(2);
      expect(r.out).toMatch(message);
      expect(r.out).toMatch(/nothing was changed/);
      expect(calls().filter((l) => !READ_ONLY.test(l))).toEqual([]);
    }, 60_000);

  const failingTools: [string, Parameters<typeof tools>[0], Record<string, string>, RegExp][] = [
    [
      "wrangler secret list fails (an expired token is not a first deploy)",
      {
        wrangler: [
          [/secret list/, { stderr: "✘ [ERROR] A request to the Cloudflare API failed. Authentication error [code: 10000]", exit: 1 }],
        ],
      },
      {},
      /wrangler secret list failed: .*Authentication error \[code: 10000\]/,
    ],
    [
      "wrangler is not signed in",
      { wrangler: [[/whoami/, { stderr: "✘ [ERROR] You are not authenticated. Please run `wrangler login`.", exit: 1 }]] },
      {},
      /wrangler is not signed in/,
    ],
    [
      "wrangler is signed in to another account",
      {},
      { CLOUDFLARE_ACCOUNT_ID: "ffffffffffffffffffffffffffffffff" },
      /not to account ffffffffffffffffffffffffffffffff/,
    ],
    [
      "Docker is not running",
      {
        docker: [
          [
            /info/,
            { stderr: "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?", exit: 1 },
          ],
        ],
      },
      {},
      /Docker must be running.*Cannot connect to the Docker daemon/,
    ],
    ["terraform is missing", { terraform: [[/version/, { stderr: "terraform: not found", exit: 127 }]] }, {}, /terraform is needed/],
  ];
  for (const [what, over, env, message] of failingTools)
    it(`refuses before changing anything: ${what}`, async () => {
      writeFileSync(log, "");
      const r = await deploy(["--yes", "--config", config], { ...secrets, ...tools(over), ...env });
      expect(r.status, r.out).toBe(2);
      expect(r.out).toMatch(message);
      expect(calls().filter((l) => !READ_ONLY.test(l))).toEqual([]);
    }, 60_000);

  it("a code-only deploy refuses, clearly, when no Terraform state is reachable", async () => {
    writeFileSync(log, "");
    const r = await deploy(["--skip-terraform", "--config", config], {
      ...secrets,
      ...tools({ terraform: [[/output -json/, { stdout: "{}" }]] }),
    });
    expect(r.status, r.out).toBe(2);
    expect(r.out).toMatch(/--skip-terraform needs Terraform's outputs: .*no applied state is reachable/);
    expect(calls().filter((l) => !READ_ONLY.test(l))).toEqual([]);
  }, 60_000);

  it("a Worker that does not exist yet is a first deploy: every secret must be given, and is", async () => {
    writeFileSync(log, "");
    const notFound = { stderr: "✘ [ERROR] This Worker does not exist on your account. [code: 10007]", exit: 1 };
    const r = await deploy(["--dry-run", "--config", config], { ...secrets, ...tools({ wrangler: [[/secret list/, notFound]] }) });
    expect(r.status, r.out).toBe(0);
    expect(r.out).toMatch(/a first deploy/);
    const missing = await deploy(["--dry-run", "--config", config], {
      ...secrets,
      UPSTASH_REDIS_REST_TOKEN: "",
      ...tools({ wrangler: [[/secret list/, notFound]] }),
    });
    expect(missing.status).toBe(2);
    expect(missing.out).toMatch(/neither given nor set on the Worker: UPSTASH_REDIS_REST_TOKEN/);
  }, 60_000);

  it("refuses to run while the production route is the example domain", async () => {
    const example = await deploy(["--dry-run"], secrets);
    expect(example.status).toBe(2);
    expect(example.out).toMatch(/routes in wrangler\.toml is still "api\.moviesnow\.example"/);
  }, 60_000);

  it("--dry-run runs the checks, prints the plan and changes nothing", async () => {
    writeFileSync(log, "");
    const r = await deploy(["--dry-run", "--config", config], { ...secrets, ...tools() });
    expect(r.status, r.out).toBe(0);
    expect(r.out).toMatch(
      /checks[\s\S]*1\/4 terraform apply[\s\S]*2\/4 database migrations[\s\S]*3\/4 wrangler deploy --env production \(moviesnow-api on api\.moviesnow\.test\)[\s\S]*4\/4 moviesnow smoke --api https:\/\/api\.moviesnow\.test\/api\/v1/,
    );
    expect(r.out).toMatch(/would set ADMIN_JWT_SECRET \(\d+ characters\)/);
    expect(r.out).not.toContain(secrets.ADMIN_JWT_SECRET);
    expect(calls()).toEqual(checks);
  }, 60_000);
});

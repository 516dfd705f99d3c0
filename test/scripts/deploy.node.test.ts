// npm run deploy, end to end on this machine: Terraform and wrangler are recorders (no AWS or
// Cloudflare account here) that answer as the real tools do, while the migration runs against
// the local Postgres and the smoke check against the Worker under wrangler dev. What is checked:
// the order of the steps, that each secret reaches `wrangler secret put` on stdin (never on a
// command line), Terraform's outputs as vars, and that it refuses early what would fail later.
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgres } from "../../scripts/stack/config.ts";
import { commandRecorder } from "../support/command-recorder.ts";
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
      S3_SSE: "AES256",
    },
  },
};

const recorder = (name: string, replies: [RegExp, string][]) => commandRecorder(dir, name, log, replies);

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

describe("npm run deploy", () => {
  const secrets = {
    DATABASE_URL: testDatabaseUrl,
    NEON_FETCH_ENDPOINT: postgres.fetchEndpoint,
    UPSTASH_REDIS_REST_URL: "https://eu1-example.upstash.io",
    UPSTASH_REDIS_REST_TOKEN: "upstash-token-value",
    ADMIN_JWT_SECRET: "a-production-jwt-secret-of-at-least-32-chars",
    TOTP_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString("base64"),
    JOB_SERVICE_SECRET: "a-job-service-secret-of-at-least-32-chars",
    AWS_SECRET_ACCESS_KEY: "an-older-key-that-terraform-replaces",
  };

  it("applies Terraform, puts each secret on stdin, migrates, deploys production with Terraform's vars, then smoke-checks", async () => {
    writeFileSync(log, "");
    const terraform = recorder("terraform", [[/output -json/, JSON.stringify(TF_OUTPUTS)]]);
    const wrangler = recorder("wrangler", [[/secret list/, "[]"]]);
    const r = await deploy(["--yes", "--config", config, "--api", worker.api], {
      ...secrets,
      TERRAFORM_BIN: terraform,
      WRANGLER_BIN: wrangler,
    });
    expect(r.status, r.out).toBe(0);

    const conf = "--config <dir>/wrangler.toml";
    expect(calls()).toEqual([
      "terraform -chdir=terraform init -input=false",
      "terraform -chdir=terraform apply -auto-approve -input=false",
      "terraform -chdir=terraform output -json",
      `wrangler secret list --env production --format json ${conf}`,
      `wrangler secret put DATABASE_URL --env production ${conf} <<< ${testDatabaseUrl}`,
      `wrangler secret put UPSTASH_REDIS_REST_URL --env production ${conf} <<< https://eu1-example.upstash.io`,
      `wrangler secret put UPSTASH_REDIS_REST_TOKEN --env production ${conf} <<< upstash-token-value`,
      `wrangler secret put AWS_ACCESS_KEY_ID --env production ${conf} <<< AKIAWORKER`,
      `wrangler secret put AWS_SECRET_ACCESS_KEY --env production ${conf} <<< worker-secret-from-terraform`,
      `wrangler secret put JOB_AWS_ACCESS_KEY_ID --env production ${conf} <<< AKIAJOB`,
      `wrangler secret put JOB_AWS_SECRET_ACCESS_KEY --env production ${conf} <<< job-secret-from-terraform`,
      `wrangler secret put JOB_SERVICE_SECRET --env production ${conf} <<< ${secrets.JOB_SERVICE_SECRET}`,
      `wrangler secret put ADMIN_JWT_SECRET --env production ${conf} <<< ${secrets.ADMIN_JWT_SECRET}`,
      `wrangler secret put TOTP_ENCRYPTION_KEY --env production ${conf} <<< ${secrets.TOTP_ENCRYPTION_KEY}`,
      `wrangler deploy --env production --var AWS_BUCKET_NAME:moviesnow-media-prod --var AWS_REGION:eu-west-1 --var CLOUDFRONT_DOMAIN:media.moviesnow.test --var CLOUDFRONT_KEY_PAIR_ID:K2JCJMDEHXQW5F --var CLOUDFRONT_SIGNATURE_HASH:SHA256 --var S3_SSE:AES256 ${conf}`,
    ]);
    // The migration ran against the database (already current here), then the real smoke check.
    expect(r.out).toMatch(/0 migration\(s\) applied/);
    expect(r.out).toMatch(/all 7 checks passed/);
    // Secret values are never printed.
    for (const v of ["upstash-token-value", "worker-secret-from-terraform", secrets.ADMIN_JWT_SECRET, secrets.JOB_SERVICE_SECRET])
      expect(r.out).not.toContain(v);
  }, 180_000);

  it("refuses before changing anything when a required secret is neither given nor set, naming it", async () => {
    writeFileSync(log, "");
    const terraform = recorder("terraform", [[/output -json/, JSON.stringify(TF_OUTPUTS)]]);
    const wrangler = recorder("wrangler", [[/secret list/, JSON.stringify([{ name: "UPSTASH_REDIS_REST_URL", type: "secret_text" }])]]);
    const { UPSTASH_REDIS_REST_URL: _set, ADMIN_JWT_SECRET: _missing, ...some } = secrets;
    const r = await deploy(["--yes", "--config", config, "--skip-terraform"], {
      ...some,
      ADMIN_JWT_SECRET: "",
      TERRAFORM_BIN: terraform,
      WRANGLER_BIN: wrangler,
    });
    expect(r.status).toBe(2);
    expect(r.out).toMatch(
      /required secrets neither given nor set on the Worker: AWS_ACCESS_KEY_ID, JOB_AWS_ACCESS_KEY_ID, JOB_AWS_SECRET_ACCESS_KEY, ADMIN_JWT_SECRET/,
    );
    expect(calls()).toEqual([`wrangler secret list --env production --format json --config <dir>/wrangler.toml`]);
  }, 60_000);

  it("refuses to run while the production route is the example domain, or without DATABASE_URL to migrate", async () => {
    const example = await deploy(["--dry-run"], secrets);
    expect(example.status).toBe(2);
    expect(example.out).toMatch(/routes in wrangler\.toml is still "api\.moviesnow\.example"/);
    const noDb = await deploy(["--dry-run", "--config", config], { ...secrets, DATABASE_URL: "" });
    expect(noDb.status).toBe(2);
    expect(noDb.out).toMatch(/DATABASE_URL is needed to migrate/);
  }, 60_000);

  it("--dry-run prints the plan and changes nothing", async () => {
    writeFileSync(log, "");
    const r = await deploy(["--dry-run", "--config", config], {
      ...secrets,
      TERRAFORM_BIN: recorder("terraform", []),
      WRANGLER_BIN: recorder("wrangler", []),
    });
    expect(r.status, r.out).toBe(0);
    expect(r.out).toMatch(
      /1\/5 terraform apply[\s\S]*2\/5 wrangler secret put[\s\S]*3\/5 database migrations[\s\S]*4\/5 wrangler deploy --env production \(moviesnow-api on api\.moviesnow\.test\)[\s\S]*5\/5 moviesnow smoke --api https:\/\/api\.moviesnow\.test\/api\/v1/,
    );
    expect(r.out).toMatch(/would set ADMIN_JWT_SECRET \(\d+ characters\)/);
    expect(r.out).not.toContain(secrets.ADMIN_JWT_SECRET);
    expect(calls()).toEqual([]);
  }, 60_000);
});

// npm run dev — the local stack up, migrations applied, the demo catalog seeded, .dev.vars
// written (values an operator set there are kept), then `wrangler dev` on PORT (8787).
import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { envSchema } from "../src/platform/env.ts";
import { migrateDatabase } from "./db-migrate.ts";
import { mergeDevVars, parseVars, renderDevVars } from "./dev-vars.ts";
import { seedDemo } from "./seed.ts";
import { cdn, workerVars } from "./stack/config.ts";
import { stackUp } from "./stack/index.ts";

const root = resolve(import.meta.dirname, "..");
const port = Number(process.env.PORT ?? 8787);

function writeDevVars(): Record<string, string> {
  const example = parseVars(readFileSync(resolve(root, ".dev.vars.example"), "utf8"));
  const file = resolve(root, ".dev.vars");
  const existing = existsSync(file) ? parseVars(readFileSync(file, "utf8")) : new Map<string, string>();
  const out = mergeDevVars(example, workerVars(), existing);
  writeFileSync(file, renderDevVars(out), { mode: 0o600 });
  return out;
}

async function main() {
  await stackUp();
  const vars = writeDevVars();
  const parsed = envSchema.safeParse(vars);
  if (!parsed.success) {
    throw new Error(`.dev.vars is invalid:\n${parsed.error.issues.map((i) => `  ${String(i.path[0])}: ${i.message}`).join("\n")}`);
  }
  await migrateDatabase(vars.DATABASE_URL ?? "", vars.NEON_FETCH_ENDPOINT || undefined);
  console.log("[dev] migrations applied");
  const seeded = await seedDemo(vars);
  console.log(`[dev] demo catalog: ${seeded.titles} titles, ${seeded.assets} media assets in s3://${vars.AWS_BUCKET_NAME}`);

  const base = `http://127.0.0.1:${port}`;
  console.log(`
[dev] starting wrangler dev on ${base}. Try:
  ${base}/api/v1/health
  ${base}/api/v1/ready
  ${base}/docs
  ${base}/api/v1/openapi.json
`);
  // --cdn: delivery URLs signed for the stack's CloudFront stand-in (cdn.ts), as production signs
  // them for CloudFront; .dev.vars is left as it is.
  const viaCdn = process.argv.includes("--cdn");
  const cdnVars = viaCdn
    ? [
        ["CLOUDFRONT_DOMAIN", cdn.url],
        ["CLOUDFRONT_KEY_PAIR_ID", cdn.keyPairId],
        ["CLOUDFRONT_PRIVATE_KEY", readFileSync(cdn.privateKeyFile, "utf8")],
      ].flatMap(([k, v]) => ["--var", `${k}:${v}`])
    : [];
  if (viaCdn) console.log(`[dev] delivery URLs are CloudFront signed URLs for the local CDN at ${cdn.url}`);
  const child = spawn("npx", ["wrangler", "dev", "--ip", "127.0.0.1", "--port", String(port), ...cdnVars], {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" },
  });
  const stop = () => child.kill("SIGINT");
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  child.on("exit", (code) => process.exit(code ?? 0));
}

main().catch((e: unknown) => {
  console.error(`[dev] ${(e as Error).message}`);
  process.exit(1);
});

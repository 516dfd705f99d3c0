// The local stack of real services on 127.0.0.1: Postgres (+ Neon HTTP adapter), Redis (+ Upstash
// REST adapter), Swift with s3api (+ memcached). `up` is idempotent and returns once every
// service answers; `down` stops only what `up` started.
import { createHash, generateKeyPairSync } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { JOB_NODE_FLAGS } from "../build-container.ts";
import { ensurePackages } from "./apt.ts";
import { browserOrigins, cdn, host, jobService, ports, postgres, redis, s3, s3Env, upstashDatabases } from "./config.ts";
import { downPostgres, postgresPid, upPostgres } from "./postgres.ts";
import { alive, portOpen, readPid, runDir, startDaemon, stopDaemon, waitFor } from "./proc.ts";
import { downRedis, upRedis } from "./redis.ts";
import { downSwift, swiftDaemons, upSwift } from "./swift.ts";

const here = import.meta.dirname;
const tsxLoader = resolve(here, "../../node_modules/tsx/dist/loader.mjs");
let fingerprint: string | undefined;

/**
 * What our Node services are made of: every source file under scripts/stack, container/src and
 * src, by size and modification time (a few hundred stats, no reads). A service started from other
 * code is restarted like one started with other settings.
 */
function codeFingerprint(): string {
  const h = createHash("sha256");
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".ts")) {
        const st = statSync(p);
        h.update(`${p}\0${st.size}\0${st.mtimeMs}\n`);
      }
    }
  };
  for (const d of ["scripts/stack", "container/src", "src"]) walk(resolve(here, "../..", d));
  return h.digest("hex");
}

/**
 * Starts one of our Node services unless it already runs with these settings and this code. One
 * started by an older checkout of the scripts with other settings (a token added, a flag changed)
 * or from other code is restarted, so a warm machine never tests against a stale adapter.
 */
async function startAdapter(name: string, file: string, env: Record<string, string>, nodeFlags: string[] = []): Promise<void> {
  const args = [...nodeFlags, "--import", tsxLoader, resolve(here, file)];
  fingerprint ??= codeFingerprint();
  const spec = JSON.stringify({ args, env, code: fingerprint });
  const specFile = join(runDir, `${name}.spec`);
  if (alive(readPid(name))) {
    if (existsSync(specFile) && readFileSync(specFile, "utf8") === spec) return;
    await stopDaemon(name);
  }
  startDaemon(name, process.execPath, args, env);
  writeFileSync(specFile, spec);
}

/** This checkout's services with their pid (when it runs one) and port. */
function services(): [string, number | undefined, number][] {
  return [
    ["postgres", postgresPid(), ports.postgres],
    ["neon-adapter", readPid("neon-adapter"), ports.neonHttp],
    ["redis", readPid("redis"), ports.redis],
    ["upstash-adapter", readPid("upstash-adapter"), ports.upstash],
    ["memcached", readPid("memcached"), ports.memcached],
    ["swift-proxy", readPid("swift-proxy"), ports.swiftProxy],
    ["swift-object", readPid("swift-object"), ports.swiftObject],
    ["swift-container", readPid("swift-container"), ports.swiftContainer],
    ["swift-account", readPid("swift-account"), ports.swiftAccount],
    ["job-service", readPid("job-service"), ports.jobService],
    ["cdn", readPid("cdn"), ports.cdn],
  ];
}

/**
 * A port of ours already taken by a process this checkout did not start (another checkout's
 * stack, a system Postgres): starting would fail half-way, or worse, test someone else's server.
 */
async function portsTakenByOthers(): Promise<string[]> {
  const taken: string[] = [];
  for (const [name, pid, port] of services()) if (!alive(pid) && (await portOpen(port))) taken.push(`${name} (${host}:${port})`);
  return taken;
}

export async function stackUp(opts: { quiet?: boolean } = {}): Promise<void> {
  const log = (m: string) => opts.quiet || console.log(`[stack] ${m}`);
  ensurePackages();
  const taken = await portsTakenByOthers();
  if (taken.length > 0) {
    throw new Error(
      `ports taken by processes this checkout did not start: ${taken.join(", ")}. Stop them (another checkout's stack: npm run stack -- down there) or move this stack with the MN_* port variables (scripts/stack/config.ts).`,
    );
  }
  log("starting postgres, redis, swift…");
  await Promise.all([upPostgres(), upRedis(), upSwift()]);
  await startAdapter("neon-adapter", "neon-adapter.ts", { PORT: String(ports.neonHttp), PG_PORT: String(ports.postgres) });
  await startAdapter("upstash-adapter", "upstash-adapter.ts", {
    PORT: String(ports.upstash),
    REDIS_PORT: String(ports.redis),
    UPSTASH_DATABASES: JSON.stringify(upstashDatabases()),
  });
  await upJobService();
  await upCdn();
  await waitFor("neon http adapter", () => portOpen(ports.neonHttp));
  await waitFor("local cdn", () => portOpen(ports.cdn));
  await waitFor("job service", () => portOpen(ports.jobService));
  await waitFor("upstash adapter", () => portOpen(ports.upstash));
  log(`postgres  ${postgres.url} (Neon HTTP at ${postgres.fetchEndpoint})`);
  log(`redis     ${host}:${ports.redis} (Upstash REST at ${redis.restUrl})`);
  log(`s3        ${s3.endpoint}/${s3.bucket} (access key ${s3.accessKeyId}, region ${s3.region})`);
}

/** The container job as a Node process, with the stack's S3 settings (no database access). */
export async function upJobService(): Promise<void> {
  // With the container's node flags, so that it streams as the image does.
  await startAdapter(
    "job-service",
    "../../container/src/server.ts",
    {
      PORT: String(ports.jobService),
      HOST: host,
      JOB_SERVICE_SECRET: jobService.secret,
      ...s3Env,
      // One machine stands in for every container instance, and test files build seasons side by
      // side (as BUNDLE_MAX_CONCURRENT_BUILDS is raised for them); the cap's own tests run a
      // service of their own with a cap of 1.
      JOB_MAX_CONCURRENT: "64",
    },
    JOB_NODE_FLAGS,
  );
}

/** The local CloudFront stand-in, with the stack's own signing key pair (made once, kept in the state directory). */
async function upCdn(): Promise<void> {
  if (!existsSync(cdn.privateKeyFile)) {
    mkdirSync(dirname(cdn.privateKeyFile), { recursive: true });
    const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    writeFileSync(cdn.privateKeyFile, privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
    writeFileSync(cdn.publicKeyFile, publicKey.export({ type: "spki", format: "pem" }));
  }
  await startAdapter("cdn", "cdn.ts", {
    PORT: String(ports.cdn),
    ...s3Env,
    CDN_KEY_PAIR_ID: cdn.keyPairId,
    CDN_PUBLIC_KEY_FILE: cdn.publicKeyFile,
    // The same list as the bucket's CORS (config.ts), as Terraform's player_origins feed both.
    CDN_PLAYER_ORIGINS: browserOrigins.join(" "),
  });
}

export async function stackDown(): Promise<string[]> {
  const stopped: string[] = [];
  for (const n of ["job-service", "cdn", "neon-adapter", "upstash-adapter"]) if (await stopDaemon(n)) stopped.push(n);
  stopped.push(...(await downSwift()));
  if (await downRedis()) stopped.push("redis");
  if (await downPostgres()) stopped.push("postgres");
  return stopped;
}

export async function stackStatus(): Promise<Record<string, { pid?: number; port: number; up: boolean }>> {
  const entries = services();
  const out: Record<string, { pid?: number; port: number; up: boolean }> = {};
  for (const [name, pid, port] of entries) {
    out[name] = { ...(pid !== undefined ? { pid } : {}), port, up: await portOpen(port) };
  }
  void swiftDaemons;
  return out;
}

// OpenStack Swift with its s3api middleware: a real S3 endpoint that verifies SigV4 (tampered or
// expired presigned URLs get 403). One replica on one device under .local/stack/swift, tempauth
// for the `account:user` access key, path-style addressing, up to 10,000 multipart parts.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import { AwsClient } from "aws4fetch";
import { browserOrigins, host, ports, s3, stateDir } from "./config.ts";
import { alive, portOpen, readPid, run, startDaemon, stopDaemon, waitFor } from "./proc.ts";

const dir = join(stateDir, "swift");
const etc = join(dir, "etc");
const devices = join(dir, "srv");

function common(port: number): string {
  return `[DEFAULT]
bind_ip = ${host}
bind_port = ${port}
workers = 1
user = ${userInfo().username}
swift_dir = ${etc}
devices = ${devices}
mount_check = false
disable_fallocate = true
log_level = WARNING
log_address = /nonexistent
`;
}

function writeConfigs(): void {
  mkdirSync(etc, { recursive: true });
  mkdirSync(join(devices, "d1"), { recursive: true });
  const servers: [string, number, string][] = [
    ["object", ports.swiftObject, "object"],
    ["container", ports.swiftContainer, "container"],
    ["account", ports.swiftAccount, "account"],
  ];
  for (const [name, port, egg] of servers) {
    writeFileSync(
      join(etc, `${name}-server.conf`),
      `${common(port)}
[pipeline:main]
pipeline = ${name}-server

[app:${name}-server]
use = egg:swift#${egg}

[${name}-replicator]
[${name}-updater]
[${name}-auditor]
`,
    );
  }
  // The proxy's middleware in pipeline order, each with its egg and settings: the pipeline line and
  // the filter sections are written from this one list, so they cannot drift apart.
  const filters: [name: string, egg: string, settings?: Record<string, string | number | boolean>][] = [
    ["catch_errors", "catch_errors"],
    ["gatekeeper", "gatekeeper"],
    ["healthcheck", "healthcheck"],
    ["proxy-logging", "proxy_logging"],
    ["cache", "memcache", { memcache_servers: `${host}:${ports.memcached}` }],
    ["listing_formats", "listing_formats"],
    // The signing region must be the configured location; S3 allows 10,000 parts, Swift 1,000 by default.
    [
      "s3api",
      "s3api",
      {
        location: s3.region,
        max_upload_part_num: 10_000,
        cors_preflight_allow_origin: browserOrigins.join(","),
        allow_multipart_uploads: true,
      },
    ],
    ["tempauth", "tempauth", { [`user_${s3.accessKeyId.replace(":", "_")}`]: `${s3.secretAccessKey} .admin` }],
    ["copy", "copy"],
    ["slo", "slo", { max_manifest_segments: 10_000, max_manifest_size: 64 * 1024 * 1024 }],
    ["dlo", "dlo"],
  ];
  const section = (head: string, egg: string, settings: Record<string, string | number | boolean> = {}) =>
    [`[${head}]`, `use = egg:swift#${egg}`, ...Object.entries(settings).map(([k, v]) => `${k} = ${v}`)].join("\n");
  writeFileSync(
    join(etc, "proxy-server.conf"),
    [
      `${common(ports.swiftProxy)}\n[pipeline:main]`,
      // proxy-logging twice, as Swift's sample pipeline has it: once for the request, once for the backend.
      `pipeline = ${filters.map(([name]) => name).join(" ")} proxy-logging proxy-server\n`,
      `${section("app:proxy-server", "proxy", { account_autocreate: true, allow_account_management: true })}\n`,
      ...filters.map(([name, egg, settings]) => `${section(`filter:${name}`, egg, settings)}\n`),
    ].join("\n"),
  );
}

/** Rings for one device; rebuilt on every start so a moved port takes effect. */
function buildRings(): void {
  const rings: [string, number][] = [
    ["object", ports.swiftObject],
    ["container", ports.swiftContainer],
    ["account", ports.swiftAccount],
  ];
  for (const [name, port] of rings) {
    const builder = join(etc, `${name}.builder`);
    run("rm", ["-f", builder, join(etc, `${name}.ring.gz`)]);
    run("swift-ring-builder", [builder, "create", "6", "1", "1"]);
    run("swift-ring-builder", [builder, "add", `r1z1-${host}:${port}/d1`, "100"]);
    // rebalance exits 1 with a warning on a one-device ring; the ring is still written
    try {
      run("swift-ring-builder", [builder, "rebalance"]);
    } catch {
      if (!existsSync(join(etc, `${name}.ring.gz`))) throw new Error(`swift-ring-builder could not build ${name} ring`);
    }
  }
}

const daemons = ["memcached", "swift-account", "swift-container", "swift-object", "swift-proxy"] as const;

export async function upSwift(): Promise<void> {
  if (!alive(readPid("memcached"))) {
    startDaemon("memcached", "memcached", ["-l", host, "-p", String(ports.memcached), "-U", "0", "-m", "64", "-u", userInfo().username]);
  }
  await waitFor("memcached", () => portOpen(ports.memcached));
  const serversUp = (["swift-account", "swift-container", "swift-object", "swift-proxy"] as const).every((n) => alive(readPid(n)));
  if (!serversUp) {
    for (const n of ["swift-account", "swift-container", "swift-object", "swift-proxy"]) await stopDaemon(n);
    writeConfigs();
    buildRings();
    for (const name of ["account", "container", "object", "proxy"]) {
      startDaemon(`swift-${name}`, `/usr/bin/swift-${name}-server`, [join(etc, `${name}-server.conf`), "--verbose"]);
    }
  } else {
    // Running with an older checkout's proxy settings (the CORS origins, say): restart the proxy alone.
    const proxyConf = join(etc, "proxy-server.conf");
    const before = existsSync(proxyConf) ? readFileSync(proxyConf, "utf8") : "";
    writeConfigs();
    if (readFileSync(proxyConf, "utf8") !== before) {
      await stopDaemon("swift-proxy");
      startDaemon("swift-proxy", "/usr/bin/swift-proxy-server", [proxyConf, "--verbose"]);
    }
  }
  for (const [what, port] of [
    ["swift account server", ports.swiftAccount],
    ["swift container server", ports.swiftContainer],
    ["swift object server", ports.swiftObject],
  ] as const) {
    await waitFor(what, () => portOpen(port));
  }
  await waitFor("swift proxy", async () => (await fetch(`${s3.endpoint}/healthcheck`)).ok, 60_000);
  await ensureBucket();
}

/** The proxy server alone, as fault tests stop just the S3 endpoint; the storage servers stay up. */
export async function upSwiftProxy(): Promise<void> {
  if (!alive(readPid("swift-proxy"))) {
    startDaemon("swift-proxy", "/usr/bin/swift-proxy-server", [join(etc, "proxy-server.conf"), "--verbose"]);
  }
  await waitFor("swift proxy", async () => (await fetch(`${s3.endpoint}/healthcheck`)).ok, 60_000);
}

async function ensureBucket(): Promise<void> {
  const aws = new AwsClient({ accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, region: s3.region, service: "s3" });
  const url = `${s3.endpoint}/${s3.bucket}`;
  const head = await aws.fetch(url, { method: "HEAD" });
  if (head.status === 404) {
    const put = await aws.fetch(url, { method: "PUT" });
    if (!put.ok) throw new Error(`creating bucket ${s3.bucket} failed: ${put.status} ${await put.text()}`);
  } else if (!head.ok) {
    throw new Error(`bucket check failed: HTTP ${head.status}`);
  }
  // CORS for browsers reading and uploading with presigned URLs, set through Swift's own API: the
  // stack's browser origins only, as the production bucket lists its origins.
  const auth = await fetch(`${s3.endpoint}/auth/v1.0`, {
    headers: { "X-Auth-User": s3.accessKeyId, "X-Auth-Key": s3.secretAccessKey },
  });
  const token = auth.headers.get("x-auth-token");
  const storage = auth.headers.get("x-storage-url");
  if (!auth.ok || !token || !storage) throw new Error(`swift auth failed: ${auth.status}`);
  const setCors = () =>
    fetch(`${storage}/${s3.bucket}`, {
      method: "POST",
      headers: {
        "X-Auth-Token": token,
        "X-Container-Meta-Access-Control-Allow-Origin": browserOrigins.join(" "),
        "X-Container-Meta-Access-Control-Expose-Headers": "etag x-amz-request-id content-length content-range",
        "X-Container-Meta-Access-Control-Max-Age": "3600",
      },
    });
  // A bucket just made may not be listed by the container server yet (404): ask again shortly.
  let cors = await setCors();
  for (let i = 0; i < 50 && cors.status === 404; i++) {
    await new Promise((r) => setTimeout(r, 200));
    cors = await setCors();
  }
  if (!cors.ok) throw new Error(`setting bucket CORS failed: ${cors.status}`);
}

export async function downSwift(): Promise<string[]> {
  const stopped: string[] = [];
  for (const n of [...daemons].reverse()) if (await stopDaemon(n)) stopped.push(n);
  return stopped;
}

export function swiftDaemons() {
  return daemons;
}

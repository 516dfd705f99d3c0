// The IAM policies Terraform applies, put through an IAM policy simulator (@cloud-copilot/iam-simulate)
// with every S3 request the Worker, the bundle job and the CLI make. Local Swift enforces no IAM, so
// this is where a request the production policy would refuse is caught.
//
// The requests are not listed by hand: every method of the real ObjectStore runs against a fetcher
// that records the HTTP request it sends (presigned URLs are read back the same way), and each
// request is classified into its S3 API operation and IAM action(s). A new ObjectStore method, a
// new S3 operation, or a new call in the job's code without a row here fails the test.
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { describe, expect, it } from "vitest";
import { iamPolicies, type PolicyDocument, type Principal } from "../../scripts/iam-policies.ts";
import { createS3, type ObjectStore } from "../../src/platform/s3.ts";
import { runProcess } from "../support/packaged-title.ts";

const root = resolve(import.meta.dirname, "../..");
const BUCKET = "moviesnow-iam-test";
const ACCOUNT = "123456789012";
const policies = iamPolicies(BUCKET);
const bucketArn = `arn:aws:s3:::${BUCKET}`;
const objectArn = (key: string) => `${bucketArn}/${key}`;

type Decision = "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied";
interface IamRequest {
  operation: string;
  action: string;
  resource: string;
  context: Record<string, string>;
}

async function decide(who: Principal, r: Pick<IamRequest, "action" | "resource" | "context">): Promise<Decision> {
  const out = await runSimulation(
    {
      request: {
        principal: `arn:aws:iam::${ACCOUNT}:user/moviesnow/moviesnow-production-${who}`,
        action: r.action,
        resource: { resource: r.resource, accountId: ACCOUNT },
        contextVariables: r.context,
      },
      identityPolicies: [{ name: "media-bucket", policy: policies[who] satisfies PolicyDocument }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  if (out.resultType === "error") throw new Error(`simulation refused ${r.action} ${r.resource}: ${JSON.stringify(out.errors)}`);
  return out.overallResult as Decision;
}

/** S3 API operation of one HTTP request, and the IAM action(s) S3 checks for it. */
function classify(method: string, rawUrl: string, headers: Headers, body: string): IamRequest[] {
  const u = new URL(rawUrl);
  const path = decodeURIComponent(u.pathname.replace(/^\//, ""));
  // Path style: the first segment is the bucket.
  const [bucket, ...rest] = path.split("/");
  expect(bucket).toBe(BUCKET);
  const key = rest.join("/");
  const q = u.searchParams;
  const on = (operation: string, action: string, resource: string, context: Record<string, string> = {}): IamRequest => ({
    operation,
    action,
    resource,
    context,
  });
  if (key === "") {
    if (method === "HEAD") return [on("HeadBucket", "s3:ListBucket", bucketArn)];
    if (method === "GET" && q.get("list-type") === "2")
      return [on("ListObjectsV2", "s3:ListBucket", bucketArn, { "s3:prefix": q.get("prefix") ?? "" })];
    if (method === "GET" && q.has("uploads"))
      return [on("ListMultipartUploads", "s3:ListBucketMultipartUploads", bucketArn, { "s3:prefix": q.get("prefix") ?? "" })];
    if (method === "POST" && q.has("delete"))
      return [...body.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => on("DeleteObjects", "s3:DeleteObject", objectArn(m[1] ?? "")));
  } else {
    const obj = objectArn(key);
    if (method === "GET" && q.has("uploadId")) return [on("ListParts", "s3:ListMultipartUploadParts", obj)];
    if (method === "GET") return [on("GetObject", "s3:GetObject", obj)];
    if (method === "HEAD") return [on("HeadObject", "s3:GetObject", obj)];
    if (method === "PUT" && headers.has("x-amz-copy-source")) {
      const source = decodeURIComponent(headers.get("x-amz-copy-source") ?? "").replace(/^\//, "");
      return [on("CopyObject", "s3:GetObject", `arn:aws:s3:::${source}`), on("CopyObject", "s3:PutObject", obj)];
    }
    if (method === "PUT" && q.has("partNumber") && q.has("uploadId")) return [on("UploadPart", "s3:PutObject", obj)];
    if (method === "PUT") return [on("PutObject", "s3:PutObject", obj)];
    if (method === "POST" && q.has("uploads")) return [on("CreateMultipartUpload", "s3:PutObject", obj)];
    if (method === "POST" && q.has("uploadId")) return [on("CompleteMultipartUpload", "s3:PutObject", obj)];
    if (method === "DELETE" && q.has("uploadId")) return [on("AbortMultipartUpload", "s3:AbortMultipartUpload", obj)];
    if (method === "DELETE") return [on("DeleteObject", "s3:DeleteObject", obj)];
  }
  throw new Error(`no row for S3 request ${method} ${rawUrl}: add its operation and IAM action to classify()`);
}

/** An ObjectStore whose every request is recorded and answered with just enough for the caller to go on. */
function recordingStore(): { s3: ObjectStore; take(): IamRequest[] } {
  let seen: IamRequest[] = [];
  const fetcher = async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = input instanceof Request ? input.url : String(input);
    const body = typeof init.body === "string" ? init.body : "";
    seen.push(...classify(init.method ?? "GET", url, new Headers(init.headers), body));
    const xml =
      "<R><UploadId>u-1</UploadId><ETag>&quot;e&quot;</ETag><Part><PartNumber>1</PartNumber><ETag>&quot;e&quot;</ETag><Size>1</Size></Part><IsTruncated>false</IsTruncated></R>";
    return new Response(init.method === "HEAD" ? null : xml, {
      status: 200,
      headers: { etag: '"e"', "content-length": init.method === "HEAD" ? "1" : String(xml.length), "content-type": "application/xml" },
    });
  };
  const s3 = createS3(
    {
      AWS_BUCKET_NAME: BUCKET,
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "AKIDEXAMPLE",
      AWS_SECRET_ACCESS_KEY: "secret",
      S3_ENDPOINT: "http://s3.test",
    },
    { fetcher: fetcher as typeof fetch },
  );
  return {
    s3,
    take: () => {
      const out = seen;
      seen = [];
      return out;
    },
  };
}

type Method = Exclude<keyof ObjectStore, "bucket">;
/** Runs one ObjectStore method on `key` (a prefix for listings); a presigned URL counts as the request it authorises. */
async function call(store: ReturnType<typeof recordingStore>, method: Method, key: string): Promise<IamRequest[]> {
  const { s3 } = store;
  const presigned = (url: string, m: string) => classify(m, url, new Headers(), "");
  const run: Record<Method, () => Promise<IamRequest[] | undefined>> = {
    get: async () => void (await s3.get(key)),
    head: async () => void (await s3.head(key)),
    put: async () => void (await s3.put(key, "x")),
    delete: () => s3.delete(key).then(() => undefined),
    deleteMany: async () => void (await s3.deleteMany([key, `${key}.2`])),
    list: async () => void (await s3.list(key)),
    copy: () => s3.copy(key, `${key}.copy`).then(() => undefined),
    createMultipart: async () => void (await s3.createMultipart(key)),
    presignUploadPart: async () => presigned(await s3.presignUploadPart(key, "u-1", 1, 600), "PUT"),
    uploadPart: async () => void (await s3.uploadPart(key, "u-1", 1, "x", 1)),
    completeMultipart: async () => void (await s3.completeMultipart(key, "u-1", [{ partNumber: 1, etag: '"e"' }])),
    abortMultipart: () => s3.abortMultipart(key, "u-1").then(() => undefined),
    listParts: async () => void (await s3.listParts(key, "u-1")),
    listMultipartUploads: async () => void (await s3.listMultipartUploads(key)),
    presignGet: async () => presigned(await s3.presignGet(key, { expiresIn: 600 }), "GET"),
    presignPut: async () => presigned((await s3.presignPut(key, { expiresIn: 600 })).url, "PUT"),
    ping: () => s3.ping().then(() => undefined),
  };
  const fromUrl = await run[method]();
  const sent = store.take();
  const out = [...(fromUrl ?? []), ...sent];
  expect(out.length, `${method} made no S3 request`).toBeGreaterThan(0);
  return out;
}

// One key under every prefix the service writes (src/lib/storage-keys.ts builds them).
const T = "5f0c1d3e-0000-4000-8000-000000000001";
const E = "5f0c1d3e-0000-4000-8000-000000000002";
const KEYS = {
  originals: `originals/${T}/${E}/film.mkv`,
  downloads: `downloads/${T}/${E}/1080p/film.mp4`,
  hls: `hls/${T}/${E}/720p/seg-00001.m4s`,
  bundles: `bundles/${T}/S01.zip`,
  artwork: `artwork/title/${T}/poster.jpg`,
  subs: `subs/title/${T}/${E}/film.en.vtt`,
};
const LISTED = [`hls/${T}/${E}/720p/`, `bundles/${T}/`, `originals/${T}/`];

/** The ObjectStore methods the job's code calls (container/src), read off the source. */
function jobMethods(): Set<string> {
  const found = new Set<string>();
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith(".ts")) for (const m of readFileSync(p, "utf8").matchAll(/\bs3\.(\w+)\(/g)) found.add(m[1] ?? "");
    }
  };
  walk(resolve(root, "container/src"));
  return found;
}

/** What the bundle and checksum jobs do: read any source, head and write bundles/. */
const JOB_CALLS: [Method, string[]][] = [
  ["get", Object.values(KEYS)],
  ["head", [KEYS.bundles]],
  ["put", [`bundles/${T}/S01.manifest.json`]],
  ["createMultipart", [KEYS.bundles]],
  ["uploadPart", [KEYS.bundles]],
  ["completeMultipart", [KEYS.bundles]],
  ["abortMultipart", [KEYS.bundles]],
  ["listParts", [KEYS.bundles]],
];

describe("IAM policies", () => {
  it("npm run iam:policies prints the worker's and the job's documents, as Terraform renders them", async () => {
    const r = await runProcess(process.execPath, [
      "--import",
      resolve(root, "node_modules/tsx/dist/loader.mjs"),
      resolve(root, "scripts/iam-policies.ts"),
      "--bucket",
      BUCKET,
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(policies);
    const tf = readFileSync(resolve(root, "terraform/iam.tf"), "utf8");
    for (const who of ["worker", "job"]) expect(tf).toContain(`policy = local.iam_policies.${who}`);
    expect(tf).toMatch(/templatefile\("\$\{path\.module\}\/policies\/\$\{who\}\.json\.tftpl"/);
    const bad = await runProcess(process.execPath, [
      "--import",
      resolve(root, "node_modules/tsx/dist/loader.mjs"),
      resolve(root, "scripts/iam-policies.ts"),
      "--bucket",
      "Not_A_Bucket",
    ]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/not an S3 bucket name/);
  });

  it("the Worker may make every S3 request the ObjectStore sends, under every media prefix", async () => {
    const store = recordingStore();
    const methods = Object.keys(store.s3).filter((k) => k !== "bucket") as Method[];
    const denied: string[] = [];
    for (const method of methods) {
      const targets = method === "list" || method === "listMultipartUploads" ? LISTED : method === "ping" ? [""] : Object.values(KEYS);
      for (const key of targets)
        for (const r of await call(store, method, key)) {
          const d = await decide("worker", r);
          if (d !== "Allowed") denied.push(`${method} → ${r.operation} ${r.action} ${r.resource} ${JSON.stringify(r.context)}: ${d}`);
        }
    }
    expect(denied).toEqual([]);
  });

  it("the bundle job may make every S3 request its code sends", async () => {
    const store = recordingStore();
    const covered = new Set(JOB_CALLS.map(([m]) => m));
    // A call added to the job's code without a row above fails here.
    expect([...jobMethods()].filter((m) => !covered.has(m as Method))).toEqual([]);
    const denied: string[] = [];
    for (const [method, keys] of JOB_CALLS)
      for (const key of keys)
        for (const r of await call(store, method, key)) {
          const d = await decide("job", r);
          if (d !== "Allowed") denied.push(`${method} → ${r.operation} ${r.action} ${r.resource}: ${d}`);
        }
    expect(denied).toEqual([]);
  });

  it("a missing object answers 404, not 403, to both: each may list the bucket without a prefix condition (HeadBucket too)", async () => {
    for (const who of ["worker", "job"] as const) {
      expect(await decide(who, { action: "s3:ListBucket", resource: bucketArn, context: {} })).toBe("Allowed");
    }
  });

  it("what neither may ever do is denied", async () => {
    const never: [Principal, string, string][] = [
      // The job reads and writes bundles only: it never deletes, nor writes what operators uploaded.
      ["job", "s3:DeleteObject", objectArn(KEYS.bundles)],
      ["job", "s3:DeleteObject", objectArn(KEYS.originals)],
      ["job", "s3:PutObject", objectArn(KEYS.originals)],
      ["job", "s3:PutObject", objectArn(KEYS.hls)],
      ["job", "s3:AbortMultipartUpload", objectArn(KEYS.originals)],
      ["job", "s3:ListBucketMultipartUploads", bucketArn],
      // Outside the media prefixes, or another bucket.
      ["worker", "s3:GetObject", objectArn("private/notes.txt")],
      ["worker", "s3:PutObject", objectArn("index.html")],
      ["worker", "s3:GetObject", "arn:aws:s3:::someone-elses-bucket/originals/x"],
      ["job", "s3:GetObject", objectArn("private/notes.txt")],
      // Bucket administration.
      ...(["worker", "job"] as const).flatMap((who): [Principal, string, string][] => [
        [who, "s3:PutBucketPolicy", bucketArn],
        [who, "s3:DeleteBucket", bucketArn],
        [who, "s3:PutBucketCORS", bucketArn],
        [who, "s3:PutLifecycleConfiguration", bucketArn],
        [who, "s3:PutBucketVersioning", bucketArn],
        [who, "s3:DeleteObjectVersion", objectArn(KEYS.originals)],
        [who, "s3:PutObjectAcl", objectArn(KEYS.originals)],
      ]),
    ];
    const allowed: string[] = [];
    for (const [who, action, resource] of never)
      if ((await decide(who, { action, resource, context: {} })) === "Allowed") allowed.push(`${who} ${action} ${resource}`);
    expect(allowed).toEqual([]);
  });

  it("the simulator (AGPL) is a development dependency only, so no build ships it", () => {
    const pkg = JSON.parse(readFileSync(resolve(root, "package.json"), "utf8")) as Record<string, Record<string, string>>;
    expect(Object.keys(pkg.dependencies ?? {}).filter((d) => d.startsWith("@cloud-copilot/"))).toEqual([]);
    expect(pkg.devDependencies?.["@cloud-copilot/iam-simulate"]).toBeDefined();
  });

  it("the templates name the prefixes Terraform's bucket rules and the storage-key module use", () => {
    const s3tf = readFileSync(resolve(root, "terraform/s3.tf"), "utf8");
    const prefixes = JSON.parse((s3tf.match(/media_prefixes\s*=\s*(\[[^\]]*\])/) ?? [])[1] ?? "[]") as string[];
    expect(prefixes.length).toBeGreaterThan(0);
    for (const who of ["worker", "job"] as const) {
      const resources = policies[who].Statement.flatMap((s) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]));
      const named = resources.filter((r) => r.startsWith(`${bucketArn}/`)).map((r) => r.slice(bucketArn.length + 1).replace(/\*$/, ""));
      for (const p of named) expect(prefixes).toContain(p);
    }
    expect(
      policies.worker.Statement.flatMap((s) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]))
        .filter((r) => r.startsWith(`${bucketArn}/`))
        .map((r) => r.slice(bucketArn.length + 1, -1))
        .sort(),
    ).toEqual([...prefixes].sort());
    for (const key of Object.values(KEYS)) expect(prefixes.some((p) => key.startsWith(p))).toBe(true);
  });
});

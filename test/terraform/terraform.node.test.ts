// terraform/ read as data (terraform/tests/ checks the plan where a terraform binary exists): the bucket has no
// public path and SSE-S3, the lifecycle rules are there, CloudFront reads through OAC and serves
// signed URLs only, IAM is limited to named prefixes and actions, and every Worker setting
// Terraform knows is an output. Also a layout check in the spirit of `terraform fmt`.
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parse } from "@cdktf/hcl2json";
import { beforeAll, describe, expect, it } from "vitest";

const dir = resolve(import.meta.dirname, "../../terraform");
const files = readdirSync(dir).filter((f) => f.endsWith(".tf"));

type Block = Record<string, unknown>;
type Tf = {
  resource: Record<string, Record<string, Block[]>>;
  data: Record<string, Record<string, Block[]>>;
  variable: Record<string, Block[]>;
  output: Record<string, Block[]>;
  locals: Block[];
};
const tf: Tf = { resource: {}, data: {}, variable: {}, output: {}, locals: [] };

beforeAll(async () => {
  for (const f of files) {
    const j = (await parse(f, readFileSync(join(dir, f), "utf8"))) as Partial<Tf>;
    for (const kind of ["resource", "data"] as const)
      for (const [type, byName] of Object.entries(j[kind] ?? {})) tf[kind][type] = { ...tf[kind][type], ...byName };
    Object.assign(tf.variable, j.variable ?? {});
    Object.assign(tf.output, j.output ?? {});
    tf.locals.push(...(j.locals ?? []));
  }
});

const resource = (type: string, name: string): Block => {
  const b = tf.resource[type]?.[name]?.[0];
  if (!b) throw new Error(`no resource ${type}.${name}`);
  return b;
};
const all = (type: string): Block[] => Object.values(tf.resource[type] ?? {}).flat();
const local = (name: string): unknown => tf.locals.find((l) => name in l)?.[name];
const one = (v: unknown): Block => (Array.isArray(v) ? (v[0] as Block) : (v as Block));
type Statement = {
  sid: string;
  effect?: string;
  actions: string[];
  resources: string | string[];
  principals?: { type: string; identifiers: string[] }[];
  condition?: { test: string; variable: string; values: unknown }[];
};
const statements = (doc: string): Statement[] => (tf.data.aws_iam_policy_document?.[doc]?.[0]?.statement ?? []) as Statement[];

const MEDIA_PREFIXES = ["originals/", "downloads/", "hls/", "bundles/", "artwork/", "subs/"];
const BUCKET = "${aws_s3_bucket.media.arn}";

describe("terraform: the media bucket", () => {
  it("has no public access path: all four public access blocks, owner-enforced objects, no ACLs or website", () => {
    expect(resource("aws_s3_bucket_public_access_block", "media")).toMatchObject({
      bucket: "${aws_s3_bucket.media.id}",
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(one(resource("aws_s3_bucket_ownership_controls", "media").rule)).toEqual({ object_ownership: "BucketOwnerEnforced" });
    for (const t of ["aws_s3_bucket_acl", "aws_s3_bucket_website_configuration", "aws_s3_object_copy"]) expect(all(t)).toEqual([]);
    expect(JSON.stringify(all("aws_s3_bucket"))).not.toMatch(/"acl"|public-read/);
  });

  it("encrypts with SSE-S3 by default", () => {
    const rule = one(resource("aws_s3_bucket_server_side_encryption_configuration", "media").rule);
    expect(one(rule.apply_server_side_encryption_by_default)).toEqual({ sse_algorithm: "AES256" });
  });

  it("tiers everything after 30 days, expires bundles/ after a validated 7–30 days, aborts abandoned multipart uploads", () => {
    const rules = resource("aws_s3_bucket_lifecycle_configuration", "media").rule as Block[];
    const byId = Object.fromEntries(rules.map((r) => [r.id, r]));
    for (const r of rules) expect(r.status).toBe("Enabled");

    const tiering = byId["intelligent-tiering"] as Block;
    expect(tiering.filter).toEqual([{}]); // every prefix
    expect(one(tiering.transition)).toEqual({ days: "${var.intelligent_tiering_days}", storage_class: "INTELLIGENT_TIERING" });
    expect(one(tf.variable.intelligent_tiering_days).default).toBe(30);

    const bundles = byId["expire-bundles"] as Block;
    expect(one(bundles.filter)).toEqual({ prefix: "bundles/" });
    expect(one(bundles.expiration)).toEqual({ days: "${var.bundle_expiration_days}" });
    const v = one(tf.variable.bundle_expiration_days);
    expect(v.default).toBeGreaterThanOrEqual(7);
    const condition = String(one(v.validation).condition);
    expect(condition).toContain("var.bundle_expiration_days >= 7");
    expect(condition).toContain("var.bundle_expiration_days <= 30");

    const abort = byId["abort-incomplete-multipart-uploads"] as Block;
    expect(abort.filter).toEqual([{}]);
    expect(one(abort.abort_incomplete_multipart_upload)).toEqual({ days_after_initiation: "${var.abort_incomplete_multipart_days}" });
  });

  it("allows browser uploads from the configured origins only, exposing ETag for multipart", () => {
    const rule = one(resource("aws_s3_bucket_cors_configuration", "media").cors_rule);
    expect(rule.allowed_origins).toBe("${var.cors_allowed_origins}");
    expect(rule.allowed_methods).toEqual(expect.arrayContaining(["PUT"]));
    expect(rule.allowed_methods).not.toContain("DELETE");
    expect(rule.expose_headers).toContain("ETag");
  });

  it("lets only the distribution read (service principal + AWS:SourceArn), and denies plain HTTP", () => {
    expect(resource("aws_s3_bucket_policy", "media").policy).toBe("${data.aws_iam_policy_document.bucket.json}");
    const s = statements("bucket");
    const allows = s.filter((x) => (x.effect ?? "Allow") === "Allow");
    expect(allows).toHaveLength(1);
    const read = allows[0] as Statement;
    expect(read.actions).toEqual(["s3:GetObject"]);
    expect(read.principals).toEqual([{ type: "Service", identifiers: ["cloudfront.amazonaws.com"] }]);
    expect(read.condition).toEqual([
      { test: "StringEquals", variable: "AWS:SourceArn", values: ["${aws_cloudfront_distribution.media.arn}"] },
    ]);
    expect(read.resources).toBe(`\${[for p in local.media_prefixes : "${BUCKET}/\${p}*"]}`);
    const deny = s.find((x) => x.effect === "Deny");
    expect(deny?.condition).toEqual([{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }]);
    expect(local("media_prefixes")).toEqual(MEDIA_PREFIXES);
  });
});

describe("terraform: CloudFront", () => {
  it("reads S3 through Origin Access Control, SigV4, always", () => {
    expect(resource("aws_cloudfront_origin_access_control", "media")).toMatchObject({
      origin_access_control_origin_type: "s3",
      signing_behavior: "always",
      signing_protocol: "sigv4",
    });
    const origin = one(resource("aws_cloudfront_distribution", "media").origin);
    expect(origin.origin_access_control_id).toBe("${aws_cloudfront_origin_access_control.media.id}");
    expect(origin.domain_name).toBe("${aws_s3_bucket.media.bucket_regional_domain_name}");
    expect(JSON.stringify(resource("aws_cloudfront_distribution", "media"))).not.toContain("origin_access_identity");
  });

  it("trusts only the key group on the default behaviour and on every media prefix, over HTTPS", () => {
    const d = resource("aws_cloudfront_distribution", "media");
    const def = one(d.default_cache_behavior);
    const dyn = one(one(one(d.dynamic).ordered_cache_behavior).content);
    const keyGroup = ["${aws_cloudfront_key_group.signers.id}"];
    for (const b of [def, dyn]) {
      expect(b.trusted_key_groups).toEqual(keyGroup);
      expect(b.viewer_protocol_policy).toBe("https-only");
      expect(b.allowed_methods).not.toContain("PUT");
    }
    expect(one(one(d.dynamic).ordered_cache_behavior).for_each).toBe("${local.behaviors}");
    expect(Object.keys(local("behaviors") as Block).sort()).toEqual(MEDIA_PREFIXES.map((p) => `${p}*`).sort());
    // Every key of cloudfront_public_keys is trusted (a rotation adds the new before removing the old).
    expect(resource("aws_cloudfront_key_group", "signers").items).toBe(
      "${[for k in sort(keys(var.cloudfront_public_keys)) : aws_cloudfront_public_key.signer[k].id]}",
    );
    expect(resource("aws_cloudfront_public_key", "signer").for_each).toBe("${var.cloudfront_public_keys}");
    expect(JSON.stringify(d)).not.toContain("trusted_signers");
  });

  it("passes the signed URL's download name, type and version to S3 and into the cache key; on playback only the version", () => {
    const policy = resource("aws_cloudfront_cache_policy", "media");
    const qs = one(one(policy.parameters_in_cache_key_and_forwarded_to_origin).query_strings_config);
    expect(qs.query_string_behavior).toBe("whitelist");
    expect(one(qs.query_strings).items).toBe("${each.value.query}");
    const policies = policy.for_each as Record<string, { query: string[] }>;
    for (const name of ["immutable", "short"])
      expect(policies[name]?.query).toEqual(["response-content-disposition", "response-content-type", "v"]);
    expect(policies.playback?.query).toEqual(["v"]);
  });

  it("serves a custom domain only with a us-east-1 certificate, TLS 1.2+", () => {
    const d = resource("aws_cloudfront_distribution", "media");
    const cert = one(d.viewer_certificate);
    expect(cert.minimum_protocol_version).toBe('${var.acm_certificate_arn == null ? "TLSv1" : "TLSv1.2_2021"}');
    expect(String(one(one(d.lifecycle).precondition).condition)).toContain("var.acm_certificate_arn != null");
    expect(
      String(one(tf.variable.acm_certificate_arn).validation ? one(one(tf.variable.acm_certificate_arn).validation).condition : ""),
    ).toContain("arn:aws:acm:us-east-1");
  });
});

describe("terraform: IAM", () => {
  // What the documents allow is simulated in test/scripts/iam-policies.node.test.ts; here, that
  // each user carries the document rendered from its template.
  it("each service user's policy is its template in policies/, rendered with the bucket's name", () => {
    expect(String(local("iam_policies")).replace(/\s+/g, " ")).toBe(
      '${{ for who in ["worker", "job"] : who => jsonencode(jsondecode(templatefile("${path.module}/policies/${who}.json.tftpl", { bucket = var.bucket_name }))) }}',
    );
    for (const user of ["worker", "job"]) {
      expect(resource("aws_iam_user_policy", user).policy).toBe(`\${local.iam_policies.${user}}`);
      expect(resource("aws_iam_user_policy", user).user).toBe(`\${aws_iam_user.${user}.name}`);
    }
    expect(tf.data.aws_iam_policy_document?.worker).toBeUndefined();
    expect(tf.data.aws_iam_policy_document?.job).toBeUndefined();
  });
});

describe("terraform: variables and outputs", () => {
  it("outputs every Worker setting it knows, under the Worker's names: vars in one map, secrets in a sensitive one", () => {
    const vars = one(tf.output.worker_vars).value as Record<string, string>;
    const secrets = one(tf.output.worker_secrets).value as Record<string, string>;
    expect(Object.keys(vars).sort()).toEqual(
      [
        "AWS_BUCKET_NAME",
        "AWS_REGION",
        "CLOUDFRONT_DOMAIN",
        "CLOUDFRONT_KEY_PAIR_ID",
        "CLOUDFRONT_SIGNATURE_HASH",
        "CORS_ALLOWED_ORIGINS",
        "S3_SSE",
      ].sort(),
    );
    expect(Object.keys(secrets).sort()).toEqual(
      ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "JOB_AWS_ACCESS_KEY_ID", "JOB_AWS_SECRET_ACCESS_KEY"].sort(),
    );
    expect(one(tf.output.worker_secrets).sensitive).toBe(true);
    // Every secret access key is in the sensitive map only.
    expect(JSON.stringify(vars)).not.toMatch(/aws_iam_access_key/);
    for (const [n, o] of Object.entries(tf.output)) if (n !== "worker_secrets") expect(JSON.stringify(o), n).not.toMatch(/\.secret\b/);
    const names = [...Object.keys(vars), ...Object.keys(secrets)];
    // The CloudFront private key never passes through Terraform: only its public half comes in.
    expect(JSON.stringify(tf)).not.toMatch(/tls_private_key|private_key_pem/);
    expect(one(tf.variable.cloudfront_public_keys)).not.toHaveProperty("default");
    // The names are the Worker's own (src/platform/env.ts).
    const env = readFileSync(resolve(import.meta.dirname, "../../src/platform/env.ts"), "utf8");
    for (const n of names.filter((n) => !n.startsWith("JOB_"))) expect(env).toContain(`${n}:`);
    expect(readFileSync(resolve(import.meta.dirname, "../../src/features/bundles/bundle-job-container.ts"), "utf8")).toContain(
      "JOB_AWS_ACCESS_KEY_ID",
    );
  });

  it("every variable has a description and a type, and every output a description", () => {
    for (const [n, v] of Object.entries(tf.variable)) {
      expect(one(v).description, n).toBeTruthy();
      expect(one(v).type, n).toBeTruthy();
    }
    for (const [n, o] of Object.entries(tf.output)) expect(one(o).description, n).toBeTruthy();
  });

  it("is laid out as terraform fmt leaves it: two-space indents, aligned = in runs of one-line attributes", () => {
    const problems: string[] = [];
    const net = (s: string) => {
      const t = s.replace(/"(\\.|[^"\\])*"/g, '""');
      return (t.match(/[{[(]/g) ?? []).length - (t.match(/[}\])]/g) ?? []).length;
    };
    for (const f of files) {
      const lines = readFileSync(join(dir, f), "utf8").split("\n");
      let run: { n: number; lead: string }[] = [];
      const close = () => {
        const width = Math.max(...run.map((r) => r.lead.trimEnd().length));
        for (const r of run) if (r.lead.length !== width + 1) problems.push(`${f}:${r.n}: = not aligned`);
        run = [];
      };
      lines.forEach((l, i) => {
        if (l !== l.trimEnd()) problems.push(`${f}:${i + 1}: trailing space`);
        if (/^( {2})* ?\S/.test(l) && (l.length - l.trimStart().length) % 2 === 1) problems.push(`${f}:${i + 1}: odd indent`);
        const m = /^(\s*[\w"./*-]+\s*)=(?!=)(.*)$/.exec(l);
        if (m && !l.trimStart().startsWith("#") && net(m[2] ?? "") === 0) run.push({ n: i + 1, lead: m[1] ?? "" });
        else if (run.length) close();
      });
      if (run.length) close();
    }
    expect(problems).toEqual([]);
  });
});

// bench/presign: presigned GET URLs per second — our signer (src/lib/sigv4.ts, as the S3
// adapter uses it), a plain aws4fetch AwsClient.sign per URL, and the AWS SDK v3 presigner —
// sequentially and 50 at a time, in one run. Prints a table and the ratios against the SDK.
//   npm run bench:presign [-- --seconds 2]

import { mkdirSync, writeFileSync } from "node:fs";
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { AwsClient } from "aws4fetch";
import { createS3 } from "../src/platform/s3.ts";

const seconds = Number(process.argv[process.argv.indexOf("--seconds") + 1]) || 2;
const creds = { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", region: "us-east-1" };
const bucket = "moviesnow-media";
const disposition = `attachment; filename="Episode 1.mkv"; filename*=UTF-8''%C3%89pisode%201.mkv`;
let n = 0;
const nextKey = () => `originals/0b6f3a4e-8d1c-4c57-9a43-5f0e7c1d2b3a/Episode ${n++}.mkv`;

const ours = createS3({
  AWS_BUCKET_NAME: bucket,
  AWS_REGION: creds.region,
  AWS_ACCESS_KEY_ID: creds.accessKeyId,
  AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
});
const aws = new AwsClient({ ...creds, service: "s3" });
const sdk = new S3Client({ region: creds.region, credentials: { accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey } });

const signers: Record<string, () => Promise<string>> = {
  "moviesnow signer": () => ours.presignGet(nextKey(), { expiresIn: 300, responseContentDisposition: disposition }),
  "aws4fetch sign()": async () => {
    const u = new URL(`https://${bucket}.s3.${creds.region}.amazonaws.com/${encodeURIComponent(nextKey()).replace(/%2F/g, "/")}`);
    u.searchParams.set("X-Amz-Expires", "300");
    u.searchParams.set("response-content-disposition", disposition);
    return (await aws.sign(u.toString(), { aws: { signQuery: true } })).url;
  },
  "AWS SDK v3 presigner": () =>
    getSignedUrl(sdk, new GetObjectCommand({ Bucket: bucket, Key: nextKey(), ResponseContentDisposition: disposition }), {
      expiresIn: 300,
    }),
};

async function measure(sign: () => Promise<string>, concurrency: number): Promise<number> {
  for (let i = 0; i < 200; i++) await sign(); // warm up
  const end = performance.now() + seconds * 1000;
  let done = 0;
  const t0 = performance.now();
  while (performance.now() < end) {
    if (concurrency === 1) {
      await sign();
      done += 1;
    } else {
      await Promise.all(Array.from({ length: concurrency }, sign));
      done += concurrency;
    }
  }
  return done / ((performance.now() - t0) / 1000);
}

const results: Record<string, Record<string, number>> = {};
for (const [name, sign] of Object.entries(signers)) {
  results[name] = { sequential: await measure(sign, 1), "50 at a time": await measure(sign, 50) };
}
const sdkRow = results["AWS SDK v3 presigner"] as Record<string, number>;
console.log(`presigned GET URLs per second (node ${process.version}, ${seconds}s per cell)`);
console.log(
  `${"signer".padEnd(24)}${"sequential".padStart(14)}${"50 at a time".padStart(16)}${"× SDK seq".padStart(12)}${"× SDK 50".padStart(12)}`,
);
for (const [name, r] of Object.entries(results)) {
  const seq = r.sequential ?? 0;
  const par = r["50 at a time"] ?? 0;
  console.log(
    `${name.padEnd(24)}${seq.toFixed(0).padStart(14)}${par.toFixed(0).padStart(16)}${(seq / (sdkRow.sequential ?? 1)).toFixed(2).padStart(12)}${(par / (sdkRow["50 at a time"] ?? 1)).toFixed(2).padStart(12)}`,
  );
}
const out = new URL("../.local/bench/", import.meta.url);
mkdirSync(out, { recursive: true });
writeFileSync(new URL("presign.json", out), `${JSON.stringify({ at: new Date().toISOString(), seconds, results }, null, 2)}\n`);

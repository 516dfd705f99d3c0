// npm run iam:policies -- --bucket NAME: the IAM policy documents of the Worker's and the bundle
// job's users, rendered from the same templates Terraform applies (terraform/policies/*.json.tftpl),
// printed as {"worker": …, "job": …}. The tests put these documents through an IAM simulator.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";

export const PRINCIPALS = ["worker", "job"] as const;
export type Principal = (typeof PRINCIPALS)[number];

export interface PolicyDocument {
  Version: string;
  Statement: { Sid: string; Effect: "Allow" | "Deny"; Action: string | string[]; Resource: string | string[] }[];
}

const dir = resolve(import.meta.dirname, "../terraform/policies");
// The rule variables.tf applies to bucket_name, so a name Terraform refuses is refused here too.
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * The templates use Terraform's `${bucket}` interpolation and nothing else: a directive or another
 * variable would render differently here than in Terraform, so it is an error.
 */
export function renderPolicy(template: string, bucket: string): PolicyDocument {
  if (!BUCKET.test(bucket) || bucket.includes("..")) throw new Error(`not an S3 bucket name: ${JSON.stringify(bucket)}`);
  // biome-ignore lint/suspicious/noTemplateCurlyInString: Terraform's interpolation, not ours.
  const rendered = template.replaceAll("${bucket}", bucket);
  const left = rendered.match(/[$%]\{[^}]*\}/);
  if (left) throw new Error(`policy template uses ${left[0]}, which only Terraform would render`);
  return JSON.parse(rendered) as PolicyDocument;
}

export function iamPolicies(bucket: string): Record<Principal, PolicyDocument> {
  const read = (who: Principal) => renderPolicy(readFileSync(resolve(dir, `${who}.json.tftpl`), "utf8"), bucket);
  return { worker: read("worker"), job: read("job") };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { bucket: { type: "string" }, help: { type: "boolean", short: "h" } } });
  if (values.help || !values.bucket) {
    console.error("usage: npm run iam:policies -- --bucket NAME");
    process.exit(values.help ? 0 : 2);
  }
  try {
    console.log(JSON.stringify(iamPolicies(values.bucket), null, 2));
  } catch (e) {
    console.error(`iam:policies: ${(e as Error).message}`);
    process.exit(2);
  }
}

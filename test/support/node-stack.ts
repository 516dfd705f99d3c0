// For Node tests: an S3 client on the local stack.
import { s3Env } from "../../scripts/stack/config.ts";
import { createS3 } from "../../src/platform/s3.ts";

export const stackS3 = () => createS3(s3Env);

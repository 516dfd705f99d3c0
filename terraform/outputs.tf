# What the Worker needs from here, by the Worker's own names (README.md beside this file): the
# `worker_vars` go in wrangler.toml [env.production.vars] (or `wrangler deploy --var`), the
# `worker_secrets` through `wrangler secret put`; `npm run deploy` does both from these two maps.
# CLOUDFRONT_PRIVATE_KEY is not among them: the operator makes the key pair (README.md) and only
# the public half comes here, so the private key is never in Terraform state.

output "worker_vars" {
  description = "Worker vars by name: the media bucket, its region (the SigV4 signing region), the SSE asked of S3 on uploads, and the CloudFront domain, public key id and signature hash for delivery URLs."
  value = {
    AWS_BUCKET_NAME = aws_s3_bucket.media.bucket
    AWS_REGION      = var.aws_region
    S3_SSE          = "AES256"
    # The first custom alias, else the cloudfront.net name.
    CLOUDFRONT_DOMAIN         = length(var.custom_domain_aliases) > 0 ? var.custom_domain_aliases[0] : aws_cloudfront_distribution.media.domain_name
    CLOUDFRONT_KEY_PAIR_ID    = aws_cloudfront_public_key.signer[var.cloudfront_signing_key].id
    CLOUDFRONT_SIGNATURE_HASH = var.signature_hash
    # The same list CloudFront and the bucket answer CORS for.
    CORS_ALLOWED_ORIGINS = join(" ", var.player_origins)
  }
}

output "worker_secrets" {
  description = "Worker secrets by name: the Worker's access key, and the one it hands to the bundle job container (reads sources, writes bundles/)."
  sensitive   = true
  value = {
    AWS_ACCESS_KEY_ID         = aws_iam_access_key.worker.id
    AWS_SECRET_ACCESS_KEY     = aws_iam_access_key.worker.secret
    JOB_AWS_ACCESS_KEY_ID     = aws_iam_access_key.job.id
    JOB_AWS_SECRET_ACCESS_KEY = aws_iam_access_key.job.secret
  }
}

output "cloudfront_distribution_id" {
  description = "For invalidations and dashboards."
  value       = aws_cloudfront_distribution.media.id
}

output "distribution_domain_name" {
  description = "The distribution's own name (dxxxx.cloudfront.net): the target of the media CNAME (custom_domain_aliases) in your DNS."
  value       = aws_cloudfront_distribution.media.domain_name
}

output "bucket_arn" {
  description = "The media bucket's ARN, for policies and dashboards outside this module."
  value       = aws_s3_bucket.media.arn
}

# Each output is named after the Worker configuration it feeds (README.md beside this file):
# vars go in wrangler.toml [env.production.vars], secrets through `wrangler secret put`.
# CLOUDFRONT_PRIVATE_KEY is not among them: the operator makes the key pair (README.md) and only
# the public half comes here, so the private key is never in Terraform state.

output "AWS_BUCKET_NAME" {
  description = "wrangler.toml var: the media bucket."
  value       = aws_s3_bucket.media.bucket
}

output "AWS_REGION" {
  description = "wrangler.toml var: the bucket's region (the SigV4 signing region)."
  value       = var.aws_region
}

output "AWS_ACCESS_KEY_ID" {
  description = "Worker secret: the Worker's access key id."
  value       = aws_iam_access_key.worker.id
}

output "AWS_SECRET_ACCESS_KEY" {
  description = "Worker secret: the Worker's secret access key."
  value       = aws_iam_access_key.worker.secret
  sensitive   = true
}

output "JOB_AWS_ACCESS_KEY_ID" {
  description = "Worker secret: the access key id the bundle job container gets (read sources, write bundles/)."
  value       = aws_iam_access_key.job.id
}

output "JOB_AWS_SECRET_ACCESS_KEY" {
  description = "Worker secret: the bundle job container's secret access key."
  value       = aws_iam_access_key.job.secret
  sensitive   = true
}

output "S3_SSE" {
  description = "wrangler.toml var: server-side encryption asked of S3 on uploads (SSE-S3)."
  value       = "AES256"
}

output "CLOUDFRONT_DOMAIN" {
  description = "wrangler.toml var: the domain delivery URLs use (the first custom alias, else the cloudfront.net name)."
  value       = length(var.custom_domain_aliases) > 0 ? var.custom_domain_aliases[0] : aws_cloudfront_distribution.media.domain_name
}

output "CLOUDFRONT_KEY_PAIR_ID" {
  description = "wrangler.toml var: the id of the public key that verifies signed URLs."
  value       = aws_cloudfront_public_key.signer.id
}

output "CLOUDFRONT_SIGNATURE_HASH" {
  description = "wrangler.toml var: the hash the Worker signs CloudFront URLs with."
  value       = var.signature_hash
}

output "cloudfront_distribution_id" {
  description = "For invalidations and dashboards."
  value       = aws_cloudfront_distribution.media.id
}

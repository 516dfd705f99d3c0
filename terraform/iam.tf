# Least-privilege credentials. Cloudflare Workers and Containers run outside AWS, so each gets an
# IAM user with an access key, limited to exactly the prefixes and actions it uses:
# - the Worker presigns uploads and downloads, HEADs, hashes small objects, copies, deletes, runs
#   multipart uploads and clears a lost bundle job's upload (ListBucketMultipartUploads);
# - the job service reads sources and writes bundles/ with a multipart upload. No deletes.

# The two policy documents are JSON templates in policies/, rendered here and by
# `npm run iam:policies -- --bucket NAME` alike, so the documents the tests put through an IAM
# simulator are the ones applied. Both principals hold s3:ListBucket on the bucket without an
# s3:prefix condition: HeadBucket (/ready) is s3:ListBucket, and S3 answers 404 for a missing object
# only to a caller allowed to list; without it "file missing" reads as 403 "S3 failed". A listing
# names keys (ids and file names), never object data.

locals {
  iam_policies = {
    for who in ["worker", "job"] :
    who => jsonencode(jsondecode(templatefile("${path.module}/policies/${who}.json.tftpl", { bucket = var.bucket_name })))
  }
}

resource "aws_iam_user" "worker" {
  name = "moviesnow-${var.environment}-worker"
  path = "/moviesnow/"
}

resource "aws_iam_user_policy" "worker" {
  name   = "media-bucket"
  user   = aws_iam_user.worker.name
  policy = local.iam_policies.worker
}

resource "aws_iam_access_key" "worker" {
  user = aws_iam_user.worker.name
}

resource "aws_iam_user" "job" {
  name = "moviesnow-${var.environment}-bundle-job"
  path = "/moviesnow/"
}

resource "aws_iam_user_policy" "job" {
  name   = "media-bucket"
  user   = aws_iam_user.job.name
  policy = local.iam_policies.job
}

resource "aws_iam_access_key" "job" {
  user = aws_iam_user.job.name
}

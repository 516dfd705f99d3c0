# Least-privilege credentials. Cloudflare Workers and Containers run outside AWS, so each gets an
# IAM user with an access key, limited to exactly the prefixes and actions it uses:
# - the Worker presigns uploads and downloads, HEADs, hashes small objects, copies, deletes, runs
#   multipart uploads and clears a lost bundle job's upload (ListBucketMultipartUploads);
# - the job service reads sources and writes bundles/ with a multipart upload. No deletes.

locals {
  prefix_arns = { for p in local.media_prefixes : p => "${aws_s3_bucket.media.arn}/${p}*" }
}

data "aws_iam_policy_document" "worker" {
  statement {
    sid = "ObjectsByPrefix"
    actions = [
      "s3:GetObject",
      "s3:PutObject",
      "s3:DeleteObject",
      "s3:AbortMultipartUpload",
      "s3:ListMultipartUploadParts",
    ]
    resources = values(local.prefix_arns)
  }

  statement {
    sid       = "ListByPrefix"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.media.arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = [for p in local.media_prefixes : "${p}*"]
    }
  }

  # Listing open uploads takes no s3:prefix condition; it shows upload ids, not object data.
  statement {
    sid       = "ListOpenUploads"
    actions   = ["s3:ListBucketMultipartUploads"]
    resources = [aws_s3_bucket.media.arn]
  }
}

data "aws_iam_policy_document" "job" {
  statement {
    sid       = "ReadSources"
    actions   = ["s3:GetObject"]
    resources = values(local.prefix_arns)
  }

  statement {
    sid = "WriteBundles"
    actions = [
      "s3:PutObject",
      "s3:AbortMultipartUpload",
      "s3:ListMultipartUploadParts",
    ]
    resources = [local.prefix_arns["bundles/"]]
  }
}

resource "aws_iam_user" "worker" {
  name = "moviesnow-${var.environment}-worker"
  path = "/moviesnow/"
}

resource "aws_iam_user_policy" "worker" {
  name   = "media-bucket"
  user   = aws_iam_user.worker.name
  policy = data.aws_iam_policy_document.worker.json
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
  policy = data.aws_iam_policy_document.job.json
}

resource "aws_iam_access_key" "job" {
  user = aws_iam_user.job.name
}

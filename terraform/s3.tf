# The private media bucket: no public access path at all, SSE-S3 by default, lifecycle for
# tiering, short-lived bundles and abandoned uploads, and CORS for presigned browser uploads.

locals {
  # Every prefix the service writes (src/lib/storage-keys.ts).
  media_prefixes = ["originals/", "downloads/", "hls/", "bundles/", "artwork/", "subs/"]
}

resource "aws_s3_bucket" "media" {
  bucket = var.bucket_name
}

resource "aws_s3_bucket_public_access_block" "media" {
  bucket = aws_s3_bucket.media.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "media" {
  bucket = aws_s3_bucket.media.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "media" {
  bucket = aws_s3_bucket.media.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

# Versioning: the Worker's key can overwrite and delete, so a mistake or a leaked key is undone
# from the previous version; those are kept noncurrent_version_days, then expire.
resource "aws_s3_bucket_versioning" "media" {
  bucket = aws_s3_bucket.media.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "media" {
  bucket = aws_s3_bucket.media.id
  # Lifecycle rules on noncurrent versions need versioning on first.
  depends_on = [aws_s3_bucket_versioning.media]

  rule {
    id     = "expire-noncurrent-versions"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_days
    }

    expiration {
      expired_object_delete_marker = true
    }
  }

  rule {
    id     = "intelligent-tiering"
    status = "Enabled"

    filter {}

    transition {
      days          = var.intelligent_tiering_days
      storage_class = "INTELLIGENT_TIERING"
    }
  }

  rule {
    id     = "expire-bundles"
    status = "Enabled"

    filter {
      prefix = "bundles/"
    }

    expiration {
      days = var.bundle_expiration_days
    }
  }

  rule {
    id     = "abort-incomplete-multipart-uploads"
    status = "Enabled"

    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = var.abort_incomplete_multipart_days
    }
  }
}

resource "aws_s3_bucket_cors_configuration" "media" {
  bucket = aws_s3_bucket.media.id

  cors_rule {
    allowed_methods = ["PUT", "GET", "HEAD"]
    allowed_origins = var.cors_allowed_origins
    allowed_headers = ["content-type", "content-length", "content-md5", "x-amz-server-side-encryption", "x-amz-date", "x-amz-content-sha256", "authorization"]
    # Multipart uploads need each part's ETag.
    expose_headers  = ["ETag"]
    max_age_seconds = 3600
  }

  # Web players reading presigned URLs straight from S3 (no CloudFront in front).
  dynamic "cors_rule" {
    for_each = length(var.player_origins) > 0 ? [1] : []

    content {
      allowed_methods = ["GET", "HEAD"]
      allowed_origins = var.player_origins
      allowed_headers = ["range"]
      expose_headers  = ["Content-Length", "Content-Range", "Accept-Ranges", "ETag"]
      max_age_seconds = 7200
    }
  }
}

# Only the CloudFront distribution may read, and only over TLS; writes go through the IAM users.
data "aws_iam_policy_document" "bucket" {
  statement {
    sid       = "CloudFrontReadsMedia"
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = [for p in local.media_prefixes : "${aws_s3_bucket.media.arn}/${p}*"]

    principals {
      type        = "Service"
      identifiers = ["cloudfront.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "AWS:SourceArn"
      values   = [aws_cloudfront_distribution.media.arn]
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.media.arn, "${aws_s3_bucket.media.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "media" {
  bucket = aws_s3_bucket.media.id
  policy = data.aws_iam_policy_document.bucket.json

  # The public access block must be in place first, or the policy could briefly be public.
  depends_on = [aws_s3_bucket_public_access_block.media]
}

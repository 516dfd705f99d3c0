# Plan-level checks of the media bucket against a mocked AWS provider (`terraform test`).

mock_provider "aws" {
  # The provider checks that policies are JSON; a mocked document is an empty policy.
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }
}

variables {
  bucket_name               = "moviesnow-media-test"
  cors_allowed_origins      = ["https://admin.moviesnow.test"]
  cloudfront_public_key_pem = "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END PUBLIC KEY-----\n"
  custom_domain_aliases     = ["media.moviesnow.test"]
  acm_certificate_arn       = "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"
  bundle_expiration_days    = 14
}

run "no_public_access_path" {
  command = apply

  assert {
    condition = alltrue([
      aws_s3_bucket_public_access_block.media.block_public_acls,
      aws_s3_bucket_public_access_block.media.block_public_policy,
      aws_s3_bucket_public_access_block.media.ignore_public_acls,
      aws_s3_bucket_public_access_block.media.restrict_public_buckets,
    ])
    error_message = "All four public access blocks must be on."
  }

  assert {
    condition     = aws_s3_bucket_public_access_block.media.bucket == aws_s3_bucket.media.id
    error_message = "The public access block must be the media bucket's."
  }

  assert {
    condition     = one(aws_s3_bucket_ownership_controls.media.rule).object_ownership == "BucketOwnerEnforced"
    error_message = "Objects are owned by the bucket owner (ACLs disabled)."
  }

  assert {
    condition     = one(one(aws_s3_bucket_server_side_encryption_configuration.media.rule).apply_server_side_encryption_by_default).sse_algorithm == "AES256"
    error_message = "Objects are encrypted at rest (SSE-S3) by default."
  }
}

run "bucket_policy_is_tls_only_and_reads_only_through_cloudfront" {
  command = apply

  assert {
    condition     = aws_s3_bucket_policy.media.policy == data.aws_iam_policy_document.bucket.json
    error_message = "The bucket policy is the document below."
  }

  assert {
    condition = anytrue([for s in data.aws_iam_policy_document.bucket.statement :
      s.effect == "Deny" && s.actions == toset(["s3:*"])
      && s.resources == toset([aws_s3_bucket.media.arn, "${aws_s3_bucket.media.arn}/*"])
      && anytrue([for c in s.condition : c.test == "Bool" && c.variable == "aws:SecureTransport" && c.values == tolist(["false"])])
    ])
    error_message = "Every request over plain HTTP, to the bucket or any object, must be denied."
  }

  assert {
    condition = alltrue([for s in data.aws_iam_policy_document.bucket.statement :
      s.effect == "Deny" || (
        s.actions == toset(["s3:GetObject"])
        && anytrue([for p in s.principals : p.type == "Service" && p.identifiers == toset(["cloudfront.amazonaws.com"])])
        && anytrue([for c in s.condition : c.test == "StringEquals" && c.variable == "AWS:SourceArn" && c.values == tolist([aws_cloudfront_distribution.media.arn])])
      )
    ])
    error_message = "The only Allow is GetObject for this CloudFront distribution (service principal + AWS:SourceArn)."
  }
}

run "bundles_expire_and_abandoned_uploads_are_cleaned" {
  command = apply

  assert {
    condition = anytrue([for r in aws_s3_bucket_lifecycle_configuration.media.rule :
      r.status == "Enabled" && try(one(r.filter).prefix == "bundles/" && one(r.expiration).days == 14, false)
    ])
    error_message = "Season bundles expire after bundle_expiration_days."
  }

  assert {
    condition     = anytrue([for r in aws_s3_bucket_lifecycle_configuration.media.rule : r.status == "Enabled" && length(r.abort_incomplete_multipart_upload) == 1])
    error_message = "Unfinished multipart uploads are aborted."
  }
}

# The two IAM users get exactly the actions the code uses, on the media prefixes only
# (`terraform test`, mocked AWS provider).

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
}

run "the_worker_gets_object_actions_on_the_media_prefixes_only" {
  command = apply

  assert {
    condition     = aws_iam_user_policy.worker.policy == data.aws_iam_policy_document.worker.json && aws_iam_user_policy.worker.user == aws_iam_user.worker.name
    error_message = "The Worker's user carries the worker document."
  }

  assert {
    condition = toset(flatten([for s in data.aws_iam_policy_document.worker.statement : tolist(s.actions)])) == toset([
      "s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts",
      "s3:ListBucket", "s3:ListBucketMultipartUploads",
    ])
    error_message = "The Worker's actions are exactly those it calls."
  }

  assert {
    condition = alltrue([for s in data.aws_iam_policy_document.worker.statement :
      alltrue([for r in s.resources :
        r == aws_s3_bucket.media.arn || anytrue([for p in ["originals/", "downloads/", "hls/", "bundles/", "artwork/", "subs/"] : r == "${aws_s3_bucket.media.arn}/${p}*"])
      ])
    ])
    error_message = "Object actions reach only the media prefixes, never the whole bucket."
  }

  assert {
    condition = anytrue([for s in data.aws_iam_policy_document.worker.statement :
      s.actions == toset(["s3:ListBucket"]) && anytrue([for c in s.condition : c.variable == "s3:prefix" && c.test == "StringLike"])
    ])
    error_message = "Listing is limited by s3:prefix."
  }

  assert {
    condition     = alltrue([for s in data.aws_iam_policy_document.worker.statement : alltrue([for a in s.actions : !strcontains(a, "*")])])
    error_message = "No wildcard actions."
  }
}

run "the_job_reads_sources_and_writes_only_bundles" {
  command = apply

  assert {
    condition     = aws_iam_user_policy.job.policy == data.aws_iam_policy_document.job.json && aws_iam_user_policy.job.user == aws_iam_user.job.name
    error_message = "The job's user carries the job document."
  }

  assert {
    condition = alltrue([for s in data.aws_iam_policy_document.job.statement :
      !anytrue([for a in s.actions : strcontains(a, "Delete") || strcontains(a, "*")])
    ])
    error_message = "The job deletes nothing and has no wildcard actions."
  }

  assert {
    condition = alltrue([for s in data.aws_iam_policy_document.job.statement :
      !contains(tolist(s.actions), "s3:PutObject") || s.resources == toset(["${aws_s3_bucket.media.arn}/bundles/*"])
    ])
    error_message = "The job writes under bundles/ only."
  }
}

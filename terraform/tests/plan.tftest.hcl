# Plan-level checks of terraform/ against a mocked AWS provider: nothing is created and no
# credentials are needed (`terraform test`, run by .ci/run where a terraform binary exists).

mock_provider "aws" {
  # The provider checks that policies are JSON; a mocked document is an empty policy.
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }
}

variables {
  bucket_name            = "moviesnow-media-test"
  cors_allowed_origins   = ["https://admin.moviesnow.test"]
  cloudfront_public_keys = { "2026-12" = "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END PUBLIC KEY-----\n" }
  cloudfront_signing_key = "2026-12"
  custom_domain_aliases  = ["media.moviesnow.test"]
  acm_certificate_arn    = "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"
  bundle_expiration_days = 14
}

# --- The media bucket --------------------------------------------------------------------------

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

# --- CloudFront ---------------------------------------------------------------------------------

run "origin_access_control_signs_every_request" {
  command = apply

  assert {
    condition     = aws_cloudfront_origin_access_control.media.signing_behavior == "always" && aws_cloudfront_origin_access_control.media.signing_protocol == "sigv4" && aws_cloudfront_origin_access_control.media.origin_access_control_origin_type == "s3"
    error_message = "CloudFront must read the bucket through OAC, signing every request with SigV4."
  }

  assert {
    condition     = one(aws_cloudfront_distribution.media.origin).origin_access_control_id == aws_cloudfront_origin_access_control.media.id
    error_message = "The distribution's only origin must use the OAC."
  }
}

run "every_behaviour_trusts_only_the_key_group_over_https" {
  command = apply

  assert {
    condition     = one(aws_cloudfront_distribution.media.default_cache_behavior).trusted_key_groups == tolist([aws_cloudfront_key_group.signers.id])
    error_message = "The default behaviour must require URLs signed by the key group."
  }

  assert {
    condition     = length(aws_cloudfront_distribution.media.ordered_cache_behavior) == 6
    error_message = "One behaviour per media prefix (hls, downloads, originals, bundles, artwork, subs)."
  }

  assert {
    condition     = alltrue([for b in aws_cloudfront_distribution.media.ordered_cache_behavior : b.trusted_key_groups == tolist([aws_cloudfront_key_group.signers.id])])
    error_message = "Every media behaviour must require URLs signed by the key group."
  }

  assert {
    condition     = alltrue(concat([for b in aws_cloudfront_distribution.media.ordered_cache_behavior : b.viewer_protocol_policy == "https-only"], [one(aws_cloudfront_distribution.media.default_cache_behavior).viewer_protocol_policy == "https-only"]))
    error_message = "Every behaviour must be HTTPS only."
  }

  assert {
    condition     = alltrue([for b in aws_cloudfront_distribution.media.ordered_cache_behavior : length(coalesce(b.trusted_signers, [])) == 0])
    error_message = "No legacy (account) trusted signers: the key group is the only signer."
  }
}

run "viewers_need_tls_1_2_or_newer" {
  command = apply

  assert {
    condition     = one(aws_cloudfront_distribution.media.viewer_certificate).minimum_protocol_version == "TLSv1.2_2021"
    error_message = "The minimum viewer protocol must be TLSv1.2_2021."
  }

  assert {
    condition     = one(aws_cloudfront_distribution.media.viewer_certificate).ssl_support_method == "sni-only"
    error_message = "The custom certificate is served with SNI."
  }
}

run "the_default_certificate_needs_an_explicit_opt_in" {
  command = plan

  variables {
    custom_domain_aliases = []
    acm_certificate_arn   = null
  }

  expect_failures = [aws_cloudfront_distribution.media]
}

run "url_signatures_default_to_sha256" {
  command = apply

  assert {
    condition     = output.worker_vars.CLOUDFRONT_SIGNATURE_HASH == "SHA256"
    error_message = "The Worker signs CloudFront URLs with SHA256 unless told otherwise."
  }

  assert {
    condition     = aws_cloudfront_key_group.signers.items == toset([aws_cloudfront_public_key.signer["2026-12"].id])
    error_message = "The key group holds exactly the Worker's public key."
  }
}

# --- Rotation, versioning, CORS for players -----------------------------------------------------

run "a_new_signing_key_is_trusted_beside_the_old_one" {
  command = apply

  variables {
    cloudfront_public_keys = {
      "2026-12" = "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END PUBLIC KEY-----\n"
      "2027-06" = "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEB\n-----END PUBLIC KEY-----\n"
    }
    cloudfront_signing_key = "2027-06"
  }

  assert {
    condition     = length(aws_cloudfront_key_group.signers.items) == 2 && contains(tolist(aws_cloudfront_key_group.signers.items), aws_cloudfront_public_key.signer["2026-12"].id)
    error_message = "During a rotation the key group trusts the old key and the new one."
  }

  assert {
    condition     = output.worker_vars.CLOUDFRONT_KEY_PAIR_ID == aws_cloudfront_public_key.signer["2027-06"].id
    error_message = "The Worker signs with cloudfront_signing_key's key."
  }
}

run "the_signing_key_must_be_one_of_the_public_keys" {
  command = plan

  variables {
    cloudfront_signing_key = "2030-01"
  }

  expect_failures = [aws_cloudfront_key_group.signers]
}

run "versions_are_kept_then_expire" {
  command = apply

  assert {
    condition     = one(aws_s3_bucket_versioning.media.versioning_configuration).status == "Enabled"
    error_message = "The bucket keeps versions: the Worker's key can overwrite and delete."
  }

  assert {
    condition = anytrue([for r in aws_s3_bucket_lifecycle_configuration.media.rule :
      r.status == "Enabled" && try(one(r.noncurrent_version_expiration).noncurrent_days, 0) == 30
    ])
    error_message = "Noncurrent versions expire after noncurrent_version_days."
  }
}

run "players_get_cors_for_their_origins_only_on_hls_and_subtitles" {
  command = apply

  variables {
    player_origins = ["https://www.moviesnow.test", "https://player.moviesnow.test"]
  }

  assert {
    condition     = one(aws_cloudfront_response_headers_policy.media["player"].cors_config).access_control_allow_origins[0].items == toset(["https://www.moviesnow.test", "https://player.moviesnow.test"])
    error_message = "CloudFront answers CORS for exactly player_origins."
  }

  assert {
    condition     = one(aws_cloudfront_response_headers_policy.media["player"].cors_config).access_control_allow_credentials == false
    error_message = "No credentials cross-origin."
  }

  assert {
    condition = alltrue([for b in aws_cloudfront_distribution.media.ordered_cache_behavior :
      b.response_headers_policy_id == aws_cloudfront_response_headers_policy.media[contains(["hls/*", "subs/*"], b.path_pattern) ? "player" : "download"].id
    ])
    error_message = "The players' CORS policy is on the HLS and subtitle behaviours, and only there."
  }

  assert {
    condition     = anytrue([for r in aws_s3_bucket_cors_configuration.media.cors_rule : r.allowed_origins == toset(["https://www.moviesnow.test", "https://player.moviesnow.test"]) && !contains(tolist(r.allowed_methods), "PUT")])
    error_message = "The bucket lets the players read (presigned URLs without CloudFront), never write."
  }

  assert {
    condition     = output.worker_vars.CORS_ALLOWED_ORIGINS == "https://www.moviesnow.test https://player.moviesnow.test"
    error_message = "The Worker answers CORS for the same list."
  }
}

run "without_player_origins_nothing_is_answered_cross_origin" {
  command = apply

  assert {
    condition     = alltrue([for p in aws_cloudfront_response_headers_policy.media : length(p.cors_config) == 0]) && output.worker_vars.CORS_ALLOWED_ORIGINS == ""
    error_message = "No player origin: no CORS policy, and the Worker allows none."
  }
}

run "playback_forwards_no_query_and_every_answer_is_nosniff" {
  command = apply

  assert {
    condition = alltrue([for b in aws_cloudfront_distribution.media.ordered_cache_behavior :
      b.path_pattern != "hls/*" || b.cache_policy_id == aws_cloudfront_cache_policy.media["playback"].id
    ])
    error_message = "HLS is served with the playback cache policy."
  }

  assert {
    condition     = one(one(one(aws_cloudfront_cache_policy.media["playback"].parameters_in_cache_key_and_forwarded_to_origin).query_strings_config).query_strings).items == toset(["v"])
    error_message = "A folder-wide signature holds for any query: on hls/* only the version reaches the cache key and S3, never response-content-type or -disposition."
  }

  assert {
    condition = alltrue([for k in ["immutable", "short"] :
      contains(one(one(one(aws_cloudfront_cache_policy.media[k].parameters_in_cache_key_and_forwarded_to_origin).query_strings_config).query_strings).items, "v")
    ])
    error_message = "Every URL's version is in the cache key: a replaced file or a rebuilt season is a new URL at the edge."
  }

  assert {
    condition     = alltrue([for p in aws_cloudfront_response_headers_policy.media : one(one(p.security_headers_config).content_type_options).override])
    error_message = "Every response headers policy sends X-Content-Type-Options: nosniff."
  }

  assert {
    condition     = one(aws_cloudfront_distribution.media.default_cache_behavior).response_headers_policy_id == aws_cloudfront_response_headers_policy.media["download"].id
    error_message = "The default behaviour sends nosniff too."
  }
}

run "player_origins_take_no_wildcard" {
  command = plan

  variables {
    player_origins = ["*"]
  }

  expect_failures = [var.player_origins]
}

# --- IAM: the Worker and the bundle job get exactly what the code uses --------------------------

run "each_service_user_carries_its_own_policy_document" {
  command = apply

  assert {
    condition = (
      aws_iam_user_policy.worker.user == aws_iam_user.worker.name && aws_iam_user_policy.worker.policy == local.iam_policies.worker &&
      aws_iam_user_policy.job.user == aws_iam_user.job.name && aws_iam_user_policy.job.policy == local.iam_policies.job
    )
    error_message = "The Worker's user carries the worker document and the job's user the job document (policies/*.json.tftpl)."
  }
}

run "the_worker_gets_object_actions_on_the_media_prefixes_only" {
  command = apply

  assert {
    condition = toset(flatten([for s in jsondecode(aws_iam_user_policy.worker.policy).Statement : s.Action])) == toset([
      "s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts",
      "s3:ListBucket", "s3:ListBucketMultipartUploads",
    ])
    error_message = "The Worker's actions are exactly those it calls."
  }

  assert {
    condition = alltrue([for s in jsondecode(aws_iam_user_policy.worker.policy).Statement :
      alltrue([for r in flatten([s.Resource]) :
        r == "arn:aws:s3:::${var.bucket_name}" || anytrue([for p in ["originals/", "downloads/", "hls/", "bundles/", "artwork/", "subs/"] : r == "arn:aws:s3:::${var.bucket_name}/${p}*"])
      ])
    ])
    error_message = "Object actions reach only the media prefixes, never the whole bucket."
  }

  assert {
    condition = anytrue([for s in jsondecode(aws_iam_user_policy.worker.policy).Statement :
      contains(flatten([s.Action]), "s3:ListBucket") && flatten([s.Resource]) == ["arn:aws:s3:::${var.bucket_name}"] && !can(s.Condition)
    ])
    error_message = "The Worker may list the bucket without a prefix condition: HeadBucket (/ready) is s3:ListBucket, and a missing object answers 404 only to a caller that may list."
  }

  assert {
    condition     = alltrue([for s in jsondecode(aws_iam_user_policy.worker.policy).Statement : alltrue([for a in flatten([s.Action]) : !strcontains(a, "*")])])
    error_message = "No wildcard actions."
  }
}

run "the_job_reads_sources_and_writes_only_bundles" {
  command = apply

  assert {
    condition = alltrue([for s in jsondecode(aws_iam_user_policy.job.policy).Statement :
      !anytrue([for a in flatten([s.Action]) : strcontains(a, "Delete") || strcontains(a, "*")])
    ])
    error_message = "The job deletes nothing and has no wildcard actions."
  }

  assert {
    condition = alltrue([for s in jsondecode(aws_iam_user_policy.job.policy).Statement :
      !contains(flatten([s.Action]), "s3:PutObject") || flatten([s.Resource]) == ["arn:aws:s3:::${var.bucket_name}/bundles/*"]
    ])
    error_message = "The job writes under bundles/ only."
  }
}

# Plan-level checks of the CloudFront distribution against a mocked AWS provider: nothing is
# created and no credentials are needed (`terraform test`, run by .ci/run).

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
    condition     = output.CLOUDFRONT_SIGNATURE_HASH == "SHA256"
    error_message = "The Worker signs CloudFront URLs with SHA256 unless told otherwise."
  }

  assert {
    condition     = aws_cloudfront_key_group.signers.items == toset([aws_cloudfront_public_key.signer.id])
    error_message = "The key group holds exactly the Worker's public key."
  }
}

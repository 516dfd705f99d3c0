# CloudFront in front of the private bucket: Origin Access Control (SigV4, always) so only the
# distribution reads S3, and a key group as the only trusted signer so every media URL must be
# a CloudFront signed URL made by the Worker (CLOUDFRONT_KEY_PAIR_ID + CLOUDFRONT_PRIVATE_KEY).

locals {
  origin_id = "media-s3"

  # Path pattern → cache policy. Segments and files never change under a key; bundles are
  # rebuilt at the same key, so they are kept briefly. Players read hls/ and subs/ cross-origin.
  # HLS URLs are signed with one wildcard policy per tier folder, which holds for any query string:
  # their behaviour forwards none, so response-content-type can't make a segment text/html.
  player_paths = ["hls/*", "subs/*"]
  behaviors = {
    "hls/*"       = "playback"
    "downloads/*" = "immutable"
    "originals/*" = "immutable"
    "bundles/*"   = "short"
    "artwork/*"   = "immutable"
    "subs/*"      = "immutable"
  }
}

# One public key per entry of cloudfront_public_keys, all trusted by the key group: to rotate, add
# the new key and apply, deploy the Worker with its private half (cloudfront_signing_key), then
# remove the old key once URLs signed with it have expired.
resource "aws_cloudfront_public_key" "signer" {
  for_each    = var.cloudfront_public_keys
  name        = "moviesnow-${var.environment}-signer-${each.key}"
  comment     = "Signs MoviesNow delivery URLs (a CLOUDFRONT_PRIVATE_KEY of the Worker)"
  encoded_key = each.value
}

resource "aws_cloudfront_key_group" "signers" {
  name    = "moviesnow-${var.environment}-signers"
  comment = "Trusted signers of MoviesNow media URLs"
  items   = [for k in sort(keys(var.cloudfront_public_keys)) : aws_cloudfront_public_key.signer[k].id]

  lifecycle {
    precondition {
      condition     = contains(keys(var.cloudfront_public_keys), var.cloudfront_signing_key)
      error_message = "cloudfront_signing_key must name one of cloudfront_public_keys."
    }
  }
}

# Every media answer says X-Content-Type-Options: nosniff, so a browser never guesses a media file
# into a page. Browsers on the player sites read playlists, segments and subtitles cross-origin:
# on those paths CloudFront also answers CORS for exactly player_origins (never *), whatever S3
# sent; with no origins there is no CORS configuration at all (CloudFront refuses an empty list).
resource "aws_cloudfront_response_headers_policy" "media" {
  for_each = toset(["player", "download"])
  name     = "moviesnow-${var.environment}-${each.key}"
  comment  = each.key == "player" ? "nosniff and CORS for MoviesNow's web players" : "nosniff for MoviesNow downloads"

  security_headers_config {
    content_type_options {
      override = true
    }
  }

  dynamic "cors_config" {
    for_each = each.key == "player" && length(var.player_origins) > 0 ? [var.player_origins] : []
    content {
      access_control_allow_credentials = false
      access_control_max_age_sec       = 7200
      origin_override                  = true

      access_control_allow_origins {
        items = cors_config.value
      }

      access_control_allow_methods {
        items = ["GET", "HEAD", "OPTIONS"]
      }

      access_control_allow_headers {
        items = ["range"]
      }

      access_control_expose_headers {
        items = ["Content-Length", "Content-Range", "Accept-Ranges", "ETag"]
      }
    }
  }
}

resource "aws_cloudfront_origin_access_control" "media" {
  name                              = "moviesnow-${var.environment}-media"
  description                       = "CloudFront reads the private media bucket with SigV4"
  origin_access_control_origin_type = "s3"
  signing_behavior                  = "always"
  signing_protocol                  = "sigv4"
}

# The Worker's download URLs carry response-content-disposition and response-content-type (each
# URL signed on its own, query included), so the file name and type reach S3 and are part of the
# cache key. Every URL carries v, the version of what it opens (an asset's or bundle's id): keys are
# made from filenames and cached for a day, so a file deleted and registered again, or a season
# rebuilt at the same key, is a new URL rather than the old cached bytes (S3 ignores v). Playback
# (hls/*) keys on v alone: see locals.
resource "aws_cloudfront_cache_policy" "media" {
  for_each = {
    immutable = { default_ttl = 86400, max_ttl = 31536000, query = ["response-content-disposition", "response-content-type", "v"] }
    short     = { default_ttl = 300, max_ttl = 3600, query = ["response-content-disposition", "response-content-type", "v"] }
    playback  = { default_ttl = 86400, max_ttl = 31536000, query = ["v"] }
  }

  name        = "moviesnow-${var.environment}-${each.key}"
  comment     = "MoviesNow media (${each.key})"
  min_ttl     = 0
  default_ttl = each.value.default_ttl
  max_ttl     = each.value.max_ttl

  parameters_in_cache_key_and_forwarded_to_origin {
    enable_accept_encoding_brotli = false
    enable_accept_encoding_gzip   = false

    cookies_config {
      cookie_behavior = "none"
    }

    headers_config {
      header_behavior = "none"
    }

    query_strings_config {
      query_string_behavior = "whitelist"

      query_strings {
        items = each.value.query
      }
    }
  }
}

resource "aws_cloudfront_distribution" "media" {
  enabled         = true
  is_ipv6_enabled = true
  http_version    = "http2and3"
  comment         = "MoviesNow media (${var.environment})"
  price_class     = var.price_class
  aliases         = var.custom_domain_aliases

  origin {
    origin_id                = local.origin_id
    domain_name              = aws_s3_bucket.media.bucket_regional_domain_name
    origin_access_control_id = aws_cloudfront_origin_access_control.media.id
  }

  # Anything outside the media prefixes still needs a signed URL.
  default_cache_behavior {
    target_origin_id           = local.origin_id
    viewer_protocol_policy     = "https-only"
    allowed_methods            = ["GET", "HEAD"]
    cached_methods             = ["GET", "HEAD"]
    compress                   = false
    cache_policy_id            = aws_cloudfront_cache_policy.media["short"].id
    trusted_key_groups         = [aws_cloudfront_key_group.signers.id]
    response_headers_policy_id = aws_cloudfront_response_headers_policy.media["download"].id
  }

  dynamic "ordered_cache_behavior" {
    for_each = local.behaviors

    content {
      path_pattern               = ordered_cache_behavior.key
      target_origin_id           = local.origin_id
      viewer_protocol_policy     = "https-only"
      allowed_methods            = ["GET", "HEAD", "OPTIONS"]
      cached_methods             = ["GET", "HEAD"]
      compress                   = false
      cache_policy_id            = aws_cloudfront_cache_policy.media[ordered_cache_behavior.value].id
      trusted_key_groups         = [aws_cloudfront_key_group.signers.id]
      response_headers_policy_id = aws_cloudfront_response_headers_policy.media[contains(local.player_paths, ordered_cache_behavior.key) ? "player" : "download"].id
    }
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  # TLS 1.2 or newer needs a certificate of our own: on its default *.cloudfront.net certificate
  # CloudFront always accepts TLS 1.0, whatever is asked, so that takes an explicit opt-in.
  viewer_certificate {
    cloudfront_default_certificate = var.acm_certificate_arn == null
    acm_certificate_arn            = var.acm_certificate_arn
    ssl_support_method             = var.acm_certificate_arn == null ? null : "sni-only"
    minimum_protocol_version       = var.acm_certificate_arn == null ? "TLSv1" : "TLSv1.2_2021"
  }

  lifecycle {
    precondition {
      condition     = length(var.custom_domain_aliases) == 0 || var.acm_certificate_arn != null
      error_message = "custom_domain_aliases need acm_certificate_arn (a certificate in us-east-1 covering them)."
    }
    precondition {
      condition     = var.acm_certificate_arn != null || var.allow_default_certificate
      error_message = "Give acm_certificate_arn (and custom_domain_aliases) so viewers need TLS 1.2+, or set allow_default_certificate = true to accept CloudFront's default certificate, which also accepts TLS 1.0."
    }
  }
}

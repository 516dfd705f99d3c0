variable "aws_region" {
  description = "Region of the media bucket. The Worker signs S3 requests for this region (AWS_REGION)."
  type        = string
  default     = "us-east-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.aws_region))
    error_message = "aws_region must be an AWS region name such as us-east-1."
  }
}

variable "environment" {
  description = "Deployment name, used in resource names and tags (e.g. production, staging)."
  type        = string
  default     = "production"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.environment))
    error_message = "environment must be 2-21 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "bucket_name" {
  description = "Name of the private media bucket (AWS_BUCKET_NAME). Globally unique."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name)) && !can(regex("\\.\\.", var.bucket_name))
    error_message = "bucket_name must be a valid S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens."
  }
}

variable "bundle_expiration_days" {
  description = "Days after which season bundles (bundles/) are deleted by the bucket lifecycle; the API rebuilds them on demand."
  type        = number
  default     = 7

  validation {
    condition     = var.bundle_expiration_days >= 7 && var.bundle_expiration_days <= 30 && floor(var.bundle_expiration_days) == var.bundle_expiration_days
    error_message = "bundle_expiration_days must be a whole number of days from 7 to 30."
  }
}

variable "intelligent_tiering_days" {
  description = "Days after which every object moves to S3 Intelligent-Tiering."
  type        = number
  default     = 30

  validation {
    condition     = var.intelligent_tiering_days >= 0 && floor(var.intelligent_tiering_days) == var.intelligent_tiering_days
    error_message = "intelligent_tiering_days must be a whole number of days, 0 or more."
  }
}

variable "abort_incomplete_multipart_days" {
  description = "Days after which unfinished multipart uploads (abandoned ingest or bundle jobs) are aborted."
  type        = number
  default     = 3

  validation {
    condition     = var.abort_incomplete_multipart_days >= 1 && var.abort_incomplete_multipart_days <= 30
    error_message = "abort_incomplete_multipart_days must be from 1 to 30."
  }
}

variable "cors_allowed_origins" {
  description = "Origins of the admin tools that upload with presigned PUTs from a browser."
  type        = list(string)

  validation {
    condition     = length(var.cors_allowed_origins) > 0 && alltrue([for o in var.cors_allowed_origins : can(regex("^https://[^/*]+$", o)) || can(regex("^http://(localhost|127\\.0\\.0\\.1)(:[0-9]+)?$", o))])
    error_message = "cors_allowed_origins must list https:// origins without paths or wildcards (http:// only for localhost)."
  }
}

variable "cloudfront_public_keys" {
  description = "The key group's public keys (PEM SubjectPublicKeyInfo) by a name of yours, e.g. the month made. The Worker signs with the private half of cloudfront_signing_key's; the others stay trusted, so a new key goes in before the old comes out. Private keys never enter Terraform or its state."
  type        = map(string)

  validation {
    condition     = length(var.cloudfront_public_keys) > 0 && length(var.cloudfront_public_keys) <= 5 && alltrue([for k, pem in var.cloudfront_public_keys : can(regex("^[A-Za-z0-9_-]{1,40}$", k)) && can(regex("^-----BEGIN PUBLIC KEY-----", trimspace(pem)))])
    error_message = "cloudfront_public_keys must map 1 to 5 names (letters, digits, _ and -) to PEM SubjectPublicKeyInfo keys (-----BEGIN PUBLIC KEY-----)."
  }
}

variable "cloudfront_signing_key" {
  description = "Which of cloudfront_public_keys the Worker signs with (its CLOUDFRONT_KEY_PAIR_ID)."
  type        = string
}

variable "player_origins" {
  description = "Origins of the web sites and players that fetch media from a browser (hls.js, subtitles): CloudFront's CORS response headers policy on hls/ and subs/, the bucket's CORS for GET, and the Worker's CORS_ALLOWED_ORIGINS. No wildcard."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for o in var.player_origins : can(regex("^https://[^/*]+$", o)) || can(regex("^http://(localhost|127\\.0\\.0\\.1)(:[0-9]+)?$", o))])
    error_message = "player_origins must list https:// origins without paths or wildcards (http:// only for localhost)."
  }
}

variable "noncurrent_version_days" {
  description = "Days an overwritten or deleted object's previous version is kept (the Worker's key can delete and overwrite; versions undo a mistake or a leaked key)."
  type        = number
  default     = 30

  validation {
    condition     = var.noncurrent_version_days >= 1 && floor(var.noncurrent_version_days) == var.noncurrent_version_days
    error_message = "noncurrent_version_days must be a whole number of days, 1 or more."
  }
}

variable "custom_domain_aliases" {
  description = "Alternate domain names for the distribution (e.g. media.example.com). Needs acm_certificate_arn."
  type        = list(string)
  default     = []
}

variable "acm_certificate_arn" {
  description = "ACM certificate (in us-east-1) covering custom_domain_aliases. Null: the cloudfront.net certificate."
  type        = string
  default     = null

  validation {
    condition     = var.acm_certificate_arn == null || can(regex("^arn:aws:acm:us-east-1:[0-9]{12}:certificate/", coalesce(var.acm_certificate_arn, "x")))
    error_message = "acm_certificate_arn must be an ACM certificate ARN in us-east-1 (CloudFront only uses certificates there)."
  }
}

variable "price_class" {
  description = "CloudFront price class."
  type        = string
  default     = "PriceClass_100"

  validation {
    condition     = contains(["PriceClass_100", "PriceClass_200", "PriceClass_All"], var.price_class)
    error_message = "price_class must be PriceClass_100, PriceClass_200 or PriceClass_All."
  }
}

variable "tags" {
  description = "Extra tags on every resource."
  type        = map(string)
  default     = {}
}

variable "allow_default_certificate" {
  description = "Serve media on CloudFront's *.cloudfront.net certificate, which accepts TLS 1.0 (no custom domain). Off by default: production uses acm_certificate_arn and TLS 1.2+."
  type        = bool
  default     = false
}

variable "signature_hash" {
  description = "Hash of the Worker's CloudFront URL signatures (the Worker's CLOUDFRONT_SIGNATURE_HASH)."
  type        = string
  default     = "SHA256"

  validation {
    condition     = contains(["SHA256", "SHA1"], var.signature_hash)
    error_message = "signature_hash is SHA256 or SHA1."
  }
}

// Delivery URLs from one interface, two signers chosen by configuration: S3 presigned GETs, or
// CloudFront signed URLs when the bucket sits behind an OAC distribution (S3 presigned URLs
// can't pass through OAC).
//
// A CloudFront URL carries `v`, the version of what it opens (the asset's or the bundle's id), in
// its cache key: the edge keeps bytes for a day, and keys are made from filenames, so a file
// deleted and registered again, or a season rebuilt at the same key, gets a new URL instead of the
// old cached bytes. (S3 presigned URLs have no cache in front of them and don't need it.)

import { type CloudFrontHash, signCloudFrontPrefix, signCloudFrontUrl } from "../lib/cloudfront";
import type { Clock } from "./clock";
import type { AppConfig } from "./env";
import { encodeKey, type ObjectStore } from "./s3";

export interface SignGetOptions {
  expiresIn: number;
  /** Content-Disposition the response should carry (S3 honours it; CloudFront forwards it). */
  disposition?: string;
  contentType?: string;
  /** What version of the object the URL is for (an asset or bundle id): part of the CDN's cache key. */
  version?: string;
}

export interface UrlSigner {
  readonly kind: "s3" | "cloudfront";
  signGet(key: string, opts: SignGetOptions): Promise<{ url: string; expiresAt: Date }>;
  /**
   * Signs GETs of many keys under one folder (an HLS tier's segments) until the same expiry.
   * CloudFront: one wildcard policy for the folder, signed once; S3: each URL presigned (SigV4
   * has no prefix grant), with the signing key cached.
   */
  folderSigner(folder: string, opts: { expiresIn: number; version?: string }): Promise<(key: string) => Promise<string>>;
}

export function createS3Signer(s3: ObjectStore, clock: Clock): UrlSigner {
  return {
    kind: "s3",
    async signGet(key, opts) {
      const url = await s3.presignGet(key, {
        expiresIn: opts.expiresIn,
        ...(opts.disposition ? { responseContentDisposition: opts.disposition } : {}),
        ...(opts.contentType ? { responseContentType: opts.contentType } : {}),
      });
      return { url, expiresAt: new Date(clock.now().getTime() + opts.expiresIn * 1000) };
    },
    async folderSigner(_folder, opts) {
      return (key) => s3.presignGet(key, { expiresIn: opts.expiresIn });
    },
  };
}

/** The query parameter CloudFront keeps in its cache key as the object's version (terraform/cloudfront.tf). */
export const VERSION_PARAM = "v";

export interface CloudFrontSignerConfig {
  domain: string;
  keyPairId: string;
  privateKeyPem: string;
  hash: CloudFrontHash;
}

export function createCloudFrontSigner(cf: CloudFrontSignerConfig, clock: Clock): UrlSigner {
  const origin = cf.domain.startsWith("http") ? cf.domain.replace(/\/$/, "") : `https://${cf.domain.replace(/\/$/, "")}`;
  return {
    kind: "cloudfront",
    async signGet(key, opts) {
      const u = new URL(`${origin}/${encodeKey(key)}`);
      if (opts.disposition) u.searchParams.set("response-content-disposition", opts.disposition);
      if (opts.contentType) u.searchParams.set("response-content-type", opts.contentType);
      if (opts.version) u.searchParams.set(VERSION_PARAM, opts.version);
      const expiresEpoch = Math.floor(clock.now().getTime() / 1000) + Math.floor(opts.expiresIn);
      const url = await signCloudFrontUrl({
        url: u.toString(),
        expiresEpoch,
        keyPairId: cf.keyPairId,
        privateKeyPem: cf.privateKeyPem,
        hash: cf.hash,
      });
      return { url, expiresAt: new Date(expiresEpoch * 1000) };
    },
    async folderSigner(folder, opts) {
      const expiresEpoch = Math.floor(clock.now().getTime() / 1000) + Math.floor(opts.expiresIn);
      const prefix = `${origin}/${encodeKey(folder)}`;
      const query = await signCloudFrontPrefix({
        prefix,
        expiresEpoch,
        keyPairId: cf.keyPairId,
        privateKeyPem: cf.privateKeyPem,
        hash: cf.hash,
      });
      return async (key) => {
        if (!key.startsWith(folder)) throw new Error(`${key} is outside the signed folder ${folder}`);
        const v = opts.version ? `${VERSION_PARAM}=${encodeURIComponent(opts.version)}&` : "";
        return `${origin}/${encodeKey(key)}?${v}${query}`;
      };
    },
  };
}

export function createUrlSigner(config: AppConfig, s3: ObjectStore, clock: Clock): UrlSigner {
  if (config.CLOUDFRONT_DOMAIN && config.CLOUDFRONT_KEY_PAIR_ID && config.CLOUDFRONT_PRIVATE_KEY) {
    return createCloudFrontSigner(
      {
        domain: config.CLOUDFRONT_DOMAIN,
        keyPairId: config.CLOUDFRONT_KEY_PAIR_ID,
        privateKeyPem: config.CLOUDFRONT_PRIVATE_KEY,
        hash: config.CLOUDFRONT_SIGNATURE_HASH,
      },
      clock,
    );
  }
  return createS3Signer(s3, clock);
}

import { pgEnum } from "drizzle-orm/pg-core";

export const titleKind = pgEnum("title_kind", ["movie", "series"]);
export const titleStatus = pgEnum("title_status", ["draft", "published", "archived"]);
export const assetKind = pgEnum("asset_kind", ["ORIGINAL", "DOWNLOAD", "VIDEO", "HLS", "AUDIO", "SUBTITLE", "ARTWORK"]);
export const hdrFormat = pgEnum("hdr_format", ["none", "hdr10", "hdr10plus", "dolby_vision", "hlg"]);
export const uploadState = pgEnum("upload_state", ["pending", "uploaded", "finalized"]);
export const assetLifecycle = pgEnum("asset_lifecycle", ["standard", "archive"]);
export const bundleStatus = pgEnum("bundle_status", ["building", "ready", "failed", "expired"]);
export const bundleSource = pgEnum("bundle_source", ["rebuild", "upload"]);

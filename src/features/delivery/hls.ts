// Signed HLS playback from a private bucket. A playlist is read from S3 and every URI in it is
// rewritten: media (segments, init maps, keys) into signed URLs of the delivery signer,
// sub-playlists into signed URLs of the Worker's playlist route. Every URI must be relative and
// stay inside the tier asset's own folder (hls/{title}/[{episode}/]{tier}p/): a playlist that
// points elsewhere or to an absolute URL is refused, at finalize and when it is served.

import { type types as Hls, parse as parseHls } from "hls-parser";
import { AppError } from "../../lib/errors";
import { listPages, type ObjectStore } from "../../platform/s3";
import type { UrlSigner } from "../../platform/url-signer";

const MAX_PLAYLIST_BYTES = 1024 * 1024;
/** A master → media chain is two deep; anything deeper is not a playlist players follow. */
const MAX_CHAIN_PLAYLISTS = 50;

/** The folder a key is in, with its trailing slash. */
export const folderOf = (key: string) => key.slice(0, key.lastIndexOf("/") + 1);

/**
 * Resolves `uri` relative to the folder of `fromKey`, as a key; null if it climbs out of the
 * bucket. A URI from a playlist is percent-decoded (once); a path that was already decoded (a
 * query parameter) is passed with `decoded: true` and taken literally, so "%2E%2E%2F" stays a name.
 */
export function resolveKey(fromKey: string, uri: string, opts: { decoded?: boolean } = {}): string | null {
  const path = uri.split(/[?#]/)[0] ?? "";
  let decoded = path;
  if (!opts.decoded) {
    try {
      decoded = decodeURIComponent(path);
    } catch {
      return null;
    }
  }
  const parts: string[] = [];
  for (const seg of `${folderOf(fromKey)}${decoded}`.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") {
      if (parts.length === 0) return null;
      parts.pop();
    } else parts.push(seg);
  }
  return parts.join("/");
}

/** Why a playlist URI can't be served from `folder`, or null when it can. */
function uriProblem(uri: string, fromKey: string, folder: string): string | null {
  if (/^[a-z][a-z0-9+.-]*:/i.test(uri) || uri.startsWith("//")) return `${uri} is an absolute URL`;
  if (uri.startsWith("/")) return `${uri} is relative to the server's root, not the playlist`;
  const target = resolveKey(fromKey, uri);
  if (!target?.startsWith(folder)) return `${uri} is outside the tier's folder`;
  return null;
}

/** A playlist's lines, split as RFC 8216 says players split them: at LF, CRLF or a bare CR. */
export const playlistLines = (text: string) => text.split(/\r\n|\r|\n/);

interface Attribute {
  name: string;
  value: string;
  quoted: boolean;
}

/**
 * A tag's attribute list (NAME=VALUE or NAME="VALUE", comma-separated), or null when the text is
 * not one. Quoted values may hold commas; an unquoted value may not hold a quote.
 */
function attributeList(list: string): Attribute[] | null {
  const out: Attribute[] = [];
  let i = 0;
  while (i < list.length) {
    const eq = list.indexOf("=", i);
    if (eq < 0) return null;
    const name = list.slice(i, eq).trim();
    if (!/^[A-Za-z0-9-]+$/.test(name)) return null;
    i = eq + 1;
    let value: string;
    const quoted = list[i] === '"';
    if (quoted) {
      const close = list.indexOf('"', i + 1);
      if (close < 0) return null;
      value = list.slice(i + 1, close);
      i = close + 1;
    } else {
      const comma = list.indexOf(",", i);
      const end = comma < 0 ? list.length : comma;
      value = list.slice(i, end).trim();
      if (value.includes('"')) return null;
      i = end;
    }
    out.push({ name, value, quoted });
    if (i < list.length) {
      if (list[i] !== ",") return null;
      i++;
    }
  }
  return out;
}

/** Attributes players fetch: URI, SERVER-URI, X-ASSET-URI and the like, and interstitials' X-ASSET-LIST. */
const fetchedAttribute = (name: string) => /URI$/i.test(name) || /^X-ASSET-LIST$/i.test(name);

/**
 * A `#EXT` tag line's pieces: its name and, when it has an attribute list, its attributes. A line
 * that cannot be read as such but mentions a URI attribute or an absolute URL cannot be made safe.
 */
type TagLine = { kind: "tag"; head: string; attributes: Attribute[] | null } | { kind: "unsafe"; why: string };

function readTag(line: string): TagLine {
  const colon = line.indexOf(":");
  if (colon < 0) return { kind: "tag", head: line, attributes: null };
  const head = line.slice(0, colon);
  const attributes = attributeList(line.slice(colon + 1));
  if (attributes === null) {
    // EXTINF's "10.0,title" and the like: no attribute list, and nothing a player fetches.
    if (/URI\s*=|X-ASSET-LIST\s*=/i.test(line)) return { kind: "unsafe", why: `${head} has attributes that can't be read` };
    return { kind: "tag", head, attributes: null };
  }
  for (const a of attributes) {
    if (!fetchedAttribute(a.name) && /^([a-z][a-z0-9+.-]*:)?\/\//i.test(a.value.trim()))
      return { kind: "unsafe", why: `${head} ${a.name} holds a URL no player should be sent to` };
  }
  return { kind: "tag", head, attributes };
}

/** One line's URIs: a URI line's own, or a tag's fetched attributes (quoted or not); an Error when it can't be made safe. */
function lineUris(line: string): string[] | Error {
  if (line.startsWith("#")) {
    if (!line.startsWith("#EXT")) return []; // a comment
    const tag = readTag(line);
    if (tag.kind === "unsafe") return new Error(tag.why);
    return (tag.attributes ?? []).filter((a) => fetchedAttribute(a.name)).map((a) => a.value);
  }
  return line.trim() === "" ? [] : [line.trim()];
}

/** Reads a playlist, refusing one over 1 MiB before more than that is read. */
async function readPlaylist(s3: ObjectStore, key: string): Promise<string | null> {
  const res = await s3.get(key);
  if (!res) return null;
  const tooLarge = () => new AppError("UNPROCESSABLE", "The playlist is larger than 1 MiB.");
  if (Number(res.headers.get("content-length") ?? 0) > MAX_PLAYLIST_BYTES) {
    await res.body?.cancel();
    throw tooLarge();
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > MAX_PLAYLIST_BYTES) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  return new TextDecoder().decode(bytes);
}

/** What a tier's playlist chain says about its ladder: what finalize records on the asset. */
export interface LadderInfo {
  /** The media playlist of the ladder, relative to the tier's folder ("" when it is the tier's own file). */
  mediaPath: string;
  segmentCount: number;
  durationSeconds: number;
  targetDuration: number;
  /** Peak bit rate in bits/s (HLS BANDWIDTH): the master's, else the largest segment's size over its duration. */
  bandwidth: number | null;
  /** Mean bit rate in bits/s (HLS AVERAGE-BANDWIDTH): the master's, else all segments' bytes over the duration. */
  averageBandwidth: number | null;
  codecs: string | null;
  width: number | null;
  height: number | null;
  frameRate: number | null;
}

export interface ChainReport {
  /** Everything that stops the chain from being served; empty when it can be. */
  problems: string[];
  /** Null when the chain has problems or no media playlist. */
  ladder: LadderInfo | null;
}

/**
 * Reads a tier's playlist chain (the playlist and the sub-playlists it names) and reports what is
 * wrong with it: URIs that are absolute or leave the tier's folder, sub-playlists that are missing
 * or are not HLS, and segments, init sections, keys or subtitle files that are missing or empty;
 * and, when nothing is, what the ladder is (segments, duration, bit rates, codecs, resolution).
 * Throws UNPROCESSABLE when the base file itself is not a playlist.
 *
 * Every URI is checked from the playlist's lines, tags included, rather than from the parser's
 * model: a tag the parser does not know must not smuggle an unchecked URI to the player.
 */
export async function inspectPlaylistChain(s3: ObjectStore, baseKey: string): Promise<ChainReport> {
  const folder = folderOf(baseKey);
  const sizes = await folderSizes(s3, folder);
  const problems: string[] = [];
  const queue = [baseKey];
  const seen = new Set(queue);
  const checked = new Set<string>();
  // The variant a master names (the highest BANDWIDTH), and the media playlist that describes the ladder.
  let variant: Hls.Variant | null = null;
  let mainKey: string | null = baseKey;
  let ladder: LadderInfo | null = null;
  while (queue.length > 0) {
    const key = queue.shift() as string;
    const name = key.slice(folder.length);
    const text = await readPlaylist(s3, key);
    // The asset's own file is not a playlist at all: the request is wrong, not the ladder.
    if (key === baseKey && text !== null && !text.startsWith("#EXTM3U"))
      throw new AppError("UNPROCESSABLE", `${name} is not an HLS playlist: it does not begin with #EXTM3U.`);
    if (text === null || !text.startsWith("#EXTM3U")) {
      problems.push(`${name}: ${text === null ? "not uploaded" : "not an HLS playlist"}`);
      continue;
    }
    const uris: string[] = [];
    for (const line of playlistLines(text)) {
      const found = lineUris(line);
      if (found instanceof Error) problems.push(`${name}: ${found.message}`);
      else uris.push(...found);
    }
    for (const uri of uris) {
      const problem = uriProblem(uri, key, folder);
      if (problem) {
        problems.push(`${name}: ${problem}`);
        continue;
      }
      const target = resolveKey(key, uri) as string;
      if (target.endsWith(".m3u8")) {
        if (!seen.has(target) && seen.size < MAX_CHAIN_PLAYLISTS) {
          seen.add(target);
          queue.push(target);
        }
      } else if (!checked.has(target)) {
        // Segments, init sections, keys, subtitle files: there, and not empty.
        checked.add(target);
        const size = sizes.get(target);
        if (size === undefined) problems.push(`${name}: ${target.slice(folder.length)} is not uploaded`);
        else if (size === 0) problems.push(`${name}: ${target.slice(folder.length)} is empty`);
      }
    }
    let parsed: Hls.MasterPlaylist | Hls.MediaPlaylist;
    try {
      parsed = parseHls(text) as Hls.MasterPlaylist | Hls.MediaPlaylist;
    } catch (e) {
      problems.push(`${name}: not a valid HLS playlist (${(e as Error).message})`);
      continue;
    }
    if (parsed.isMasterPlaylist) {
      if (key !== mainKey) continue; // a master below the top is not followed for the ladder
      const best = parsed.variants.filter((v) => !v.isIFrameOnly).sort((x, y) => y.bandwidth - x.bandwidth)[0];
      if (!best) problems.push(`${name}: a master playlist without variants`);
      else {
        variant = best;
        mainKey = resolveKey(key, best.uri);
      }
    } else if (key === mainKey) ladder = ladderOf(parsed, key, key === baseKey ? "" : key.slice(folder.length), sizes, variant);
  }
  if (problems.length === 0 && !ladder) problems.push(`${baseKey.slice(folder.length)}: no media playlist with segments`);
  return { problems, ladder: problems.length === 0 ? ladder : null };
}

function ladderOf(
  p: Hls.MediaPlaylist,
  key: string,
  mediaPath: string,
  sizes: Map<string, number>,
  variant: Hls.Variant | null,
): LadderInfo | null {
  if (p.segments.length === 0) return null;
  let duration = 0;
  let bytes = 0;
  let peak = 0;
  for (const seg of p.segments) {
    const size = seg.byterange ? seg.byterange.length : (sizes.get(resolveKey(key, seg.uri) ?? "") ?? 0);
    duration += seg.duration;
    bytes += size;
    if (seg.duration > 0) peak = Math.max(peak, (size * 8) / seg.duration);
  }
  return {
    mediaPath,
    segmentCount: p.segments.length,
    durationSeconds: Math.round(duration * 1000) / 1000,
    targetDuration: p.targetDuration,
    bandwidth: variant?.bandwidth ?? (peak > 0 ? Math.ceil(peak) : null),
    averageBandwidth: variant?.averageBandwidth ?? (duration > 0 ? Math.ceil((bytes * 8) / duration) : null),
    codecs: variant?.codecs ?? null,
    width: variant?.resolution?.width ?? null,
    height: variant?.resolution?.height ?? null,
    frameRate: variant?.frameRate ?? null,
  };
}

/** The size of every object under `folder` (a ladder's segments cost one list call per 1,000, not a HEAD each). */
async function folderSizes(s3: ObjectStore, folder: string): Promise<Map<string, number>> {
  const sizes = new Map<string, number>();
  for await (const { objects } of listPages(s3, folder)) for (const o of objects) sizes.set(o.key, o.size);
  return sizes;
}

export interface RewriteInput {
  s3: ObjectStore;
  signer: UrlSigner;
  /** The tier asset's playlist key; its folder is all the playlist may reach. */
  baseKey: string;
  /** The tier asset's id: the version its segment URLs carry (a tier registered again is new URLs at the CDN). */
  version: string;
  /** "" for the asset's own playlist, else a sub-playlist's path relative to baseKey's folder (already decoded). */
  path: string;
  segmentTtl: number;
  subPlaylistUrl: (pathFromBase: string) => Promise<string>;
  /** Told why a playlist is refused (for the log). */
  onRefused?: (why: string) => void;
}

export async function rewritePlaylist(i: RewriteInput): Promise<string> {
  const folder = folderOf(i.baseKey);
  const key = i.path ? resolveKey(i.baseKey, i.path, { decoded: true }) : i.baseKey;
  if (!key?.startsWith(folder) || !key.endsWith(".m3u8")) throw new AppError("NOT_FOUND", "No such playlist.");
  const text = await readPlaylist(i.s3, key);
  if (text === null) throw new AppError("NOT_FOUND", "The playlist has not been uploaded.");
  if (!text.startsWith("#EXTM3U")) throw new AppError("UNPROCESSABLE", "The stored playlist is not an HLS playlist.");

  // One grant for the tier's folder: with CloudFront, one RSA signature for every segment in it.
  const signInFolder = await i.signer.folderSigner(folder, { expiresIn: i.segmentTtl, version: i.version });
  const refuse = (why: string): never => {
    // The player can't act on the playlist's insides: they go to the log, under the request id.
    i.onRefused?.(`${key}: ${why}`);
    throw new AppError("UNPROCESSABLE", "This stream can't be played: its playlist points outside the stream's own files.");
  };
  const sign = async (uri: string): Promise<string> => {
    const problem = uriProblem(uri, key, folder);
    if (problem) refuse(problem);
    const target = resolveKey(key, uri) as string;
    if (target.endsWith(".m3u8")) return i.subPlaylistUrl(target.slice(folder.length));
    return signInFolder(target);
  };
  const out: string[] = [];
  for (const line of playlistLines(text)) {
    if (!line.startsWith("#")) {
      out.push(line.trim() === "" ? "" : await sign(line.trim()));
      continue;
    }
    if (!line.startsWith("#EXT")) continue; // comments are the origin's notes, not the player's
    const tag = readTag(line);
    if (tag.kind === "unsafe") refuse(tag.why);
    else if (!tag.attributes?.some((a) => fetchedAttribute(a.name))) out.push(line);
    else {
      // Written again from its attributes: every fetched one signed and quoted, the rest as they were.
      const attrs: string[] = [];
      for (const a of tag.attributes)
        attrs.push(
          fetchedAttribute(a.name) ? `${a.name}="${await sign(a.value)}"` : a.quoted ? `${a.name}="${a.value}"` : `${a.name}=${a.value}`,
        );
      out.push(`${tag.head}:${attrs.join(",")}`);
    }
  }
  return out.join("\n");
}

// Signed HLS playback from a private bucket. A playlist is read from S3 and every URI in it is
// rewritten: media (segments, init maps, keys) into signed URLs of the delivery signer,
// sub-playlists into signed URLs of the Worker's playlist route. Every URI must stay inside the
// title's HLS folder; a playlist that points elsewhere is refused.
import type { ObjectStore } from "../adapters/s3";
import type { UrlSigner } from "../adapters/url-signer";
import { AppError } from "../lib/errors";

const MAX_PLAYLIST_BYTES = 1024 * 1024;

/** Resolves `uri` relative to the folder of `fromKey`, as a key; null if it climbs out of the bucket. */
export function resolveKey(fromKey: string, uri: string): string | null {
  const dir = fromKey.slice(0, fromKey.lastIndexOf("/") + 1);
  let decoded: string;
  try {
    decoded = decodeURIComponent(uri.split(/[?#]/)[0] ?? "");
  } catch {
    return null;
  }
  const parts: string[] = [];
  for (const seg of `${dir}${decoded}`.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") {
      if (parts.length === 0) return null;
      parts.pop();
    } else parts.push(seg);
  }
  return parts.join("/");
}

export interface RewriteInput {
  s3: ObjectStore;
  signer: UrlSigner;
  /** The tier asset's playlist key; sub-playlist paths are relative to its folder. */
  baseKey: string;
  /** "" for the asset's own playlist, else a path relative to baseKey's folder. */
  path: string;
  allowedPrefix: string;
  segmentTtl: number;
  subPlaylistUrl: (pathFromBase: string) => Promise<string>;
}

export async function rewritePlaylist(i: RewriteInput): Promise<string> {
  const baseDir = i.baseKey.slice(0, i.baseKey.lastIndexOf("/") + 1);
  const key = i.path ? resolveKey(i.baseKey, i.path) : i.baseKey;
  if (!key?.startsWith(i.allowedPrefix) || !key.endsWith(".m3u8")) throw new AppError("NOT_FOUND", "No such playlist.");
  const res = await i.s3.get(key);
  if (!res) throw new AppError("NOT_FOUND", "The playlist has not been uploaded.");
  const text = await res.text();
  if (text.length > MAX_PLAYLIST_BYTES) throw new AppError("UNPROCESSABLE", "The playlist is too large to sign.");
  if (!text.startsWith("#EXTM3U")) throw new AppError("UNPROCESSABLE", "The stored playlist is not an HLS playlist.");

  const sign = async (uri: string): Promise<string> => {
    if (/^[a-z][a-z0-9+.-]*:/i.test(uri)) return uri; // absolute: served by someone else
    const target = resolveKey(key, uri);
    if (!target?.startsWith(i.allowedPrefix)) throw new AppError("UNPROCESSABLE", `The playlist points outside its folder (${uri}).`);
    if (target.endsWith(".m3u8")) {
      if (!target.startsWith(baseDir)) throw new AppError("UNPROCESSABLE", `A sub-playlist outside the tier's folder (${uri}).`);
      return i.subPlaylistUrl(target.slice(baseDir.length));
    }
    return (await i.signer.signGet(target, { expiresIn: i.segmentTtl })).url;
  };

  const out: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line.startsWith("#")) {
      let rewritten = line;
      for (const m of line.matchAll(/URI="([^"]*)"/g)) rewritten = rewritten.replace(m[0], `URI="${await sign(m[1] ?? "")}"`);
      out.push(rewritten);
    } else if (line.trim() === "") {
      out.push(line);
    } else {
      out.push(await sign(line.trim()));
    }
  }
  return out.join("\n");
}

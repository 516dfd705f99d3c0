// Signed HLS playback from a private bucket: the tier's media playlist is read from S3 and every
// URI in it (segments, init maps, keys) becomes a presigned URL. The URIs must stay inside the
// title's HLS folder; a playlist that points elsewhere is refused.
import type { ObjectStore } from "../adapters/s3";
import { AppError } from "../lib/errors";

const MAX_PLAYLIST_BYTES = 1024 * 1024;

function resolveKey(baseKey: string, uri: string): string {
  const dir = baseKey.slice(0, baseKey.lastIndexOf("/") + 1);
  const parts: string[] = [];
  for (const seg of `${dir}${decodeURIComponent(uri.split("?")[0] ?? "")}`.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") parts.pop();
    else parts.push(seg);
  }
  return parts.join("/");
}

export async function signMediaPlaylist(s3: ObjectStore, playlistKey: string, allowedPrefix: string, ttlSeconds: number): Promise<string> {
  const res = await s3.get(playlistKey);
  if (!res) throw new AppError("NOT_FOUND", "The playlist has not been uploaded.");
  const text = await res.text();
  if (text.length > MAX_PLAYLIST_BYTES) throw new AppError("UNPROCESSABLE", "The playlist is too large to sign.");
  if (!text.startsWith("#EXTM3U")) throw new AppError("UNPROCESSABLE", "The stored playlist is not an HLS playlist.");

  const sign = async (uri: string): Promise<string> => {
    if (/^[a-z][a-z0-9+.-]*:/i.test(uri)) return uri; // absolute: served by someone else
    const key = resolveKey(playlistKey, uri);
    if (!key.startsWith(allowedPrefix)) throw new AppError("UNPROCESSABLE", `The playlist points outside its folder (${uri}).`);
    return s3.presignGet(key, { expiresIn: ttlSeconds });
  };
  const out: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line.startsWith("#")) {
      const m = [...line.matchAll(/URI="([^"]*)"/g)];
      let rewritten = line;
      for (const x of m) rewritten = rewritten.replace(x[0], `URI="${await sign(x[1] ?? "")}"`);
      out.push(rewritten);
    } else if (line.trim() === "") {
      out.push(line);
    } else {
      out.push(await sign(line.trim()));
    }
  }
  return out.join("\n");
}

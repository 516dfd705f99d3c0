// Best-effort removal of objects whose rows are already gone: the API can no longer reach them,
// so a failure here is logged, not returned.

import type { Logger } from "../../lib/logger";
import { listPages, type ObjectStore } from "../../platform/s3";

export async function deleteObjects(s3: ObjectStore, keys: string[], logger: Logger): Promise<void> {
  const results = await Promise.allSettled(keys.map((k) => s3.delete(k)));
  const failed = results.filter((r) => r.status === "rejected").length;
  if (failed > 0) logger.warn("object clean-up incomplete", { failed, total: keys.length });
}

/**
 * Everything under some prefixes: every object (an HLS ladder is hundreds of segments no row
 * names), deleted a thousand at a time, and every multipart upload left open there.
 */
export async function deletePrefixes(s3: ObjectStore, prefixes: string[], logger: Logger): Promise<void> {
  let total = 0;
  let failed = 0;
  for (const prefix of prefixes) {
    try {
      for await (const { objects } of listPages(s3, prefix)) {
        const keys = objects.map((o) => o.key);
        if (keys.length > 0) failed += (await s3.deleteMany(keys)).failed.length;
        total += keys.length;
      }
      for (const u of await s3.listMultipartUploads(prefix)) await s3.abortMultipart(u.key, u.uploadId).catch(() => undefined);
    } catch (e) {
      logger.warn("object clean-up incomplete", { prefix, error: (e as Error).message });
    }
  }
  if (failed > 0) logger.warn("object clean-up incomplete", { failed, total });
}

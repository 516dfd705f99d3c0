// Best-effort removal of objects whose rows are already gone: the API can no longer reach them,
// so a failure here is logged, not returned.
import type { ObjectStore } from "../adapters/s3";
import type { Logger } from "../lib/logger";

export async function deleteObjects(s3: ObjectStore, keys: string[], logger: Logger): Promise<void> {
  const results = await Promise.allSettled(keys.map((k) => s3.delete(k)));
  const failed = results.filter((r) => r.status === "rejected").length;
  if (failed > 0) logger.warn("object clean-up incomplete", { failed, total: keys.length });
}

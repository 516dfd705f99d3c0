// Calls to the bundle job service as the Worker makes them: signed with the shared secret
// (src/lib/job-auth.ts), so tests reach it through the same door. Also the keys a job may use.
// No Node imports: Worker tests use it too.
import { signJobRequest } from "../../src/lib/job-auth";
import { keys } from "../../src/lib/storage-keys";

/** `base` and `secret`: the stack's (jobService in Node tests, config.JOB_RUNNER_URL/JOB_SERVICE_SECRET in Worker tests). */
export function jobClient(base: string, secret: string) {
  const call = async (method: string, path: string, body?: unknown): Promise<Response> => {
    const text = body === undefined ? "" : JSON.stringify(body);
    const auth = await signJobRequest(secret, { method, path, body: text });
    return fetch(`${base}${path}`, {
      method,
      headers: { ...auth, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: text }),
    });
  };
  return {
    call,
    post: (body: unknown) => call("POST", "/jobs", body),
    get: (id: string) => call("GET", `/jobs/${encodeURIComponent(id)}`),
    list: async <T = { id: string }>() => ((await (await call("GET", "/jobs")).json()) as { items: T[] }).items,
  };
}

/** The output keys a bundle job for a fresh (random) title's season must use, and a source prefix of its own. */
export function jobKeys(season = 1) {
  const titleId = crypto.randomUUID();
  return {
    title_id: titleId,
    season_number: season,
    zip_key: keys.bundle(titleId, season),
    manifest_key: keys.bundleManifest(titleId, season),
    sources: `originals/${titleId}`,
  };
}

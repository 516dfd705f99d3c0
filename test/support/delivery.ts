// Fixtures for delivery tests: a published title with real objects in S3.
import { newAdmin, signIn } from "./admin";
import { adminClient, pseudoBytes } from "./admin-client";

export type Created = { asset: { id: string; storage_key: string }; upload: { url: string; headers: Record<string, string> } };

export async function publishedMovieWith(
  files: { kind: string; filename: string; bytes: Uint8Array<ArrayBuffer>; extra?: Record<string, unknown> }[],
  publish = true,
) {
  const admin = adminClient(await signIn(await newAdmin()));
  const t = await admin.ok(
    201,
    admin.post<{ id: string; slug: string }>("/admin/titles", { kind: "movie", name: `Delivery ${crypto.randomUUID()}` }),
  );
  const assets: Created["asset"][] = [];
  for (const f of files) {
    const c = await admin.ok(
      201,
      admin.post<Created>(`/admin/titles/${t.id}/assets`, { kind: f.kind, filename: f.filename, size_bytes: f.bytes.length, ...f.extra }),
    );
    const put = await fetch(c.upload.url, { method: "PUT", body: f.bytes, headers: c.upload.headers });
    await put.body?.cancel(); // an unread body keeps one of the test's few connections open
    if (put.status !== 200) throw new Error(`upload failed ${put.status}`);
    // As an operator does: the upload is confirmed (HEAD), so the file is offered.
    await admin.ok(200, admin.get(`/admin/assets/${c.asset.id}/head`));
    assets.push(c.asset);
  }
  if (publish) await admin.ok(200, admin.post(`/admin/titles/${t.id}/publish?force=true`));
  return { admin, title: t, assets };
}

/** A published movie with one uploaded ORIGINAL and a one-time download token for it (600 s). */
export async function movieWithToken(filename: string, seed: number) {
  const made = await publishedMovieWith([{ kind: "ORIGINAL", filename, bytes: pseudoBytes(64, seed) }]);
  const minted = await made.admin.ok(
    201,
    made.admin.post<{ items: { token: string }[] }>("/admin/delivery/download-tokens/batch", {
      items: [{ asset_id: made.assets[0]?.id }],
      ttl_seconds: 600,
    }),
  );
  return { ...made, token: minted.items[0]?.token ?? "" };
}

export { pseudoBytes };

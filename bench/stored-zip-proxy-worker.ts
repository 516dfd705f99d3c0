// The baseline of bench/instant-zip: a Worker that only proxies one stored object (the season's
// stored rebuild, by its presigned URL), piping S3's body through unchanged with its length, run by
// the same wrangler dev and workerd as the service. Not part of the service.
export default {
  async fetch(request: Request): Promise<Response> {
    const target = new URL(request.url).searchParams.get("u");
    if (!target) return new Response("ok");
    const res = await fetch(target);
    const headers = new Headers({ "content-type": res.headers.get("content-type") ?? "application/zip" });
    const length = res.headers.get("content-length");
    if (length) headers.set("content-length", length);
    return new Response(res.body, { status: res.status, headers });
  },
};

// Production runner: the job service image (container/Dockerfile) in a Cloudflare Container.
// One instance serves every season's jobs; the SeasonBundle objects reach it with fetch.
import { DurableObject } from "cloudflare:workers";

const PORT = 8080;

export class BundleJobContainer extends DurableObject<CloudflareBindings> {
  override async fetch(request: Request): Promise<Response> {
    const container = this.ctx.container;
    if (!container) return new Response("containers are not enabled for this object", { status: 503 });
    if (!container.running) {
      const env = this.env as unknown as Record<string, string | undefined>;
      container.start({
        enableInternet: true,
        env: {
          PORT: String(PORT),
          AWS_BUCKET_NAME: env.AWS_BUCKET_NAME ?? "",
          AWS_REGION: env.AWS_REGION ?? "",
          // The job's own least-privilege key (terraform/: read sources, write bundles/), else the Worker's.
          AWS_ACCESS_KEY_ID: env.JOB_AWS_ACCESS_KEY_ID ?? env.AWS_ACCESS_KEY_ID ?? "",
          AWS_SECRET_ACCESS_KEY: env.JOB_AWS_SECRET_ACCESS_KEY ?? env.AWS_SECRET_ACCESS_KEY ?? "",
          S3_SSE: env.S3_SSE ?? "AES256",
          ...(env.S3_ENDPOINT ? { S3_ENDPOINT: env.S3_ENDPOINT } : {}),
        },
      });
    }
    const port = container.getTcpPort(PORT);
    // The process needs a moment to listen after a cold start.
    for (let attempt = 0; ; attempt++) {
      try {
        return await port.fetch(request.url, request.clone());
      } catch (e) {
        if (attempt >= 20) throw e;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }
}

// Production runner: the job service image (container/Dockerfile) in a Cloudflare Container.
// One instance serves every season's jobs; the SeasonBundle objects reach it with fetch.
import { DurableObject } from "cloudflare:workers";

const PORT = 8080;

/**
 * The container's environment: the job's own least-privilege S3 key (terraform/: read sources,
 * write bundles/) and never the Worker's full-rights one, and the secret its callers sign with.
 * Without them the container is not started.
 */
export function jobContainerEnv(env: Record<string, string | undefined>): { env: Record<string, string> } | { missing: string[] } {
  const missing = ["JOB_AWS_ACCESS_KEY_ID", "JOB_AWS_SECRET_ACCESS_KEY", "JOB_SERVICE_SECRET"].filter((k) => !env[k]);
  if (missing.length > 0) return { missing };
  return {
    env: {
      PORT: String(PORT),
      // Reached through the container's own interface, not loopback.
      HOST: "0.0.0.0",
      JOB_SERVICE_SECRET: env.JOB_SERVICE_SECRET ?? "",
      AWS_BUCKET_NAME: env.AWS_BUCKET_NAME ?? "",
      AWS_REGION: env.AWS_REGION ?? "",
      AWS_ACCESS_KEY_ID: env.JOB_AWS_ACCESS_KEY_ID ?? "",
      AWS_SECRET_ACCESS_KEY: env.JOB_AWS_SECRET_ACCESS_KEY ?? "",
      S3_SSE: env.S3_SSE ?? "AES256",
      ...(env.S3_ENDPOINT ? { S3_ENDPOINT: env.S3_ENDPOINT } : {}),
    },
  };
}

export class BundleJobContainer extends DurableObject<CloudflareBindings> {
  override async fetch(request: Request): Promise<Response> {
    const container = this.ctx.container;
    if (!container) return new Response("containers are not enabled for this object", { status: 503 });
    if (!container.running) {
      const setup = jobContainerEnv(this.env as unknown as Record<string, string | undefined>);
      if ("missing" in setup) {
        console.error(`bundle job container not started: ${setup.missing.join(", ")} not set`);
        return new Response(`not configured: ${setup.missing.join(", ")}`, { status: 503 });
      }
      container.start({ enableInternet: true, env: setup.env });
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

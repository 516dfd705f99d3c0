// Production runner: the job service image (container/Dockerfile) in a Cloudflare Container.
// One instance serves every season's jobs; the SeasonBundle objects reach it with fetch.
import { Container, type StopParams } from "@cloudflare/containers";

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

/**
 * The job service's container, run by @cloudflare/containers: it starts the image on the first
 * request with the job's environment, waits until the port answers, forwards requests to it, and
 * stops it after `sleepAfter` without requests (a running job is polled every few seconds, which
 * keeps it awake). What the hooks see goes to the logs.
 */
export class BundleJobContainer extends Container<CloudflareBindings> {
  override defaultPort = PORT;
  override sleepAfter = "10m";
  override enableInternet = true;
  // What the start-up check asks for: the job service's own liveness route.
  override pingEndpoint = "container/healthz";

  override async fetch(request: Request): Promise<Response> {
    const setup = jobContainerEnv(this.env as unknown as Record<string, string | undefined>);
    if ("missing" in setup) {
      console.error(`bundle job container not started: ${setup.missing.join(", ")} not set`);
      return new Response(`not configured: ${setup.missing.join(", ")}`, { status: 503 });
    }
    this.envVars = setup.env;
    return super.fetch(request);
  }

  override onStart(): void {
    console.log(JSON.stringify({ level: "info", msg: "bundle job container started" }));
  }

  override onStop(params: StopParams): void {
    const level = params.exitCode === 0 ? "info" : "error";
    console.log(JSON.stringify({ level, msg: "bundle job container stopped", exit_code: params.exitCode, reason: params.reason }));
  }

  override onError(error: unknown): never {
    console.error(JSON.stringify({ level: "error", msg: "bundle job container error", error: String(error) }));
    throw error;
  }
}

// For Node tests: a job service in this process, as the container runs it, whose S3 sits behind
// a fault proxy (test/support/fault-proxy.ts), reached with signed calls as the Worker makes them.
import type { AddressInfo } from "node:net";
import { loadConfig } from "../../container/src/config.ts";
import { createJobService } from "../../container/src/server.ts";
import { jobService, s3Env } from "../../scripts/stack/config.ts";
import { type Fault, startFaultProxy } from "./fault-proxy.ts";
import { jobClient } from "./job-service.ts";

/** `decide` picks each S3 request's fault; `env` adds to or overrides the service's settings. */
export async function jobServiceViaProxy(decide: (method: string, path: string) => Fault, env: Record<string, string> = {}) {
  const proxy = await startFaultProxy(s3Env.S3_ENDPOINT, (req) => decide(req.method ?? "", req.url ?? ""));
  const cfg = loadConfig({
    ...s3Env,
    S3_ENDPOINT: proxy.url,
    S3_SSE: "none",
    PORT: "0",
    HOST: "127.0.0.1",
    JOB_SERVICE_SECRET: jobService.secret,
    ...env,
  });
  const logs: Record<string, unknown>[] = [];
  const svc = createJobService(cfg, (msg, fields = {}) => logs.push({ msg, ...fields }));
  await svc.listen();
  const base = `http://127.0.0.1:${(svc.server.address() as AddressInfo).port}`;
  const close = async () => {
    await svc.shutdown();
    await proxy.close();
  };
  return { proxy, base, jobs: jobClient(base, jobService.secret), logs, close };
}

// The loopback control server (test/global-setup.ts) from inside a Worker test: stop and start
// a real service, e.g. control("postgres/stop").
import { afterAll, inject } from "vitest";

export const control = (action: string) => fetch(`${inject("controlUrl")}/services/${action}`, { method: "POST" });

/** For a file that stops `service`: start it again when the file is done, however its tests ended. */
export function startAgainAfterAll(service: "postgres" | "redis" | "s3" | "job"): void {
  afterAll(async () => {
    await control(`${service}/start`);
  });
}

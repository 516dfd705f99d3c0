// The loopback control server (test/global-setup.ts) from inside a Worker test: stop and start
// a real service, e.g. control("postgres/stop").
import { inject } from "vitest";

export const control = (action: string) => fetch(`${inject("controlUrl")}/services/${action}`, { method: "POST" });

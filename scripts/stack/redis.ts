// redis-server on its own port with its data under .local/stack/redis.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { host, ports, stateDir } from "./config.ts";
import { alive, portOpen, readPid, startDaemon, stopDaemon, waitFor } from "./proc.ts";

export async function upRedis(): Promise<void> {
  if (!alive(readPid("redis"))) {
    const dir = join(stateDir, "redis");
    mkdirSync(dir, { recursive: true });
    startDaemon("redis", "redis-server", [
      "--bind",
      host,
      "--port",
      String(ports.redis),
      "--dir",
      dir,
      "--save",
      "",
      // Durable, as Upstash is: a restart (fault tests stop and start it) keeps tokens and snapshots.
      "--appendonly",
      "yes",
      "--daemonize",
      "no",
      "--protected-mode",
      "no",
    ]);
  }
  await waitFor("redis", () => portOpen(ports.redis));
}

export const downRedis = () => stopDaemon("redis");

// redis-server on its own port with its data under .local/stack/redis.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { host, ports, stateDir } from "./config.ts";
import { alive, portOpen, readPid, startDaemon, stopDaemon, waitFor } from "./proc.ts";
import { RespConnection } from "./resp.ts";

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
  // An open port is not enough: after a restart Redis answers LOADING until its append-only file
  // is read back, which grows with every run on a warm machine.
  await waitFor("redis", async () => {
    if (!(await portOpen(ports.redis))) return false;
    const conn = await RespConnection.open(ports.redis, host);
    try {
      const [reply] = await conn.send([["PING"]]);
      return reply === "PONG";
    } finally {
      conn.close();
    }
  });
}

export const downRedis = () => stopDaemon("redis");

/** Empties one logical database (the tests' own, at the start of a run); the others are untouched. */
export async function emptyDatabase(db: number): Promise<void> {
  const conn = await RespConnection.open(ports.redis, host);
  try {
    const [selected, flushed] = await conn.send([["SELECT", String(db)], ["FLUSHDB"]]);
    if (selected !== "OK" || flushed !== "OK")
      throw new Error(`emptying Redis database ${db} failed: ${String(selected)} ${String(flushed)}`);
  } finally {
    conn.close();
  }
}

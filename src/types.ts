import type { Clock } from "./adapters/clock";
import type { DbClient } from "./adapters/db";
import type { RedisClient } from "./adapters/redis";
import type { ObjectStore } from "./adapters/s3";
import type { AppConfig } from "./env";
import type { Logger } from "./lib/logger";

/** The clients a request works with, built once per request by the init middleware. */
export interface Deps {
  db: DbClient;
  redis: RedisClient;
  s3: ObjectStore;
  clock: Clock;
}

export type AppBindings = CloudflareBindings;

export type AppEnv = {
  Bindings: AppBindings;
  Variables: Deps & {
    requestId: string;
    logger: Logger;
    config: AppConfig;
  };
};

/** Builds the dependencies from config; tests pass their own to inject faults. */
export type DepsFactory = (config: AppConfig, bindings: AppBindings) => Deps;

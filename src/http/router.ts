// Every route group is an OpenAPIHono built here, so request validation fails the same way
// everywhere: a VALIDATION_FAILED problem naming each bad field.
import { OpenAPIHono } from "@hono/zod-openapi";
import { AppError } from "../lib/errors";
import type { AppEnv } from "./context";
import { fieldErrors } from "./problem";

export function createRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        const errors = fieldErrors(result.target, result.error.issues);
        throw new AppError("VALIDATION_FAILED", errors.map((e) => `${e.path}: ${e.message}`).join("; "), { errors });
      }
    },
  });
}

// Log lines: one JSON object each, through the console method of their level, so Workers Logs
// files warnings and errors as such.
import { afterEach, describe, expect, it, vi } from "vitest";
import { createLogger } from "../../src/lib/logger";

afterEach(() => vi.restoreAllMocks());

describe("logger", () => {
  it("writes errors with console.error, warnings with console.warn, the rest with console.log", () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const error = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const logger = createLogger({ request_id: "r-1" }).child({ route: "/x" });
    logger.info("fine");
    logger.debug("detail");
    logger.warn("careful", { n: 1 });
    logger.error("broken");
    expect(log.mock.calls.map(([l]) => JSON.parse(String(l)).msg)).toEqual(["fine", "detail"]);
    expect(warn.mock.calls.map(([l]) => JSON.parse(String(l)))).toEqual([
      expect.objectContaining({ level: "warn", msg: "careful", n: 1, request_id: "r-1", route: "/x" }),
    ]);
    expect(error.mock.calls.map(([l]) => JSON.parse(String(l)).level)).toEqual(["error"]);
  });
});

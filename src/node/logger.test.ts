import { describe, expect, test } from "bun:test";
import { closeSync, mkdtempSync, openSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger, LoggerError, prettyLine } from "./logger";

/** Logs through a real file descriptor and returns what was written. */
function written(log: (fd: number) => void): string {
  const path = join(mkdtempSync(join(tmpdir(), "logger-")), "log");
  const fd = openSync(path, "w");
  try {
    log(fd);
  } finally {
    closeSync(fd);
  }
  return readFileSync(path, "utf8");
}

describe("createLogger", () => {
  test("writes one JSON line per event, at or above its level", () => {
    const text = written((fd) => {
      const logger = createLogger({ level: "info", fd });
      logger.debug("hidden");
      logger.info({ port: 3000 }, "listening");
      logger.error({ err: new Error("boom") }, "failed");
    });
    const lines = text.trimEnd().split("\n");
    expect(lines).toHaveLength(2);
    const [first, second] = lines.map((line) => JSON.parse(line));
    expect(first).toMatchObject({ level: 30, msg: "listening", port: 3000 });
    expect(second).toMatchObject({ level: 50, msg: "failed", err: { message: "boom" } });
  });

  test("silent writes nothing", () => {
    expect(written((fd) => createLogger({ level: "silent", fd }).fatal("x"))).toBe("");
  });

  test("an unknown level is refused with a typed error", () => {
    expect(() => createLogger({ level: "verbose" })).toThrow(LoggerError);
    try {
      createLogger({ level: "verbose" });
    } catch (error) {
      expect((error as LoggerError).code).toBe("INVALID_LOG_LEVEL");
      expect((error as LoggerError).message).toContain('"verbose"');
    }
  });

  test("pretty writes readable lines", () => {
    const text = written((fd) =>
      createLogger({ level: "info", fd, pretty: true }).warn({ a: "b c" }, "hi"),
    );
    expect(text).toMatch(/^\d\d:\d\d:\d\d\.\d{3} WARN {2}hi a="b c"\n$/);
  });
});

test("prettyLine keeps a non-JSON line and shows an error's stack", () => {
  expect(prettyLine("not json\n")).toBe("not json");
  const line = prettyLine(
    JSON.stringify({ level: 50, time: 0, msg: "x", err: { stack: "Error: x\n    at f" } }),
  );
  expect(line).toBe("00:00:00.000 ERROR x err=\nError: x\n    at f");
});

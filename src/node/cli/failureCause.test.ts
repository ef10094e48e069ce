import { describe, expect, test } from "bun:test";
import { NodeStartError } from "../startError";
import { describeCause } from "./failureCause";
import { startFailure } from "./startFailure";

const systemError = (code: string, message = `${code}: failed`) =>
  Object.assign(new Error(message), { code });
const postgresError = (code: string, message: string) =>
  Object.assign(new Error(message), { name: "PostgresError", code });
const wrapped = (cause: unknown) => new Error("Failed query: CREATE SCHEMA drizzle", { cause });

describe("describeCause", () => {
  test("reads the innermost known cause through wrappers", () => {
    expect(describeCause(wrapped(systemError("ECONNREFUSED")))).toEqual({
      text: "connection refused",
      kind: "unreachable",
      code: "ECONNREFUSED",
    });
    expect(describeCause(systemError("EADDRINUSE")).kind).toBe("refused");
  });

  test("PostgreSQL refusing the login or the database is the setting's fault", () => {
    const login = postgresError("28P01", 'password authentication failed for user "node"');
    expect(describeCause(wrapped(login))).toEqual({
      text: 'password authentication failed for user "node"',
      kind: "refused",
    });
    expect(describeCause(postgresError("3D000", 'database "x" does not exist')).kind).toBe(
      "refused",
    );
    expect(describeCause(postgresError("42P07", "relation exists")).kind).toBe("other");
  });

  test("NATS refusing the node's credentials is the setting's fault", () => {
    const refused = Object.assign(new Error("Authorization Violation"), {
      name: "AuthorizationError",
    });
    expect(describeCause(refused)).toEqual({ text: "Authorization Violation", kind: "refused" });
  });

  test("anything else is told by its first line", () => {
    expect(describeCause(new Error("boom\nstack"))).toEqual({ text: "boom", kind: "other" });
  });
});

describe("startFailure", () => {
  const placed = { host: "127.0.0.1", port: 3000, natsPort: 4222, dataDir: "/data" };
  const failed = (code: NodeStartError["code"], cause: unknown) =>
    new NodeStartError(code, "starting", { cause });

  test("a refused login at DATABASE_URL exits 2 without showing the password", () => {
    const error = startFailure(
      failed("DATABASE_FAILED", wrapped(postgresError("28P01", "password authentication failed"))),
      { ...placed, databaseUrl: "postgres://node:secret@db:5432/connext" },
    );
    expect(error?.message).toBe(
      "DATABASE_URL: postgres://node:***@db:5432/connext refused the node (password authentication failed)",
    );
    expect(error?.exitCode).toBe(2);
  });

  test("PGlite that does not open names DATA_DIR", () => {
    const error = startFailure(failed("DATABASE_FAILED", systemError("EACCES")), placed);
    expect(error?.message).toBe("DATA_DIR: cannot open PGlite in /data/pglite (permission denied)");
    expect(error?.exitCode).toBe(2);
  });

  test("a HOST that is not this machine's is named as HOST", () => {
    const error = startFailure(failed("HTTP_LISTEN_FAILED", systemError("EADDRNOTAVAIL")), {
      ...placed,
      host: "10.9.9.9",
    });
    expect(error?.message).toBe(
      "HOST: cannot listen on 10.9.9.9:3000 (address not available on this machine)",
    );
  });

  test("the embedded broker's own connection and other errors are left as they are", () => {
    expect(startFailure(failed("MESSAGING_FAILED", systemError("ECONNREFUSED")), placed)).toBe(
      undefined,
    );
    expect(startFailure(new Error("elsewhere"), placed)).toBe(undefined);
  });
});

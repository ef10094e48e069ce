import { createRoute, type OpenAPIHono, type RouteConfig } from "@hono/zod-openapi";
import { z } from "zod";
import packageJson from "../../../package.json";
import type { ApiEnv } from "./types";

/**
 * The API's OpenAPI document (`GET /openapi.json`, issue 14 §4). Each route file describes its
 * routes next to them with `describe`, naming the very zod schemas its handlers validate with
 * (`jsonBody(c, schema)`), so the document cannot say one thing while the route checks another.
 * The handlers keep their own validation, so statuses and `{ code, message }` bodies are the
 * ones the API always had; openapi.test.ts checks every JSON route is in the document.
 */

/** Every refusal's body (errors.ts). */
export const errorBody = z.object({ code: z.string(), message: z.string() });

/**
 * A path parameter holding an Ethereum address, as `checksumAddress` (input.ts) takes it: 0x
 * and 40 hex digits, one case or a valid checksum; answers come checksummed.
 */
export const addressParam = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/)
  .describe("an Ethereum address: 0x and 40 hex digits, one case or EIP-55 checksummed");

/**
 * Routes served as pages or files, not JSON, and `dev`'s test funding (absent under `start`):
 * the document leaves them out.
 */
export const UNDOCUMENTED = ["/dashboard", "/wallet", "/public", "/assets", "/dev"] as const;

export function isDocumentedPath(path: string): boolean {
  return !UNDOCUMENTED.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
}

type Responses = RouteConfig["responses"];

/** A JSON response; `schema` absent: a JSON value the route's docs describe in prose. */
export function json(description: string, schema: z.ZodType = z.unknown()): Responses[string] {
  return { description, content: { "application/json": { schema } } };
}

/** The `{ code, message }` refusals a route gives, by status: `{ 400: "…", 401: "…" }`. */
export function refusals(byStatus: Record<number, string>): Responses {
  const responses: Responses = {};
  for (const [status, description] of Object.entries(byStatus)) {
    responses[status] = json(description, errorBody);
  }
  return responses;
}

/** A JSON request body checked with `schema` (the one the handler passes to `jsonBody`). */
export function jsonRequest(schema: z.ZodType) {
  return { body: { required: true, content: { "application/json": { schema } } } };
}

/** A route's bearer token: the user's (from POST /auth), ADMIN_TOKEN or METRICS_TOKEN. */
export function bearer(scheme: "userToken" | "adminToken" | "metricsToken") {
  return [{ [scheme]: [] as string[] }];
}

/**
 * Adds a route to the document (`path` in OpenAPI's `/x/{param}` form); the route itself is
 * registered with `app.get(…)` etc. as before.
 */
export function describe(app: OpenAPIHono<ApiEnv>, route: RouteConfig): void {
  app.openAPIRegistry.registerPath(createRoute(route));
}

/** Hono's `/auth/:address` as OpenAPI's `/auth/{address}`. */
export function openApiPath(honoPath: string): string {
  return honoPath.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
}

/** Serves the document at GET /openapi.json (OpenAPI 3.1). */
export function serveOpenApi(app: OpenAPIHono<ApiEnv>): void {
  const bearer = (description: string) => ({
    type: "http" as const,
    scheme: "bearer",
    description,
  });
  app.openAPIRegistry.registerComponent(
    "securitySchemes",
    "userToken",
    bearer("the token POST /auth gives"),
  );
  app.openAPIRegistry.registerComponent("securitySchemes", "adminToken", bearer("ADMIN_TOKEN"));
  app.openAPIRegistry.registerComponent("securitySchemes", "metricsToken", bearer("METRICS_TOKEN"));
  describe(app, {
    method: "get",
    path: "/openapi.json",
    summary: "This document",
    responses: { 200: json("the OpenAPI 3.1 document") },
  });
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "connext-node HTTP API",
      version: packageJson.version,
      description:
        "The node's HTTP API. Every refusal is JSON `{ code, message }` with its HTTP status.",
    },
  });
}

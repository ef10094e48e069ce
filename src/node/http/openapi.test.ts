import { describe, expect, test } from "bun:test";
import { createApi } from "./api";
import { isDocumentedPath, openApiPath } from "./openapi";
import { publicConfigSchema } from "./publicConfigSchema";
import { signInBody } from "./routes/auth";
import { stubApiDeps } from "./testing";
import type { AdminDeps } from "./types";

const admin: AdminDeps = {
  token: "an-admin-token-of-32-characters!",
  channels: async () => [],
  payments: async () => [],
  dispute: async () => ({}),
  disputeStatus: async () => ({}),
  collateral: { list: () => ({}), set: async () => {}, remove: async () => undefined },
};

interface Document {
  openapi: string;
  info: { version: string };
  paths: Record<string, Record<string, { requestBody?: unknown }>>;
}

async function documentOf(app: ReturnType<typeof createApi>): Promise<Document> {
  const response = await app.request("/openapi.json");
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toContain("application/json");
  return (await response.json()) as Document;
}

describe("GET /openapi.json", () => {
  for (const [name, deps] of [
    ["without ADMIN_TOKEN", stubApiDeps()],
    ["with ADMIN_TOKEN and METRICS_TOKEN", stubApiDeps({ admin, metricsToken: "m".repeat(16) })],
  ] as const) {
    test(`describes every route the app registers, with its method (${name})`, async () => {
      const app = createApi(deps);
      const document = await documentOf(app);
      const registered = app.routes.filter(
        (route) => route.method !== "ALL" && isDocumentedPath(route.path),
      );
      expect(registered.length).toBeGreaterThan(8);
      for (const route of registered) {
        const path = openApiPath(route.path);
        expect({
          route: `${route.method} ${path}`,
          documented: route.method.toLowerCase() in (document.paths[path] ?? {}),
        }).toEqual({
          route: `${route.method} ${path}`,
          documented: true,
        });
      }
    });
  }

  test("the admin routes are described even when the node has no ADMIN_TOKEN", async () => {
    const document = await documentOf(createApi(stubApiDeps()));
    expect(Object.keys(document.paths["/admin/collateral/{assetId}"] ?? {}).sort()).toEqual([
      "delete",
      "put",
    ]);
  });

  test("request bodies come from the schemas the handlers validate with", async () => {
    const document = await documentOf(createApi(stubApiDeps()));
    expect(document.openapi).toBe("3.1.0");
    expect(document.info.version).toMatch(/^\d+\.\d+\.\d+/);
    const body = document.paths["/auth"]?.post?.requestBody as {
      content: { "application/json": { schema: { required: string[] } } };
    };
    const required = Object.entries(signInBody.shape)
      .filter(([, field]) => !field.safeParse(undefined).success)
      .map(([name]) => name);
    expect(body.content["application/json"].schema.required.sort()).toEqual(required.sort());
  });

  test("GET /config answers what the document says it does", async () => {
    const app = createApi(stubApiDeps());
    const body = await (await app.request("/config")).json();
    expect(publicConfigSchema.strict().safeParse(body).success).toBe(true);
  });

  test("Hono paths map to OpenAPI paths", () => {
    expect(openApiPath("/admin/channels/:channelAddress/dispute")).toBe(
      "/admin/channels/{channelAddress}/dispute",
    );
    expect(isDocumentedPath("/dashboard/channels")).toBe(false);
    expect(isDocumentedPath("/dashboardx")).toBe(true);
  });
});

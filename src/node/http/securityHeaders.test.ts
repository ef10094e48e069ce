import { describe, expect, test } from "bun:test";
import { createApi } from "./api";
import { CONTENT_SECURITY_POLICY } from "./securityHeaders";
import { stubApiDeps } from "./testing";

const app = createApi(stubApiDeps({ metricsToken: "a-long-metrics-token-123" }));

describe("security headers", () => {
  const requests: [string, string, RequestInit?][] = [
    ["the landing page", "/"],
    ["a JSON route", "/config"],
    ["the OpenAPI document", "/openapi.json"],
    ["a 404", "/dashboard-that-is-not-there"],
    ["a 401", "/metrics"],
    ["a 400", "/auth", { method: "POST", body: "not json" }],
    ["a 413", "/auth", { method: "POST", body: "x".repeat(20_000) }],
    [
      "a CORS preflight",
      "/auth",
      {
        method: "OPTIONS",
        headers: { Origin: "https://a.example", "Access-Control-Request-Method": "POST" },
      },
    ],
  ];
  for (const [what, path, init] of requests) {
    test(`are on ${what}`, async () => {
      const response = await app.request(path, init);
      expect(response.headers.get("Content-Security-Policy")).toBe(CONTENT_SECURITY_POLICY);
      expect(response.headers.get("X-Frame-Options")).toBe("DENY");
      expect(response.headers.get("X-Content-Type-Options")).toBe("nosniff");
      expect(response.headers.get("Referrer-Policy")).toBe("no-referrer");
    });
  }

  test("the policy allows no inline script and no framing", () => {
    const directives = Object.fromEntries(
      CONTENT_SECURITY_POLICY.split(";").map((part) => {
        const [name, ...values] = part.trim().split(/\s+/);
        return [name, values];
      }),
    );
    expect(directives["script-src"]).toEqual(["'self'"]);
    expect(directives["style-src"]).toEqual(["'self'"]);
    expect(CONTENT_SECURITY_POLICY).not.toContain("unsafe-inline");
    expect(CONTENT_SECURITY_POLICY).not.toContain("unsafe-eval");
    expect(directives["frame-ancestors"]).toEqual(["'none'"]);
  });

  test("the JSON API is still open to any origin (CORS unchanged)", async () => {
    const response = await app.request("/config", {
      headers: { Origin: "https://wallet.example" },
    });
    expect(response.headers.get("Access-Control-Allow-Origin")).toBe("*");
    expect(response.headers.get("Cross-Origin-Resource-Policy")).toBeNull();
  });
});

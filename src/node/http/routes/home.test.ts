import { describe, expect, test } from "bun:test";
import { createApi } from "../api";
import { stubApiDeps } from "../testing";
import { chainName } from "./home";

describe("GET /", () => {
  test("names the node and its chain and links to the dashboard, the wallet and the API", async () => {
    const deps = stubApiDeps();
    const response = await createApi(deps).request("/");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/html");
    const page = await response.text();
    expect(page).toContain(deps.config().nodeIdentifier);
    expect(page).toContain("local anvil (31337)");
    for (const href of ["/dashboard", "/wallet", "/openapi.json"]) {
      expect(page).toContain(`href="${href}"`);
    }
    expect(page).not.toContain("<script");
  });

  test("escapes what it shows", async () => {
    const deps = stubApiDeps();
    const config = { ...deps.config(), nodeIdentifier: '<script>alert("x")</script>' };
    const page = await (await createApi({ ...deps, config: () => config }).request("/")).text();
    expect(page).not.toContain("<script>");
    expect(page).toContain("&lt;script&gt;");
  });

  test("a chain without a name shows its id", () => {
    expect(chainName(1)).toBe("Ethereum (1)");
    expect(chainName(424242)).toBe("chain 424242");
  });
});

import { describe, expect, test } from "bun:test";
import { createApi } from "./api";
import { stubApiDeps } from "./testing";
import type { NodePublicConfig } from "./types";

const FORWARDED = { "X-Forwarded-Proto": "https", "X-Forwarded-Host": "node.example" };
// What app.request sends when given a path: the node's own address, as if reached directly.
const DIRECT = "http://127.0.0.1:3000";

async function wsUrl(trustProxy: boolean, headers: Record<string, string>): Promise<string> {
  const app = createApi(stubApiDeps(trustProxy ? { trustProxy } : {}));
  const response = await app.request(`${DIRECT}/config`, { headers });
  expect(response.status).toBe(200);
  return ((await response.json()) as NodePublicConfig).messagingWsUrl as string;
}

describe("TRUST_PROXY", () => {
  test("on: /config's WebSocket URL is on the origin the proxy was reached at (wss://)", async () => {
    expect(await wsUrl(true, FORWARDED)).toBe("wss://node.example/messaging");
    expect(
      await wsUrl(true, {
        "X-Forwarded-Proto": "https, http",
        "X-Forwarded-Host": "Node.Example:8443, 10.0.0.2",
      }),
    ).toBe("wss://node.example:8443/messaging");
  });

  test("on: without forwarded headers, or with malformed ones, the request's own origin", async () => {
    expect(await wsUrl(true, {})).toBe("ws://127.0.0.1:3000/messaging");
    expect(
      await wsUrl(true, { "X-Forwarded-Proto": "gopher", "X-Forwarded-Host": "evil/path@x" }),
    ).toBe("ws://127.0.0.1:3000/messaging");
    for (const host of ["node.example:99999", "...", "[::1", "a b"]) {
      expect(await wsUrl(true, { "X-Forwarded-Host": host })).toBe("ws://127.0.0.1:3000/messaging");
    }
  });

  test("off: forwarded headers are ignored (anyone can send them to a node reached directly)", async () => {
    expect(await wsUrl(false, FORWARDED)).toBe("ws://127.0.0.1:3000/messaging");
  });

  test("sign-in messages name PUBLIC_URL whatever the headers say, on or off", async () => {
    for (const trustProxy of [true, false]) {
      const app = createApi(stubApiDeps({ trustProxy }));
      const address = "0x000000000000000000000000000000000000dEaD";
      const response = await app.request(`${DIRECT}/auth/${address}`, { headers: FORWARDED });
      const { message } = (await response.json()) as { message: string };
      expect(message).toStartWith("127.0.0.1:3000 wants you to sign in");
      expect(message).not.toContain("node.example");
    }
  });

  test("c.get('origin') is set for every route", async () => {
    const app = createApi(stubApiDeps({ trustProxy: true }));
    app.get("/probe", (c) => c.text(c.get("origin")));
    // Routes added after createApi's notFound still match: Hono tries them in order.
    const response = await app.request(`${DIRECT}/probe`, { headers: FORWARDED });
    expect(await response.text()).toBe("https://node.example");
  });
});

import { expect, test } from "bun:test";
import { startRpcProxy } from "./rpcProxy";

test("the RPC proxy passes requests, fails them while cut, and passes them again", async () => {
  const upstream = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: async (request) => new Response(`${await request.text()}:${"x".repeat(200_000)}`),
  });
  const proxy = startRpcProxy(`http://127.0.0.1:${upstream.port}`);
  const call = async () => (await fetch(proxy.url, { method: "POST", body: "ping" })).text();
  expect(await call()).toStartWith("ping:");
  expect((await call()).length).toBe(5 + 200_000);
  proxy.cut();
  await expect(call()).rejects.toThrow();
  await Bun.sleep(50);
  expect(proxy.refused()).toBeGreaterThan(0);
  proxy.restore();
  expect(await call()).toStartWith("ping:");
  proxy.stop();
  await upstream.stop(true);
});

import { expect, test } from "bun:test";
import { natsUrls } from "./natsUrls";

test("NATS_URL's comma-separated servers, trimmed, empty parts dropped", () => {
  expect(natsUrls("nats://a:4222")).toEqual(["nats://a:4222"]);
  expect(natsUrls(" nats://a:4222, tls://b:4222,,nats://c:4222 ")).toEqual([
    "nats://a:4222",
    "tls://b:4222",
    "nats://c:4222",
  ]);
});

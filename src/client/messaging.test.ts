import { expect, test } from "bun:test";
import { messagingServers } from "./messaging";

test("the client connects to every server /config lists, or the one of an older node", () => {
  const cluster = ["nats://a:4222", "nats://b:4222", "nats://c:4222"];
  expect(messagingServers({ messagingUrl: "nats://a:4222", messagingUrls: cluster })).toEqual(
    cluster,
  );
  expect(messagingServers({ messagingUrl: "nats://a:4222" })).toEqual(["nats://a:4222"]);
  expect(messagingServers({ messagingUrl: "nats://a:4222", messagingUrls: [] })).toEqual([
    "nats://a:4222",
  ]);
  // The application's override wins.
  expect(
    messagingServers({ messagingUrl: "nats://a:4222", messagingUrls: cluster }, "ws://x"),
  ).toEqual(["ws://x"]);
});

import { describe, expect, test } from "bun:test";
import type { RunningNode } from "../node";
import { readyLine } from "./serve";

const node: RunningNode = {
  identifier: "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
  httpUrl: "http://127.0.0.1:3000",
  messagingUrl: "nats://127.0.0.1:4222",
  messagingUrls: ["nats://127.0.0.1:4222"],
  messagingWsUrl: "ws://127.0.0.1:3000/messaging",
  stop: async () => {},
};

describe("the ready line", () => {
  test("names the dashboard, and the admin token only when dev made it up", () => {
    expect(readyLine("start", node)).toBe(
      "connext-node start: http://127.0.0.1:3000 · messaging nats://127.0.0.1:4222 (ws://127.0.0.1:3000/messaging)",
    );
    const cluster = { ...node, messagingUrls: ["nats://a:4222", "nats://b:4222"] };
    expect(readyLine("start", cluster)).toContain(" · messaging nats://a:4222,nats://b:4222 (");
    expect(readyLine("start", node, { url: "https://node.example/dashboard" })).toEndWith(
      " · dashboard https://node.example/dashboard",
    );
    expect(
      readyLine("dev", node, { url: "http://127.0.0.1:3000/dashboard", token: "t0ken" }),
    ).toEndWith(" · dashboard http://127.0.0.1:3000/dashboard (admin token t0ken)");
  });
});

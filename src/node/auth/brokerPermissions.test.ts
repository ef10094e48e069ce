import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import {
  InvalidArgumentError,
  type Msg,
  type NatsConnection,
  PermissionViolationError,
  RequestError,
} from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { Wallet } from "ethers";
import { MAX_MESSAGE_BYTES, MAX_RESTORE_BYTES } from "../../protocol/schemas";
import { type Broker, startBroker } from "../messaging/broker";
import { NODE_LIMITS, nodePermissions, USER_LIMITS, userPermissions } from "./brokerPermissions";
import { testMessagingCredentials } from "./testing";

const nodeWallet = Wallet.createRandom();
const node = nodeWallet.address;
const n = node.toLowerCase();
let t = Date.now();
const creds = testMessagingCredentials(nodeWallet.privateKey, () => t);
const alice = Wallet.createRandom().address;
const bob = Wallet.createRandom().address;
const a = alice.toLowerCase();
const b = bob.toLowerCase();
const c = Wallet.createRandom().address.toLowerCase();

let broker: Broker;
const open: NatsConnection[] = [];

async function as(address: string, options: Record<string, unknown> = {}) {
  const nc = await connect({
    servers: broker.url,
    ...(await creds.as(address)),
    inboxPrefix: `_inbox.${address.toLowerCase()}`,
    ...options,
  });
  open.push(nc);
  return nc;
}

/** The next asynchronous error the connection reports (publish violations arrive so). */
function nextError(nc: NatsConnection): Promise<Error> {
  return (async () => {
    for await (const s of nc.status()) if (s.type === "error") return s.error;
    throw new Error("closed without an error");
  })();
}

/** What a subscription ends with: the violation that refused it. */
async function subscriptionError(nc: NatsConnection, subject: string): Promise<unknown> {
  const sub = nc.subscribe(subject);
  try {
    for await (const _ of sub) {
      // nothing can arrive
    }
    return "ended without an error";
  } catch (error) {
    return error;
  }
}

beforeAll(async () => {
  broker = await startBroker({ authenticate: creds.authenticate });
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((nc) => nc.close().catch(() => undefined)));
});
afterAll(() => broker.stop());

describe("permission sets", () => {
  test("a user: publish to its node as itself, vouchers to anyone as itself, to its inboxes, and answers to what it is asked; subscribe to its own; replies to its inboxes", () => {
    expect(userPermissions(node, alice)).toEqual({
      publish: {
        allow: [`connext.${n}.${a}.>`, `connext.*.${a}.voucher`, `_inbox.${a}.>`],
        allowResponses: true,
      },
      subscribe: { allow: [`connext.${a}.>`, `_inbox.${a}.>`] },
      reply: { allow: [`_inbox.${a}.>`] },
    });
    expect(nodePermissions()).toEqual({
      publish: { allow: [">"] },
      subscribe: { allow: [">"] },
      reply: { allow: [">"] },
    });
  });

  test("a user's limits fit the protocol's messages; the node's are off the budget", () => {
    // A user sends protocol messages only; the largest it receives is a restore reply.
    expect(USER_LIMITS.maxPayload).toBe(MAX_MESSAGE_BYTES);
    expect(USER_LIMITS.maxPendingBytes).toBeGreaterThanOrEqual(
      MAX_RESTORE_BYTES + MAX_MESSAGE_BYTES,
    );
    expect(NODE_LIMITS).toEqual({ maxSubscriptions: 0, maxConnections: 0, exemptFromBudget: true });
  });
});

describe("on a real broker with the official client", () => {
  test("a user requests its node (inboxes under _inbox.<user>) and hears what is sent to it", async () => {
    const hub = await as(node);
    hub.subscribe(`connext.${n}.*.>`, {
      callback: (_e, m) => {
        m.respond(`node got ${m.string()} on ${m.subject}`);
      },
    });
    await hub.flush();

    const user = await as(alice);
    const reply = await user.request(`connext.${n}.${a}.setup`, "hi", { timeout: 2000 });
    expect(reply.string()).toBe(`node got hi on connext.${n}.${a}.setup`);

    const inbound = user.subscribe(`connext.${a}.>`, { max: 1 });
    await user.flush();
    hub.publish(`connext.${a}.${n}.transfer`, "for alice");
    for await (const m of inbound) expect(m.string()).toBe("for alice");
  });

  test("the node requests a user, with a reply subject in the user's inbox space", async () => {
    const hub = await as(node);
    const user = await as(alice);
    user.subscribe(`connext.${a}.${n}.>`, {
      callback: (_e, m) => {
        m.respond(`alice answers ${m.string()}`);
      },
    });
    await user.flush();
    const reply = await hub.request(`connext.${a}.${n}.create`, "proposal", {
      timeout: 2000,
      noMux: true,
      reply: `_inbox.${a}.node.${Date.now()}`,
    });
    expect(reply.string()).toBe("alice answers proposal");
  });

  test("publishing as another user, or to another user, is a permissions violation", async () => {
    const user = await as(alice);
    for (const subject of [`connext.${n}.${b}.setup`, `connext.${b}.${a}.hello`, `_inbox.${b}.x`]) {
      const reported = nextError(user);
      user.publish(subject, "forged");
      const error = await reported;
      expect(error).toBeInstanceOf(PermissionViolationError);
      expect(String(error)).toContain(`Permissions Violation for Publish to "${subject}"`);
    }
    expect(user.isClosed()).toBe(false);
  });

  test("a voucher: the payer requests the payee directly, the payee answers once into the payer's inbox", async () => {
    const payer = await as(alice);
    const payee = await as(bob);
    const requests: Msg[] = [];
    payee.subscribe(`connext.${b}.>`, {
      callback: (_e, m) => {
        requests.push(m);
        m.respond(`paid: ${m.string()}`);
      },
    });
    await payee.flush();
    const landed: string[] = [];
    payer.subscribe(`_inbox.${a}.>`, { callback: (_e, m) => void landed.push(m.string()) });
    await payer.flush();

    const answer = await payer.request(`connext.${b}.${a}.voucher`, "v1", { timeout: 2000 });
    expect(answer.string()).toBe("paid: v1");
    expect(answer.subject.startsWith(`_inbox.${a}.`)).toBe(true);
    const [request] = requests as [Msg];
    expect(request.subject).toBe(`connext.${b}.${a}.voucher`);
    expect(request.reply).toBe(answer.subject);

    // The payee cannot answer twice, nor publish into the payer's inbox unprompted.
    for (const [subject, send] of [
      [answer.subject, () => request.respond("paid twice")],
      [`_inbox.${a}.forged`, () => payee.publish(`_inbox.${a}.forged`, "forged")],
    ] as const) {
      const reported = nextError(payee);
      send();
      const error = await reported;
      expect(error).toBeInstanceOf(PermissionViolationError);
      expect(String(error)).toContain(`Permissions Violation for Publish to "${subject}"`);
    }

    // The payer cannot send a voucher as someone else, nor read the payee's subjects.
    const reported = nextError(payer);
    payer.publish(`connext.${b}.${c}.voucher`, "as carol");
    expect(String(await reported)).toContain(
      `Permissions Violation for Publish to "connext.${b}.${c}.voucher"`,
    );
    const refused = await subscriptionError(payer, `connext.${b}.>`);
    expect(refused).toBeInstanceOf(PermissionViolationError);

    await payee.flush();
    await payer.flush();
    expect(landed).toEqual(["paid: v1"]);
    expect(requests.map((m) => m.string())).toEqual(["v1"]);
    expect(payer.isClosed() || payee.isClosed()).toBe(false);
  });

  test("subscribing to another user's subjects or inbox, or to everything, is refused", async () => {
    const user = await as(alice);
    for (const subject of [`connext.${b}.>`, `connext.${n}.>`, `_inbox.${b}.>`, ">", "_INBOX.>"]) {
      const error = await subscriptionError(user, subject);
      expect(error).toBeInstanceOf(PermissionViolationError);
      expect((error as PermissionViolationError).operation).toBe("subscription");
    }
  });

  test("a user that keeps the default _INBOX prefix cannot get a reply: its inbox subscription is refused", async () => {
    const hub = await as(node);
    hub.subscribe(`connext.${n}.*.>`, { callback: (_e, m) => void m.respond("pong") });
    await hub.flush();
    const careless = await as(alice, { inboxPrefix: "_INBOX" });
    const outcome = await careless
      .request(`connext.${n}.${a}.ping`, "ping", { timeout: 1000 })
      .then(
        (m) => m.string(),
        (error: unknown) => error,
      );
    expect(outcome).toBeInstanceOf(RequestError);
    expect(String(outcome)).toContain('Permissions Violation for Subscription to "_INBOX.');
  });

  test("no credentials, a token, a password or an expired JWT cannot connect", async () => {
    const attempt = (options: Record<string, unknown>) =>
      connect({ servers: broker.url, reconnect: false, ...options }).then(
        (nc) => {
          open.push(nc);
          return "connected";
        },
        (error: unknown) => String(error),
      );
    const expired = await creds.as(alice, t + 1000);
    t += 86_400_000;
    try {
      for (const options of [{}, { token: "nope" }, { user: alice, pass: "x" }, expired]) {
        expect(await attempt(options)).toContain("Authorization Violation");
      }
      expect(await attempt(await creds.as(alice))).toBe("connected");
    } finally {
      t -= 86_400_000;
    }
  });
  test("a reply subject outside the user's inbox is a permissions violation, and nothing is delivered", async () => {
    const hub = await as(node);
    const received: string[] = [];
    hub.subscribe(`connext.${n}.*.*`, { callback: (_e, m) => void received.push(m.string()) });
    await hub.flush();
    const user = await as(alice);
    // Bob's inbox, a node request subject (the answer would pass for Bob's request), a subject
    // of Bob's (the answer would pass for the node's proposal to him).
    for (const reply of [`_inbox.${b}.x`, `connext.${n}.${b}.update`, `connext.${b}.${n}.update`]) {
      const reported = nextError(user);
      user.publish(`connext.${n}.${a}.restore`, "reflect", { reply });
      const error = await reported;
      expect(error).toBeInstanceOf(PermissionViolationError);
      expect(String(error)).toContain(`Permissions Violation for Publish with Reply of "${reply}"`);
    }
    user.publish(`connext.${n}.${a}.restore`, "honest", { reply: `_inbox.${a}.mine` });
    await user.flush();
    await hub.flush();
    expect(received).toEqual(["honest"]);
    expect(user.isClosed()).toBe(false);
  });

  test("a user's client is told 64 KiB and refuses more itself; the node sends it a 1 MiB restore", async () => {
    const hub = await as(node);
    expect(hub.info?.max_payload).toBe(1024 * 1024);
    hub.subscribe(`connext.${n}.*.restore`, {
      callback: (_e, m) => void m.respond(new Uint8Array(MAX_RESTORE_BYTES).fill(123)),
    });
    await hub.flush();
    const user = await as(alice);
    expect(user.info?.max_payload).toBe(MAX_MESSAGE_BYTES);
    expect(() =>
      user.publish(`connext.${n}.${a}.update`, new Uint8Array(MAX_MESSAGE_BYTES + 1)),
    ).toThrow(InvalidArgumentError);
    const reply = await user.request(
      `connext.${n}.${a}.restore`,
      new Uint8Array(MAX_MESSAGE_BYTES),
      {
        timeout: 5000,
      },
    );
    expect(reply.data.length).toBe(MAX_RESTORE_BYTES);
  });

  test("a user holds at most 8 connections (the node any number); the 9th is refused", async () => {
    for (let i = 0; i < USER_LIMITS.maxConnections; i++) await as(alice);
    const ninth = await connect({
      servers: broker.url,
      ...(await creds.as(alice)),
      reconnect: false,
    }).then(
      (nc) => {
        open.push(nc);
        return "connected";
      },
      (error: unknown) => String(error),
    );
    expect(ninth).toContain("maximum account active connections exceeded");
    await as(bob);
    for (let i = 0; i < USER_LIMITS.maxConnections + 2; i++) await as(node);
  });

  test("a user connection holds at most 64 subscriptions; the next is refused with -ERR", async () => {
    const user = await as(alice);
    for (let i = 0; i < USER_LIMITS.maxSubscriptions; i++) user.subscribe(`connext.${a}.s.${i}`);
    await user.flush();
    const reported = nextError(user);
    user.subscribe(`connext.${a}.s.over`);
    expect(String(await reported)).toContain("maximum subscriptions exceeded");
    expect(user.isClosed()).toBe(false);
  });
});

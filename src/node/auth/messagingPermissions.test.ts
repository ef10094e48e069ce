import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jwtAuthenticator, type NatsConnection } from "@nats-io/nats-core";
import { createUser } from "@nats-io/nkeys";
import { connect } from "@nats-io/transport-node";
import { Wallet } from "ethers";
import { MAX_MESSAGE_BYTES } from "../../protocol/schemas";
import { runCli } from "../cli/run";
import { startBroker } from "../messaging/broker";
import { RawClient } from "../messaging/broker/conformance/raw";
import {
  NATS_SERVER_BIN,
  NATS_SERVER_MISSING,
  startNatsServer,
} from "../messaging/testing/natsServer";
import { USER_LIMITS, userPermissions } from "./brokerPermissions";
import { issueUserJwt } from "./natsJwt";
import { natsKeysFromPrivateKey } from "./natsKeys";
import { testMessagingCredentials } from "./testing";

/**
 * Issue 17 §1: one permission matrix, run against the embedded broker and against nats-server
 * started with the configuration `connext-node nats-config` writes. Both accept the same
 * credentials (a user JWT of the node's account, the nkey's signature over the nonce) and
 * enforce the same permissions; the one difference is named in its row.
 */

const nodeWallet = Wallet.createRandom();
const creds = testMessagingCredentials(nodeWallet.privateKey);
const node = nodeWallet.address;
const n = node.toLowerCase();
const alice = Wallet.createRandom().address;
const bob = Wallet.createRandom().address;
const a = alice.toLowerCase();
const b = bob.toLowerCase();

interface Server {
  url: string;
  port: number;
  stop(): Promise<void>;
}

type ServerName = "embedded broker" | "nats-server (nats-config)";

const SERVERS: [ServerName, string | undefined, () => Promise<Server>][] = [
  [
    "embedded broker",
    undefined,
    async () => {
      const broker = await startBroker({ authenticate: creds.authenticate });
      return { url: broker.url, port: broker.port, stop: () => broker.stop() };
    },
  ],
  [
    "nats-server (nats-config)",
    NATS_SERVER_BIN === null ? NATS_SERVER_MISSING : undefined,
    async () => {
      const dir = await mkdtemp(join(tmpdir(), "connext-nats-config-"));
      const file = join(dir, "nats.conf");
      const quiet = { stdout: () => {}, stderr: () => {} };
      const code = await runCli(
        ["nats-config", "--out", file],
        { NODE_PRIVATE_KEY: nodeWallet.privateKey, LOG_LEVEL: "silent" },
        quiet,
      );
      if (code !== 0) throw new Error(`nats-config exited ${code}`);
      const server = await startNatsServer({ configFile: file });
      return {
        url: server.url,
        port: Number(new URL(server.url).port),
        async stop() {
          await server.stop();
          await rm(dir, { recursive: true, force: true });
        },
      };
    },
  ],
];

/** What one row can do on the server under test. */
interface World {
  server: Server;
  /** Connected as `address` with the credentials sign-in gives (the node's for the node). */
  as(address: string): Promise<NatsConnection>;
  /** Connects with these options; "connected" or the error's text. */
  attempt(options: Record<string, unknown>): Promise<string>;
}

/** Whether a message `sender` publishes reaches a subscription of `receiver` to `pattern`. */
async function arrives(
  receiver: NatsConnection,
  pattern: string,
  sender: NatsConnection,
  subject: string,
  reply?: string,
  payload: string | Uint8Array = "probe",
): Promise<"delivered" | "not delivered"> {
  let got = 0;
  receiver.subscribe(pattern, { callback: (error) => void (error ? 0 : got++) });
  await receiver.flush();
  try {
    sender.publish(subject, payload, reply === undefined ? {} : { reply });
  } catch {
    // The client refused it itself (a payload over the limit it was told).
    return "not delivered";
  }
  // The server routes a PUB before it answers the PING behind it; then the receiver's PING
  // comes back after the message.
  await sender.flush().catch(() => undefined);
  await Bun.sleep(20);
  await receiver.flush();
  return got > 0 ? "delivered" : "not delivered";
}

async function publishes(w: World, as: string, subject: string, reply?: string, size?: number) {
  const hub = await w.as(node);
  const payload = size === undefined ? "probe" : new Uint8Array(size);
  return arrives(hub, ">", await w.as(as), subject, reply, payload);
}

async function subscribes(w: World, as: string, pattern: string, probe: string) {
  return arrives(await w.as(as), pattern, await w.as(node), probe);
}

/** Whether the last of `count` subscriptions of a user to its own subjects still receives. */
async function nthSubscription(w: World, count: number): Promise<string> {
  const user = await w.as(alice);
  for (let i = 1; i < count; i++) user.subscribe(`connext.${a}.s.${i}`);
  await user.flush();
  return arrives(user, `connext.${a}.s.last`, await w.as(node), `connext.${a}.s.last`);
}

/** Answers the payer's voucher request as the payee, `times` times; how many reach the payer. */
async function voucherAnswers(w: World, times: number): Promise<string> {
  const payer = await w.as(alice);
  const payee = await w.as(bob);
  payee.subscribe(`connext.${b}.${a}.voucher`, {
    callback: (_error, msg) => {
      for (let i = 0; i < times; i++) msg.respond(`answer ${i}`);
    },
  });
  await payee.flush();
  let answers = 0;
  payer.subscribe(`_inbox.${a}.voucher`, { callback: () => void answers++ });
  await payer.flush();
  payer.publish(`connext.${b}.${a}.voucher`, "voucher", { reply: `_inbox.${a}.voucher` });
  await payer.flush();
  await Bun.sleep(50);
  await payee.flush();
  await payer.flush();
  return `answers: ${answers}`;
}

/** A CONNECT by hand: `fields(nonce)` are its credentials; "connected" or the server's -ERR. */
async function rawConnect(
  w: World,
  fields: (nonce: string) => Record<string, unknown>,
): Promise<string> {
  const raw = await RawClient.open(w.server.port, { connect: false });
  try {
    raw.mark();
    const connectFields = { verbose: false, pedantic: false, protocol: 1, headers: true };
    raw.write(
      `CONNECT ${JSON.stringify({ ...connectFields, ...fields(String(raw.info.nonce)) })}\r\nPING\r\n`,
    );
    await raw.waitFor(/PONG\r\n|-ERR[^\r]*\r\n/, 3000, "an answer to CONNECT");
    return raw.sinceMark.includes("PONG") ? "connected" : (raw.errLines()[0] ?? "closed");
  } finally {
    raw.end();
  }
}

const VIOLATION = "-ERR 'Authorization Violation'";

interface Row {
  name: string;
  run(w: World): Promise<string>;
  expected: string;
  /** Where nats-server differs, and why that is safe. */
  natsServer?: string;
}

const MATRIX: Row[] = [
  // Publishing: as itself only; to its node any method, to another user vouchers only.
  {
    name: "a user publishes to its node as itself",
    run: (w) => publishes(w, alice, `connext.${n}.${a}.update`),
    expected: "delivered",
  },
  {
    name: "a user publishes to its node as another user",
    run: (w) => publishes(w, alice, `connext.${n}.${b}.update`),
    expected: "not delivered",
  },
  {
    name: "a user sends a voucher to another user as itself",
    run: (w) => publishes(w, alice, `connext.${b}.${a}.voucher`),
    expected: "delivered",
  },
  {
    name: "a user sends another user anything but a voucher",
    run: (w) => publishes(w, alice, `connext.${b}.${a}.update`),
    expected: "not delivered",
  },
  {
    name: "a user publishes as the node to another user",
    run: (w) => publishes(w, alice, `connext.${b}.${n}.update`),
    expected: "not delivered",
  },
  {
    name: "a user publishes a voucher as another user",
    run: (w) => publishes(w, alice, `connext.${n}.${b}.voucher`),
    expected: "not delivered",
  },
  {
    name: "a user publishes into its own inbox",
    run: (w) => publishes(w, alice, `_inbox.${a}.x`),
    expected: "delivered",
  },
  {
    name: "a user publishes into another user's inbox unprompted",
    run: (w) => publishes(w, alice, `_inbox.${b}.x`),
    expected: "not delivered",
  },
  {
    name: "a user publishes outside the project's subjects",
    run: (w) => publishes(w, alice, "elsewhere"),
    expected: "not delivered",
  },
  {
    name: "the node publishes to any user and any inbox",
    run: async (w) =>
      `${await publishes(w, node, `connext.${a}.${n}.update`)}, ${await publishes(w, node, `_inbox.${b}.x`)}`,
    expected: "delivered, delivered",
  },
  // Subscribing: only to what is addressed to the user, and its own inboxes.
  {
    name: "a user subscribes to its own subjects",
    run: (w) => subscribes(w, alice, `connext.${a}.>`, `connext.${a}.${n}.update`),
    expected: "delivered",
  },
  {
    name: "a user subscribes to its own subjects with * inside them",
    run: (w) => subscribes(w, alice, `connext.${a}.*.*`, `connext.${a}.${n}.update`),
    expected: "delivered",
  },
  {
    name: "a user subscribes to another user's subjects",
    run: (w) => subscribes(w, alice, `connext.${b}.>`, `connext.${b}.${n}.update`),
    expected: "not delivered",
  },
  {
    name: "a user subscribes to everything (>)",
    run: (w) => subscribes(w, alice, ">", `connext.${b}.${n}.update`),
    expected: "not delivered",
  },
  {
    name: "a user subscribes to every user's subjects (connext.*.>)",
    run: (w) => subscribes(w, alice, "connext.*.>", `connext.${b}.${n}.update`),
    expected: "not delivered",
  },
  {
    name: "a user subscribes to the vouchers it did not send (connext.*.<other>.voucher)",
    run: (w) => subscribes(w, alice, `connext.*.${b}.voucher`, `connext.${n}.${b}.voucher`),
    expected: "not delivered",
  },
  {
    name: "a user snoops on the default inboxes (_INBOX.>)",
    run: (w) => subscribes(w, alice, "_INBOX.>", "_INBOX.abc.1"),
    expected: "not delivered",
  },
  {
    name: "a user snoops on another user's inbox (_inbox.<other>.>)",
    run: (w) => subscribes(w, alice, `_inbox.${b}.>`, `_inbox.${b}.1`),
    expected: "not delivered",
  },
  {
    name: "a user subscribes to its own inbox",
    run: (w) => subscribes(w, alice, `_inbox.${a}.>`, `_inbox.${a}.1`),
    expected: "delivered",
  },
  // Request/reply.
  {
    name: "a user asks its node with the reply in its own inbox",
    run: (w) => publishes(w, alice, `connext.${n}.${a}.ping`, `_inbox.${a}.r`),
    expected: "delivered",
  },
  {
    name: "a user asks its node with the reply in another user's inbox",
    run: (w) => publishes(w, alice, `connext.${n}.${a}.ping`, `_inbox.${b}.r`),
    expected: "not delivered",
    natsServer:
      "delivered: nats-server has no rule on reply subjects; the node drops a request whose reply is outside the sender's inbox (NodeMessaging)",
  },
  {
    name: "a payee answers a voucher once into the payer's inbox",
    run: (w) => voucherAnswers(w, 1),
    expected: "answers: 1",
  },
  {
    name: "a payee answers a voucher twice: only the first gets through",
    run: (w) => voucherAnswers(w, 2),
    expected: "answers: 1",
  },
  // Limits the JWT carries.
  {
    name: "a user publishes the largest protocol message, then one byte more",
    run: async (w) =>
      `${await publishes(w, alice, `connext.${n}.${a}.update`, undefined, MAX_MESSAGE_BYTES)}, ${await publishes(w, alice, `connext.${n}.${a}.update`, undefined, MAX_MESSAGE_BYTES + 1)}`,
    expected: "delivered, not delivered",
  },
  {
    name: "a user's 64th subscription, then its 65th",
    run: async (w) =>
      `${await nthSubscription(w, USER_LIMITS.maxSubscriptions)}, ${await nthSubscription(w, USER_LIMITS.maxSubscriptions + 1)}`,
    expected: "delivered, not delivered",
  },
  // Credentials.
  {
    name: "the credentials sign-in gives",
    run: async (w) => w.attempt(await creds.as(alice)),
    expected: "connected",
  },
  {
    name: "no credentials",
    run: (w) => w.attempt({}),
    expected: "Authorization Violation",
  },
  {
    name: "a token",
    run: (w) => w.attempt({ token: "a-token" }),
    expected: "Authorization Violation",
  },
  {
    name: "an expired JWT",
    run: async (w) => w.attempt(await creds.as(alice, Date.now() - 1000)),
    expected: "Authorization Violation",
  },
  {
    name: "a connection whose JWT expires is closed, with the reason",
    run: async (w) => {
      // The JWT holds whole seconds: it runs out 1–2 s from now.
      const nc = await connect({
        servers: w.server.url,
        ...(await creds.as(alice, Date.now() + 2000)),
        reconnect: false,
      });
      const closed = await Promise.race([
        nc.closed().then((error) => `closed: ${String(error)}`),
        Bun.sleep(6000).then(() => "still open"),
      ]);
      await nc.close();
      return closed.includes("User Authentication Expired") ? "closed: expired" : closed;
    },
    expected: "closed: expired",
  },
  {
    name: "a JWT of another node's account",
    run: async (w) =>
      w.attempt(await testMessagingCredentials(Wallet.createRandom().privateKey).as(alice)),
    expected: "Authorization Violation",
  },
  {
    name: "a JWT signed by another account's key naming this account",
    run: async (w) => {
      const other = natsKeysFromPrivateKey(Wallet.createRandom().privateKey);
      const user = createUser();
      const jwt = await issueUserJwt(
        { ...other, account: creds.keys.account },
        {
          name: alice,
          nkey: user.getPublicKey(),
          permissions: userPermissions(node, alice),
          limits: USER_LIMITS,
          expiresAt: Date.now() + 60_000,
        },
      );
      return w.attempt({ authenticator: jwtAuthenticator(jwt, user.getSeed()) });
    },
    expected: "Authorization Violation",
  },
  {
    name: "a genuine JWT with another nkey's signature over the nonce",
    run: async (w) => {
      const { jwt } = await creds.credentials(alice);
      return w.attempt({ authenticator: jwtAuthenticator(jwt, createUser().getSeed()) });
    },
    expected: "Authorization Violation",
  },
  {
    name: "a genuine JWT with its nkey's signature over another nonce",
    run: async (w) => {
      const { connect: fields } = await creds.credentials(alice);
      return rawConnect(w, () => fields("not-the-nonce"));
    },
    expected: VIOLATION,
  },
  {
    name: "a genuine JWT with its nkey's signature over the nonce, by hand",
    run: async (w) => rawConnect(w, (await creds.credentials(alice)).connect),
    expected: "connected",
  },
];

for (const [name, skipReason, start] of SERVERS) {
  describe.skipIf(skipReason !== undefined)(`messaging permissions on the ${name}`, () => {
    let server: Server;
    const open: NatsConnection[] = [];
    const world: World = {
      get server() {
        return server;
      },
      async as(address) {
        const nc = await connect({
          servers: server.url,
          ...(await creds.as(address)),
          inboxPrefix: `_inbox.${address.toLowerCase()}`,
          reconnect: false,
        });
        open.push(nc);
        return nc;
      },
      attempt(options) {
        return connect({ servers: server.url, reconnect: false, ...options }).then(
          (nc) => {
            open.push(nc);
            return "connected";
          },
          (error: unknown) =>
            String(error).includes("Authorization Violation")
              ? "Authorization Violation"
              : String(error),
        );
      },
    };

    beforeAll(async () => {
      server = await start();
    });
    afterEach(async () => {
      await Promise.all(open.splice(0).map((nc) => nc.close().catch(() => undefined)));
    });
    afterAll(() => server?.stop());

    for (const row of MATRIX) {
      const expected =
        name === "nats-server (nats-config)" && row.natsServer
          ? (row.natsServer.split(":")[0] as string)
          : row.expected;
      test(`${row.name}: ${expected}`, async () => {
        expect(await row.run(world)).toBe(expected);
      });
    }
  });
}

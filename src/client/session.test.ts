import { afterAll, beforeAll, expect, test } from "bun:test";
import { Wallet } from "ethers";
import pino from "pino";
import { authSecretFromPrivateKey, createAuth, createSignIn } from "../node/auth";
import { createApi } from "../node/http/api";
import { type HttpServer, startHttpServer } from "../node/http/server";
import { createMetrics } from "../node/metrics";
import { type Database, openDatabase } from "../node/store/database";
import { IdentityRepository } from "../node/store/identities";
import { NodeApi } from "./nodeApi";
import { Session } from "./session";

/** A node's real sign-in API with two-second tokens, to watch a session renew itself. */
const node = Wallet.createRandom();
const secret = authSecretFromPrivateKey(node.privateKey);
const auth = createAuth({ secret, tokenTtlSeconds: 2 });
const signIn = createSignIn({
  secret,
  site: () => ({ node: node.address, chainId: 1, publicUrl: server.url }),
});
let database: Database;
let server: HttpServer;

beforeAll(async () => {
  database = await openDatabase();
  const app = createApi({
    config: () => ({
      nodeIdentifier: node.address,
      chainId: 1,
      contractAddresses: {
        channelFactory: node.address,
        channelMastercopy: node.address,
        transferRegistry: node.address,
        hashlockTransfer: node.address,
        withdraw: node.address,
      },
      supportedAssets: [],
      messagingUrl: "nats://127.0.0.1:4222",
      protocolVersion: "1",
    }),
    auth,
    signIn,
    identities: new IdentityRepository(database.db),
    reads: { channel: async () => undefined, transfers: async () => [], payments: async () => [] },
    health: async () => ({ ok: true, checks: {} }),
    metrics: createMetrics(),
    logger: pino({ level: "silent" }),
  });
  server = startHttpServer({ app, host: "127.0.0.1", port: 0 });
});

afterAll(async () => {
  await server.stop();
  await database.close();
});

test("a session renews its token before it expires, and stops renewing when stopped", async () => {
  const user = Wallet.createRandom();
  const session = await Session.open(new NodeApi(server.url), user.address, (m) =>
    user.signMessage(m),
  );
  const first = session.token;
  expect(auth.verifyToken(first)).toBe(user.address);
  await Bun.sleep(1_400);
  const renewed = session.token;
  expect(renewed).not.toBe(first);
  expect(auth.verifyToken(renewed)).toBe(user.address);
  session.stop();
  await Bun.sleep(1_400);
  expect(session.token).toBe(renewed);
});

import { afterAll, beforeAll, expect, test } from "bun:test";
import { decode } from "@nats-io/jwt";
import { fromSeed } from "@nats-io/nkeys";
import { Wallet } from "ethers";
import pino from "pino";
import { ManualClock } from "../clock";
import {
  authSecretFromPrivateKey,
  createAuth,
  createSignIn,
  issueUserMessagingJwt,
  natsKeysFromPrivateKey,
} from "../node/auth";
import { createApi } from "../node/http/api";
import { type HttpServer, startHttpServer } from "../node/http/server";
import { createMetrics } from "../node/metrics";
import { type Database, openDatabase } from "../node/store/database";
import { IdentityRepository } from "../node/store/identities";
import { NodeApi } from "./nodeApi";
import { Session } from "./session";

/** A node's real sign-in API with one-hour tokens; the session's clock is the test's. */
const node = Wallet.createRandom();
const secret = authSecretFromPrivateKey(node.privateKey);
const auth = createAuth({ secret, tokenTtlSeconds: 3600 });
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
        threadTransfer: node.address,
      },
      supportedAssets: [],
      messagingUrl: "nats://127.0.0.1:4222",
      protocolVersion: "1",
    }),
    auth,
    signIn,
    messagingJwt: (user, nkey, expiresAt) =>
      issueUserMessagingJwt(
        natsKeysFromPrivateKey(node.privateKey),
        node.address,
        user,
        nkey,
        expiresAt,
      ),
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

test("a session renews its token and messaging JWT halfway through their life, and stops renewing when stopped", async () => {
  const user = Wallet.createRandom();
  const clock = new ManualClock(Date.now());
  const api = new NodeApi(server.url);
  const signIn = api.session.bind(api);
  let signIns = 0;
  api.session = (...args) => {
    signIns++;
    return signIn(...args);
  };
  const session = await Session.open(api, user.address, (m) => user.signMessage(m), clock);
  expect(signIns).toBe(1);
  expect(auth.verifyToken(session.token)).toBe(user.address);
  const nkey = fromSeed(session.nkeySeed()).getPublicKey();
  const first = session.jwt;
  expect(decode(first).sub).toBe(nkey);
  // Not yet: a minute short of half the token's hour.
  clock.advance(29 * 60_000);
  expect(signIns).toBe(1);
  // Half its life (and the moments the sign-in took): the renewal goes out.
  clock.advance(2 * 60_000);
  expect(signIns).toBe(2);
  while (clock.pending === 0) await Bun.sleep(1); // the next renewal is scheduled
  expect(auth.verifyToken(session.token)).toBe(user.address);
  // The renewed JWT is for the same nkey (the seed never leaves the client).
  expect(decode(session.jwt).sub).toBe(nkey);
  // Once stopped, no time brings another.
  session.stop();
  expect(clock.pending).toBe(0);
  clock.advance(24 * 3600_000);
  expect(signIns).toBe(2);
});

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Wallet } from "ethers";
import pino from "pino";
import { authSecretFromPrivateKey, createAuth, createSignIn } from "../node/auth";
import { createApi } from "../node/http/api";
import { type HttpServer, startHttpServer } from "../node/http/server";
import { createMetrics } from "../node/metrics";
import { type Database, openDatabase } from "../node/store/database";
import { IdentityRepository } from "../node/store/identities";
import { isClientError } from "./errors";
import { checkSignInMessage, NodeApi } from "./nodeApi";

/**
 * The client checks the sign-in message before it signs: a real node's sign-in API, and a
 * phishing site in front of it that relays the node's answers as they are.
 */
const node = Wallet.createRandom();
const secret = authSecretFromPrivateKey(node.privateKey);
const CHAIN_ID = 31337;
/** What the node's sign-in says; a test may change it to play a misconfigured or lying node. */
let signInChain = CHAIN_ID;
let database: Database;
let server: HttpServer;
let phisher: ReturnType<typeof Bun.serve>;

beforeAll(async () => {
  database = await openDatabase();
  const app = createApi({
    config: () => ({
      nodeIdentifier: node.address,
      chainId: CHAIN_ID,
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
    auth: createAuth({ secret }),
    signIn: createSignIn({
      secret,
      site: () => ({ node: node.address, chainId: signInChain, publicUrl: server.url }),
    }),
    identities: new IdentityRepository(database.db),
    reads: { channel: async () => undefined, transfers: async () => [], payments: async () => [] },
    health: async () => ({ ok: true, checks: {} }),
    metrics: createMetrics(),
    logger: pino({ level: "silent" }),
  });
  server = startHttpServer({ app, host: "127.0.0.1", port: 0 });
  phisher = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: (request) => {
      const { pathname } = new URL(request.url);
      return fetch(`${server.url}${pathname}`, {
        method: request.method,
        headers: request.headers,
        body: request.body,
      });
    },
  });
});

afterAll(async () => {
  await phisher.stop(true);
  await server.stop();
  await database.close();
});

/** Signs whatever it is given, and remembers that it did. */
function recordingSigner(wallet = Wallet.createRandom()) {
  const signed: string[] = [];
  return {
    wallet,
    signed,
    sign: (message: string) => {
      signed.push(message);
      return wallet.signMessage(message);
    },
  };
}

async function refusal(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
    return "no error";
  } catch (error) {
    return isClientError(error) ? error.code : String(error);
  }
}

describe("signing in through NodeApi", () => {
  test("the node's own message, for the URL the client was given, is signed once", async () => {
    const { wallet, signed, sign } = recordingSigner();
    for (const url of [server.url, `${server.url}/`]) {
      const { token } = await new NodeApi(url).session(wallet.address, sign);
      expect(createAuth({ secret }).verifyToken(token)).toBe(wallet.address);
    }
    expect(signed).toHaveLength(2);
    expect(signed[0]).toStartWith(`${new URL(server.url).host} wants you to sign in`);
  });

  test("through a phishing site relaying the node: WRONG_DOMAIN, nothing signed", async () => {
    const { wallet, signed, sign } = recordingSigner();
    const api = new NodeApi(`http://127.0.0.1:${phisher.port}`);
    // The relay answers like the node itself…
    expect((await api.config()).nodeIdentifier).toBe(node.address);
    // …but its message names the node's site, not the one the client was sent to.
    expect(await refusal(() => api.session(wallet.address, sign))).toBe("WRONG_DOMAIN");
    expect(signed).toEqual([]);
  });

  test("a message for another chain than the node's config: WRONG_CHAIN, nothing signed", async () => {
    const { wallet, signed, sign } = recordingSigner();
    signInChain = 1;
    try {
      expect(await refusal(() => new NodeApi(server.url).session(wallet.address, sign))).toBe(
        "WRONG_CHAIN",
      );
    } finally {
      signInChain = CHAIN_ID;
    }
    expect(signed).toEqual([]);
  });
});

describe("checkSignInMessage", () => {
  const user = Wallet.createRandom().address;
  const nodeUrl = "https://node.example";
  const expected = { nodeUrl, chainId: 1, node: node.address, user };
  const message = createSignIn({
    secret,
    site: () => ({ node: node.address, chainId: 1, publicUrl: nodeUrl }),
  }).issue(user).message;

  function verdict(text: string, overrides: Partial<typeof expected> = {}): string {
    try {
      checkSignInMessage(text, { ...expected, ...overrides });
      return "no error";
    } catch (error) {
      return isClientError(error) ? error.code : String(error);
    }
  }

  test("passes the node's message for this URL, chain, node and user", () => {
    expect(verdict(message)).toBe("no error");
    expect(verdict(message, { nodeUrl: "HTTPS://NODE.example:443/" })).toBe("no error");
    expect(verdict(message, { user: user.toLowerCase() })).toBe("no error");
  });

  test("refuses another domain or URI: WRONG_DOMAIN", () => {
    expect(verdict(message, { nodeUrl: "https://evil.example" })).toBe("WRONG_DOMAIN");
    expect(verdict(message, { nodeUrl: "http://node.example" })).toBe("WRONG_DOMAIN");
    expect(verdict(message, { nodeUrl: "https://node.example/api" })).toBe("WRONG_DOMAIN");
    expect(verdict(message.replace("URI: https://node.example", "URI: https://evil.example"))).toBe(
      "WRONG_DOMAIN",
    );
    expect(verdict(`https://${message}`)).toBe("WRONG_DOMAIN");
    expect(verdict(message, { nodeUrl: "not a url" })).toBe("WRONG_DOMAIN");
  });

  test("refuses another chain, another user or another node", () => {
    expect(verdict(message, { chainId: 31337 })).toBe("WRONG_CHAIN");
    expect(verdict(message, { user: Wallet.createRandom().address })).toBe("WRONG_ADDRESS");
    expect(verdict(message, { node: Wallet.createRandom().address })).toBe("WRONG_NODE");
  });

  test("refuses anything but the form a node issues: INVALID_MESSAGE", () => {
    expect(verdict("please sign this")).toBe("INVALID_MESSAGE");
    expect(verdict(message.replace("Version: 1", "Version: 2"))).toBe("INVALID_MESSAGE");
    expect(verdict(`${message}\nResources:\n- https://evil.example`)).toBe("INVALID_MESSAGE");
    expect(verdict(message.replace(/\nExpiration Time: .*/, ""))).toBe("INVALID_MESSAGE");
  });
});

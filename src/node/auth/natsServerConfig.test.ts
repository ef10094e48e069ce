import { describe, expect, test } from "bun:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Account, decode, type Operator } from "@nats-io/jwt";
import { connect } from "@nats-io/transport-node";
import { Wallet } from "ethers";
import { NATS_SERVER_BIN, type NatsServer, startNatsServer } from "../messaging/testing/natsServer";
import { freePort } from "../net/freePort";
import { natsKeysFromPrivateKey } from "./natsKeys";
import { natsServerConfig } from "./natsServerConfig";
import { testMessagingCredentials } from "./testing";

/** The nats-server configuration `connext-node nats-config` writes. */

const nodeWallet = Wallet.createRandom();
const keys = natsKeysFromPrivateKey(nodeWallet.privateKey);

describe("natsServerConfig", () => {
  test("operator mode: the operator, the system account and the account with its signing key, preloaded", async () => {
    const text = await natsServerConfig(keys, {
      host: "0.0.0.0",
      port: 4333,
      clusterPort: 6333,
      routes: ["10.0.0.2:6333", "nats-route://10.0.0.3:6333"],
      serverName: "n1",
    });
    const operatorJwt = /^operator: (\S+)$/m.exec(text)?.[1] as string;
    const operator = decode<Operator>(operatorJwt);
    expect(operator.sub).toBe(keys.operator.getPublicKey());
    expect(operator.nats.system_account).toBe(keys.system.getPublicKey());
    expect(text).toContain(`system_account: ${keys.system.getPublicKey()}`);
    expect(text).toContain("resolver: MEMORY");
    const preload = new RegExp(`^  ${keys.account.getPublicKey()}: "(\\S+)"$`, "m").exec(text);
    const account = decode<Account>(preload?.[1] as string);
    expect(account.iss).toBe(keys.operator.getPublicKey());
    expect(account.nats.signing_keys).toEqual([keys.signing.getPublicKey()]);
    expect(text).toContain(`  ${keys.system.getPublicKey()}: "`);
    expect(text).toContain('host: "0.0.0.0"\nport: 4333');
    expect(text).toContain('server_name: "n1"');
    expect(text).toContain('routes: ["nats-route://10.0.0.2:6333", "nats-route://10.0.0.3:6333"]');
    expect(text).toContain("port: 6333");
    expect(text).not.toContain("websocket");
  });

  test.skipIf(NATS_SERVER_BIN === null)(
    "two servers with a cluster port and each other's routes: a user on one reaches the node on the other",
    async () => {
      const creds = testMessagingCredentials(nodeWallet.privateKey);
      const dir = await mkdtemp(join(tmpdir(), "connext-nats-cluster-"));
      const ports = [freePort(), freePort()] as const;
      const servers: NatsServer[] = [];
      try {
        for (const [i, port] of ports.entries()) {
          const file = join(dir, `${i}.conf`);
          const config = await natsServerConfig(keys, {
            serverName: `n${i}`,
            clusterPort: port,
            routes: [`127.0.0.1:${ports[1 - i]}`],
          });
          await writeFile(file, config);
          servers.push(await startNatsServer({ configFile: file }));
        }
        const [a, b] = servers as [NatsServer, NatsServer];
        const node = creds.node.toLowerCase();
        const user = Wallet.createRandom().address.toLowerCase();
        const hub = await connect({ servers: a.url, ...(await creds.as(creds.node)) });
        const nc = await connect({
          servers: b.url,
          ...(await creds.as(user)),
          inboxPrefix: `_inbox.${user}`,
        });
        try {
          hub.subscribe(`connext.${node}.>`, { callback: (_e, m) => void m.respond("pong") });
          await hub.flush();
          // The route forms and carries the subscription over within moments.
          let answer = "";
          for (let tries = 0; tries < 50 && answer === ""; tries++) {
            answer = await nc
              .request(`connext.${node}.${user}.ping`, "ping", { timeout: 500 })
              .then((m) => m.string())
              .catch(() => "");
          }
          expect(answer).toBe("pong");
        } finally {
          await Promise.all([hub.close(), nc.close()]);
        }
      } finally {
        await Promise.all(servers.map((s) => s.stop()));
        await rm(dir, { recursive: true, force: true });
      }
    },
    30_000,
  );
});

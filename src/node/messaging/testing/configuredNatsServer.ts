import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Wallet } from "ethers";
import { natsKeysFromPrivateKey } from "../../auth/natsKeys";
import { natsServerConfig } from "../../auth/natsServerConfig";
import { type NatsServer, startNatsServer } from "./natsServer";

/**
 * nats-server run as an operator would for this node key: with the configuration
 * `connext-node nats-config` writes, so only the node's JWTs get in and each one's
 * permissions hold.
 */
export async function startConfiguredNatsServer(nodePrivateKey: string): Promise<NatsServer> {
  const dir = await mkdtemp(join(tmpdir(), "connext-nats-"));
  const configFile = join(dir, "nats.conf");
  const config = await natsServerConfig(natsKeysFromPrivateKey(nodePrivateKey), {
    node: new Wallet(nodePrivateKey).address,
  });
  await writeFile(configFile, config);
  try {
    const server = await startNatsServer({ configFile });
    return {
      url: server.url,
      async stop() {
        await server.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

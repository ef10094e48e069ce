import { type Authenticator, jwtAuthenticator } from "@nats-io/nats-core";
import { createUser } from "@nats-io/nkeys";
import { Wallet } from "ethers";
import {
  brokerAuthenticator,
  nodePermissions,
  USER_LIMITS,
  userPermissions,
} from "./brokerPermissions";
import { natsIssuers } from "./natsAuth";
import { issueUserJwt } from "./natsJwt";
import { natsKeysFromPrivateKey } from "./natsKeys";

/**
 * Tests only: messaging credentials as the node hands them out, for a node key. `as(address)`
 * gives `connect` options for that user (the node's own address: the node's permissions).
 *
 * @example
 * const creds = testMessagingCredentials(nodeKey);
 * const broker = await startBroker({ authenticate: creds.authenticate });
 * const nc = await connect({ servers: broker.url, ...(await creds.as(alice)) });
 */
export function testMessagingCredentials(nodePrivateKey: string, now: () => number = Date.now) {
  const keys = natsKeysFromPrivateKey(nodePrivateKey);
  const node = new Wallet(nodePrivateKey).address;
  return {
    keys,
    node,
    authenticate: brokerAuthenticator({ issuers: natsIssuers(keys), now }),
    /** A JWT for `address` and its nkey; `connect(nonce)`: CONNECT's `jwt` and `sig` fields. */
    async credentials(address: string, expiresAt = now() + 3600_000) {
      const nkey = createUser();
      const isNode = address.toLowerCase() === node.toLowerCase();
      const jwt = await issueUserJwt(keys, {
        name: address,
        nkey: nkey.getPublicKey(),
        permissions: isNode ? nodePermissions() : userPermissions(node, address),
        limits: isNode ? {} : USER_LIMITS,
        expiresAt,
      });
      const connect = (nonce: string) => ({
        jwt,
        sig: Buffer.from(nkey.sign(new TextEncoder().encode(nonce))).toString("base64url"),
      });
      return { jwt, seed: nkey.getSeed(), connect };
    },
    async as(
      address: string,
      expiresAt = now() + 3600_000,
    ): Promise<{ authenticator: Authenticator }> {
      const { jwt, seed } = await this.credentials(address, expiresAt);
      return { authenticator: jwtAuthenticator(jwt, seed) };
    },
  };
}

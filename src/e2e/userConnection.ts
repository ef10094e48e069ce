import { jwtAuthenticator, type NatsConnection } from "@nats-io/nats-core";
import { createUser } from "@nats-io/nkeys";
import { connect } from "@nats-io/transport-node";
import { NodeApi } from "../client/nodeApi";
import { inboxPrefixFor } from "../protocol/messaging";
import type { Stack } from "./stack";

/**
 * A raw messaging connection as dev account `index`, signed in as the client does (an nkey of
 * its own, the messaging JWT sign-in gives for it, its own inbox): it has a user's permissions
 * and no more.
 */
export async function connectAsUser(stack: Stack, index: number): Promise<NatsConnection> {
  const wallet = stack.wallet(index);
  const nkey = createUser();
  const { jwt } = await new NodeApi(stack.node.httpUrl).session(
    wallet.address,
    (message) => wallet.signMessage(message),
    nkey.getPublicKey(),
  );
  if (jwt === undefined) throw new Error("the node gave no messaging JWT at sign-in");
  return connect({
    servers: stack.node.messagingUrl,
    authenticator: jwtAuthenticator(jwt, nkey.getSeed()),
    inboxPrefix: inboxPrefixFor(wallet.address),
  });
}

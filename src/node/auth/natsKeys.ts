import { fromSeed, type KeyPair, Prefix } from "@nats-io/nkeys";
import { Codec } from "@nats-io/nkeys/lib/codec.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { hexToBytes, utf8ToBytes } from "@noble/hashes/utils.js";
import { AuthError } from "./errors";

/**
 * The node's NATS identities (decentralised auth: operator → account → user), derived from its
 * signing key like the auth secret (mac.ts): `connext-node nats-config` and every node process
 * run with the same key agree on them without another secret to hand around.
 *
 * - operator: signs the account JWTs that nats-server trusts (its configuration's `operator`);
 * - system: nats-server's system account (its own monitoring subjects, no users of ours);
 * - account: where the node and its users connect;
 * - signing: the account's signing key, which signs every user JWT (the account key itself
 *   signs only the account's JWT, so it is never used per sign-in).
 */
export interface NatsKeys {
  operator: KeyPair;
  system: KeyPair;
  account: KeyPair;
  signing: KeyPair;
}

/** Fixed labels: changing one changes that key, and every issued JWT stops working. */
const ROLES = {
  operator: Prefix.Operator,
  system: Prefix.Account,
  account: Prefix.Account,
  signing: Prefix.Account,
} as const satisfies Record<keyof NatsKeys, Prefix>;

export function natsKeysFromPrivateKey(privateKeyHex: string): NatsKeys {
  if (!/^(0x)?[0-9a-fA-F]{64}$/.test(privateKeyHex)) {
    throw new AuthError("INVALID_SECRET", "a private key is 32 bytes of hex");
  }
  const key = hexToBytes(privateKeyHex.replace(/^0x/, ""));
  const derive = (role: keyof NatsKeys): KeyPair => {
    const raw = hkdf(sha256, key, undefined, utf8ToBytes(`connext/nats-${role}/v1`), 32);
    return fromSeed(Codec.encodeSeed(ROLES[role], raw));
  };
  return {
    operator: derive("operator"),
    system: derive("system"),
    account: derive("account"),
    signing: derive("signing"),
  };
}

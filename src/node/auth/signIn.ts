import { computeAddress, hashMessage, SigningKey } from "ethers";
import { checksumAddress } from "./address";
import { AuthError } from "./errors";
import { assertSecret } from "./mac";
import { formatNonce, type NonceClaims, parseNonce } from "./nonce";
import { signInOrigin } from "./publicUrl";
import { formatSignInMessage, parseSignInMessage, type SignInFields } from "./signInMessage";

/** Who is signed in to: what a sign-in message names, so it is worth nothing anywhere else. */
export interface SignInSite {
  /** The node's identifier (its key's checksummed address), named in the statement. */
  node: string;
  chainId: number;
  /** The node's public URL (PUBLIC_URL): its host is the message's domain, itself the URI. */
  publicUrl: string;
}

export interface SignInOptions {
  /** At least 32 bytes; `authSecretFromPrivateKey(nodeKey)` in the node. */
  secret: Uint8Array;
  /** Read at each sign-in: a node listening on port 0 learns its URL only once it listens. */
  site: () => SignInSite;
  nonceTtlSeconds?: number;
  /** Unix milliseconds (tests move time with it). */
  now?: () => number;
}

export interface SignedMessage {
  address: string;
  /** The message `issue` gave, exactly. */
  message: string;
  /** 65-byte EIP-191 personal_sign signature of `message`, 0x hex. */
  signature: string;
}

export interface SignInService {
  /** The EIP-4361 message `address` signs with personal_sign, and when it expires (unix ms). */
  issue(address: string): { message: string; expiresAt: number };
  /** Checks a signed message; the signer's checksummed address and uncompressed (0x04…) key. */
  verify(signed: SignedMessage): { address: string; publicKey: string };
}

/** Names the node and says what signing does and does not do (EIP-4361 allows no newline). */
export function signInStatement(node: string): string {
  return `Sign in to the Connext node ${node}. Signing proves you hold this address; it costs nothing and authorises no payment.`;
}

/**
 * Sign-in with an EIP-4361 message (DESIGN §5) naming the node's domain, URL, chain and
 * identifier, so a phishing site cannot relay it for a victim to sign: the victim's wallet
 * shows another domain, and a message rewritten for the phisher's domain is refused here. The
 * nonce carries its own claims under a MAC (nonce.ts), so processes sharing the node's key
 * agree without shared storage; a signed message can be exchanged for a token more than once
 * before it expires, which gives nobody but its signer anything.
 *
 * @example
 * const signIn = createSignIn({ secret, site: () => ({ node, chainId, publicUrl }) });
 * const { message } = signIn.issue(wallet.address);
 * const signature = await wallet.signMessage(message);
 * const { address, publicKey } = signIn.verify({ address: wallet.address, message, signature });
 */
export function createSignIn({
  secret,
  site,
  nonceTtlSeconds = 300,
  now = Date.now,
}: SignInOptions): SignInService {
  assertSecret(secret);
  // Copied so a caller that later zeroes or reuses its buffer cannot change our key.
  const key = Uint8Array.from(secret);

  /** The site's part of every message, read at each call (the URL may be learnt late). */
  function ours() {
    const { node, chainId, publicUrl } = site();
    const origin = signInOrigin(publicUrl);
    // PUBLIC_URL is checked at start-up: getting here is a bug, not the user's fault.
    if (origin === undefined) throw new Error(`the node's public URL ${publicUrl} is not usable`);
    return { ...origin, chainId, statement: signInStatement(node) };
  }

  return {
    issue(address) {
      const issuedAt = now();
      const claims = {
        address: checksumAddress(address),
        issuedAt,
        expiresAt: issuedAt + nonceTtlSeconds * 1000,
      };
      const message = formatSignInMessage(fieldsOf(ours(), claims, formatNonce(key, claims)));
      return { message, expiresAt: claims.expiresAt };
    },

    verify({ address, message, signature }) {
      const claimed = checksumAddress(address);
      const given = parseSignInMessage(message);
      if (given.address !== claimed) {
        throw new AuthError(
          "INVALID_MESSAGE",
          `the message signs in ${given.address}, not ${claimed}`,
        );
      }
      // The site first: it is what a phishing relay has to change, and what the wallet showed.
      const site = ours();
      if (given.domain !== site.domain || given.uri !== site.uri) {
        throw new AuthError(
          "WRONG_DOMAIN",
          `the message signs in to ${given.domain} (${given.uri}), this node is ${site.domain} (${site.uri})`,
        );
      }
      if (given.chainId !== site.chainId) {
        throw new AuthError(
          "WRONG_CHAIN",
          `the message is for chain ${given.chainId}, this node runs on chain ${site.chainId}`,
        );
      }
      if (given.statement !== site.statement) {
        throw new AuthError("WRONG_NODE", "the message does not sign in to this node");
      }

      const claims = parseNonce(key, given.nonce, claimed);
      const issued = fieldsOf(site, claims, given.nonce);
      if (given.issuedAt !== issued.issuedAt || given.expirationTime !== issued.expirationTime) {
        throw new AuthError(
          "INVALID_NONCE",
          "the message's times are not those its nonce was issued with",
        );
      }
      if (now() >= claims.expiresAt) {
        throw new AuthError("NONCE_EXPIRED", "the sign-in message has expired");
      }
      // Whatever else differs (Not Before, Resources, a scheme…): only what this node issues.
      if (message !== formatSignInMessage(issued)) {
        throw new AuthError("INVALID_MESSAGE", "the message is not the one this node issued");
      }

      const publicKey = recoverPublicKey(message, signature);
      if (computeAddress(publicKey) !== claimed) {
        throw new AuthError("INVALID_SIGNATURE", `the message was not signed by ${claimed}`);
      }
      return { address: claimed, publicKey };
    },
  };
}

function fieldsOf(
  site: Pick<SignInFields, "domain" | "uri" | "chainId" | "statement">,
  claims: NonceClaims,
  nonce: string,
): SignInFields {
  return {
    ...site,
    address: claims.address,
    nonce,
    issuedAt: new Date(claims.issuedAt).toISOString(),
    expirationTime: new Date(claims.expiresAt).toISOString(),
  };
}

function recoverPublicKey(message: string, signature: string): string {
  if (typeof signature !== "string" || !/^0x[0-9a-fA-F]{130}$/.test(signature)) {
    throw new AuthError("INVALID_SIGNATURE", "a signature is 65 bytes of 0x hex");
  }
  try {
    return SigningKey.recoverPublicKey(hashMessage(message), signature);
  } catch (cause) {
    throw new AuthError("INVALID_SIGNATURE", "no key recovers from this signature", { cause });
  }
}

import { bytesToHex, randomBytes } from "@noble/hashes/utils.js";
import { AuthError } from "./errors";
import { mac, macEquals } from "./mac";

/**
 * The sign-in message a wallet shows and signs (EIP-191 personal_sign). Everything the node
 * needs to check it later is in the text, under a MAC, so no process has to remember it.
 */

const TITLE = "Sign in to a Connext node.";
const NOTICE = "Signing proves you hold this address. It costs nothing and authorises no payment.";
const MAC_LINE = "\nMAC: ";
const HEADER = `${TITLE}\n${NOTICE}\n\n`;
const CLAIMS = /^Address: (0x[0-9a-fA-F]{40})\nExpires: (\S+)\nRandom: [0-9a-f]{32}$/;
const MAC_TEXT = /^[A-Za-z0-9_-]{43}$/;

export interface NonceClaims {
  /** Checksummed. */
  address: string;
  /** Unix milliseconds. */
  expiresAt: number;
}

export function formatNonce(secret: Uint8Array, claims: NonceClaims): string {
  const body = [
    TITLE,
    NOTICE,
    "",
    `Address: ${claims.address}`,
    `Expires: ${new Date(claims.expiresAt).toISOString()}`,
    `Random: ${bytesToHex(randomBytes(16))}`,
  ].join("\n");
  return `${body}${MAC_LINE}${mac(secret, "nonce", body)}`;
}

/** The claims of a nonce this secret issued; INVALID_NONCE for anything else. Expiry unchecked. */
export function parseNonce(secret: Uint8Array, nonce: string): NonceClaims {
  const at = nonce.lastIndexOf(MAC_LINE);
  const body = at < 0 ? "" : nonce.slice(0, at);
  const given = at < 0 ? "" : nonce.slice(at + MAC_LINE.length);
  if (!MAC_TEXT.test(given) || !macEquals(mac(secret, "nonce", body), given)) {
    throw new AuthError("INVALID_NONCE", "not a nonce issued by this node");
  }
  const match = body.startsWith(HEADER) ? CLAIMS.exec(body.slice(HEADER.length)) : null;
  const expiresAt = Date.parse(match?.[2] ?? "");
  if (match === null || !Number.isFinite(expiresAt)) {
    // Only a change of format under the same secret gets here.
    throw new AuthError("INVALID_NONCE", "nonce in an unknown format");
  }
  return { address: match[1] as string, expiresAt };
}

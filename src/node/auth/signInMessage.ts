import { ParsedMessage } from "@spruceid/siwe-parser";
import { AuthError } from "./errors";

/**
 * The sign-in message's text: an EIP-4361 (Sign-In with Ethereum) message, so a wallet shows
 * the site it signs in to and warns when that is not the site asking.
 */

export interface SignInFields {
  /** host[:port] of the node's public URL. */
  domain: string;
  /** Checksummed (EIP-55), as EIP-4361 requires. */
  address: string;
  statement: string;
  /** The node's public URL. */
  uri: string;
  chainId: number;
  /** Letters and digits only. */
  nonce: string;
  /** RFC 3339. */
  issuedAt: string;
  /** RFC 3339. */
  expirationTime: string;
}

/** What any EIP-4361 message says, as far as this node reads it (statement and expiry are optional). */
export type ParsedSignIn = Omit<SignInFields, "statement" | "expirationTime"> &
  Partial<Pick<SignInFields, "statement" | "expirationTime">>;

/** The message as this node issues it: version 1, no optional field beyond the expiry. */
export function formatSignInMessage(fields: SignInFields): string {
  return [
    `${fields.domain} wants you to sign in with your Ethereum account:`,
    fields.address,
    "",
    fields.statement,
    "",
    `URI: ${fields.uri}`,
    "Version: 1",
    `Chain ID: ${fields.chainId}`,
    `Nonce: ${fields.nonce}`,
    `Issued At: ${fields.issuedAt}`,
    `Expiration Time: ${fields.expirationTime}`,
  ].join("\n");
}

/**
 * The fields of any EIP-4361 message, read by the reference grammar (the one the `siwe`
 * library uses), so the node reads the domain, URI and chain as a wallet does; INVALID_MESSAGE
 * for anything that is not such a message (a mixed-case address with a bad checksum included).
 */
export function parseSignInMessage(message: string): ParsedSignIn {
  let parsed: ParsedMessage;
  try {
    parsed = new ParsedMessage(message);
  } catch (cause) {
    // The parser's first line says what is wrong; the rest is a dump of its state.
    const reason = String((cause as Error)?.message ?? cause).split("\n")[0];
    throw new AuthError("INVALID_MESSAGE", `not an EIP-4361 sign-in message: ${reason}`, {
      cause,
    });
  }
  return {
    domain: parsed.domain,
    address: parsed.address,
    uri: parsed.uri,
    chainId: parsed.chainId,
    nonce: parsed.nonce,
    issuedAt: parsed.issuedAt,
    ...(parsed.statement !== undefined ? { statement: parsed.statement } : {}),
    ...(parsed.expirationTime !== undefined ? { expirationTime: parsed.expirationTime } : {}),
  };
}

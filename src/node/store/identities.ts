import { eq, sql } from "drizzle-orm";
import { computeAddress, getAddress, SigningKey } from "ethers";
import type { StoreDb } from "./database";
import { identities } from "./schema";

export const IDENTITY_ERROR_CODES = [
  /** Not a 0x hex address, or a mixed-case one with a bad checksum. */
  "INVALID_ADDRESS",
  /** Not a secp256k1 public key. */
  "INVALID_PUBLIC_KEY",
  /** A valid key, but another address's. */
  "KEY_ADDRESS_MISMATCH",
] as const;

export type IdentityErrorCode = (typeof IDENTITY_ERROR_CODES)[number];

export class IdentityError extends Error {
  override readonly name = "IdentityError";

  constructor(
    readonly code: IdentityErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Users' public keys, learnt when they sign in (the signature recovers the key). Payers fetch
 * a payee's key to encrypt a payment's pre-image to it, so a key is stored only if it is the
 * address's own: a wrong key would make payments to that user unreadable.
 *
 * @example
 * await identities.record(address, publicKey);
 * await identities.publicKey(address); // "0x04…"
 */
export class IdentityRepository {
  /**
   * Keys already read or stored, by the address as asked for (most recent last). An address
   * has one uncompressed key and only that one is ever stored, so a key once known never
   * changes: the cache needs no invalidation, also with other processes on the database.
   * It saves a statement (and a checksum) on every payment, whose payer asks for the payee's key.
   */
  private readonly known = new Map<string, string>();

  constructor(
    private readonly db: StoreDb,
    private readonly bound = 10_000,
  ) {}

  /** Stores (or replaces) the key of an address; keys are kept uncompressed (0x04…). */
  async record(address: string, publicKey: string): Promise<void> {
    const owner = checksummed(address);
    const key = uncompressed(publicKey);
    if (computeAddress(key) !== owner) {
      throw new IdentityError("KEY_ADDRESS_MISMATCH", `the public key is not ${owner}'s`);
    }
    await this.db
      .insert(identities)
      .values({ address: owner, publicKey: key })
      .onConflictDoUpdate({
        target: identities.address,
        set: { publicKey: sql`excluded.public_key` },
      });
    this.remember(owner, key);
  }

  /** The uncompressed key of an address that has signed in; undefined if it never did. */
  async publicKey(address: string): Promise<string | undefined> {
    const cached = this.known.get(address);
    if (cached !== undefined) return cached;
    const [row] = await this.db
      .select({ publicKey: identities.publicKey })
      .from(identities)
      .where(eq(identities.address, checksummed(address)));
    if (row) this.remember(address, row.publicKey);
    return row?.publicKey;
  }

  private remember(address: string, key: string): void {
    this.known.delete(address);
    this.known.set(address, key);
    if (this.known.size > this.bound) this.known.delete(this.known.keys().next().value as string);
  }
}

function checksummed(address: string): string {
  if (!/^0x[0-9a-fA-F]{40}$/.test(address)) {
    throw new IdentityError("INVALID_ADDRESS", "an address is 0x followed by 40 hex digits");
  }
  try {
    return getAddress(address);
  } catch {
    throw new IdentityError("INVALID_ADDRESS", `bad checksum in address ${address}`);
  }
}

function uncompressed(publicKey: string): string {
  if (!/^0x(0[23][0-9a-fA-F]{64}|04[0-9a-fA-F]{128})$/.test(publicKey)) {
    throw new IdentityError("INVALID_PUBLIC_KEY", "a public key is 33 or 65 bytes of 0x hex");
  }
  try {
    return SigningKey.computePublicKey(publicKey, false);
  } catch {
    throw new IdentityError("INVALID_PUBLIC_KEY", "not a point on secp256k1");
  }
}

import { secp256k1 } from "@noble/curves/secp256k1.js";

/**
 * The secp256k1 arithmetic behind signing and recovery, pluggable: pure-JavaScript noble by
 * default (runs anywhere), and whatever faster implementation a shell installs at start-up
 * with `setSecp256k1Backend` (the node and the client under Bun install Debian's native
 * libsecp256k1 when it is there, src/crypto/nativeSecp256k1.ts). The protocol stays pure:
 * a backend is arithmetic, no I/O. Every backend must give byte-identical results: RFC 6979
 * deterministic nonces, low s.
 *
 * The protocol's checks stay in front of the backend (signatures.ts): a backend sees only
 * 32-byte digests, valid secret keys and 65-byte signatures with v 27/28 and low s.
 */
export interface Secp256k1Backend {
  /** A short name for logs and benchmarks ("noble", "libsecp256k1"). */
  readonly name: string;
  /** `r ‖ s ‖ v` (v 27 or 28) of a low-s RFC 6979 signature of `digest` (no prehash). */
  sign(digest: Uint8Array, secret: Uint8Array): Uint8Array;
  /**
   * The 65-byte uncompressed public key that signed `digest`, from `r ‖ s ‖ v` (v 27/28).
   * Throws when the signature does not recover (r or s zero or not below n, r not on the curve).
   */
  recover(digest: Uint8Array, signature: Uint8Array): Uint8Array;
  /** The 65-byte uncompressed public key of a valid 32-byte secret key. */
  publicKey(secret: Uint8Array): Uint8Array;
  /**
   * A 33-byte (0x02/0x03) or 65-byte (0x04) public key as the 65-byte uncompressed point;
   * throws when it is neither or not on the curve.
   */
  parsePublicKey(bytes: Uint8Array): Uint8Array;
  /**
   * `secret` × the point `publicKey` (33 or 65 bytes), as 65 uncompressed bytes: an ECDH
   * shared point. Throws for an invalid key or secret.
   */
  multiply(publicKey: Uint8Array, secret: Uint8Array): Uint8Array;
}

export const nobleSecp256k1: Secp256k1Backend = {
  name: "noble",
  sign(digest, secret) {
    const recovered = secp256k1.sign(digest, secret, { prehash: false, format: "recovered" });
    // noble puts the recovery bit first; Ethereum wants r ‖ s ‖ (27 + bit).
    const signature = new Uint8Array(65);
    signature.set(recovered.subarray(1), 0);
    signature[64] = 27 + (recovered[0] as number);
    return signature;
  },
  recover(digest, signature) {
    const recovered = new Uint8Array(65);
    recovered[0] = (signature[64] as number) - 27;
    recovered.set(signature.subarray(0, 64), 1);
    const publicKey = secp256k1.recoverPublicKey(recovered, digest, { prehash: false });
    return secp256k1.Point.fromBytes(publicKey).toBytes(false);
  },
  publicKey(secret) {
    return secp256k1.getPublicKey(secret, false);
  },
  parsePublicKey(bytes) {
    return secp256k1.Point.fromBytes(bytes).toBytes(false);
  },
  multiply(publicKey, secret) {
    return secp256k1.getSharedSecret(secret, publicKey, false);
  },
};

let backend: Secp256k1Backend = nobleSecp256k1;

/** The backend in use. */
export function secp256k1Backend(): Secp256k1Backend {
  return backend;
}

/** Installs `next` for every signature and recovery from now on; returns the one it replaces. */
export function setSecp256k1Backend(next: Secp256k1Backend): Secp256k1Backend {
  const previous = backend;
  backend = next;
  return previous;
}

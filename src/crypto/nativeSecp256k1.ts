import { nobleSecp256k1, type Secp256k1Backend, setSecp256k1Backend } from "../protocol/secp256k1";

/**
 * Native secp256k1 for the protocol: Debian's libsecp256k1 (package `libsecp256k1-1`, or a
 * library named by $CONNEXT_LIBSECP256K1) through `bun:ffi`, 7–10× faster than noble at signing
 * and recovering. Only under Bun (the node, its compiled binary, a client run by Bun); in Node
 * and browsers, when the library is absent, or when $CONNEXT_SECP256K1=noble, the protocol keeps
 * pure-JavaScript noble. Both give byte-identical signatures (RFC 6979 nonces, low s), which a
 * known-answer check confirms before the native one is installed.
 *
 * @example
 * const { backend, reason } = await useFastestSecp256k1();
 * logger.info({ secp256k1: backend.name, reason }, "secp256k1");
 */

/** The Debian package that provides the library. */
export const LIBSECP256K1_PACKAGE = "libsecp256k1-1";

/** Where the library is looked for, in order, when $CONNEXT_LIBSECP256K1 is not set. */
export const LIBSECP256K1_NAMES = [
  "libsecp256k1.so.2",
  "libsecp256k1.so.1",
  "libsecp256k1.so",
  "/usr/lib/x86_64-linux-gnu/libsecp256k1.so.2",
  "/usr/lib/x86_64-linux-gnu/libsecp256k1.so.1",
  "/usr/lib/aarch64-linux-gnu/libsecp256k1.so.2",
  "/usr/lib/aarch64-linux-gnu/libsecp256k1.so.1",
  "/opt/homebrew/lib/libsecp256k1.dylib",
  "/usr/local/lib/libsecp256k1.dylib",
  "libsecp256k1.dylib",
];

export interface Secp256k1Choice {
  backend: Secp256k1Backend;
  /** Why it is noble when it is: no Bun, no library, an override, a failed check. */
  reason?: string;
  /** The library file loaded, when native. */
  library?: string;
}

export interface NativeOptions {
  /** Library paths or names to try (default: $CONNEXT_LIBSECP256K1, else LIBSECP256K1_NAMES). */
  paths?: readonly string[];
  /** Environment to read the overrides from (default process.env). */
  env?: Record<string, string | undefined>;
}

let defaultLoad: ReturnType<typeof loadNativeSecp256k1> | undefined;

/** libsecp256k1's SECP256K1_CONTEXT_SIGN | SECP256K1_CONTEXT_VERIFY (accepted by 0.1 and 0.2+). */
const CONTEXT_SIGN_VERIFY = (1 << 0) | (1 << 8) | (1 << 9);
const EC_UNCOMPRESSED = 1 << 1;

/** Loads libsecp256k1 as a backend, or says why it cannot. Installs nothing. */
export async function loadNativeSecp256k1(
  options: NativeOptions = {},
): Promise<{ backend: Secp256k1Backend; library: string } | { reason: string }> {
  const env = options.env ?? (typeof process === "undefined" ? {} : process.env);
  if (env.CONNEXT_SECP256K1 === "noble") return { reason: "CONNEXT_SECP256K1=noble" };
  if (typeof (globalThis as { Bun?: unknown }).Bun === "undefined") {
    return { reason: "not running under Bun (bun:ffi)" };
  }
  // A variable: bundlers leave the import to the runtime, and only Bun ever runs it.
  const ffiModule = "bun:ffi";
  let ffi: typeof import("bun:ffi");
  try {
    ffi = await import(ffiModule);
  } catch (error) {
    return { reason: `bun:ffi is not available: ${(error as Error).message}` };
  }
  const paths =
    options.paths ?? (env.CONNEXT_LIBSECP256K1 ? [env.CONNEXT_LIBSECP256K1] : LIBSECP256K1_NAMES);
  const failures: string[] = [];
  for (const path of paths) {
    let backend: Secp256k1Backend;
    try {
      backend = open(ffi, path);
    } catch (error) {
      failures.push(`${path}: ${(error as Error).message.split("\n")[0]}`);
      continue;
    }
    const mismatch = knownAnswerMismatch(backend);
    if (mismatch) return { reason: `${path} disagrees with noble: ${mismatch}` };
    return { backend, library: path };
  }
  return {
    reason: `libsecp256k1 not found (Debian: apt-get install ${LIBSECP256K1_PACKAGE}); tried ${failures.join("; ")}`,
  };
}

/**
 * Installs the fastest secp256k1 this process has: native libsecp256k1 when it loads, else
 * noble (installed again, so a call also undoes an earlier native choice). Call once at start-up.
 */
export async function useFastestSecp256k1(options?: NativeOptions): Promise<Secp256k1Choice> {
  // Without options (the node's and the client's start-up), the library is loaded once per process.
  let load: ReturnType<typeof loadNativeSecp256k1>;
  if (options) load = loadNativeSecp256k1(options);
  else load = defaultLoad ??= loadNativeSecp256k1();
  const loaded = await load;
  if ("backend" in loaded) {
    setSecp256k1Backend(loaded.backend);
    return { backend: loaded.backend, library: loaded.library };
  }
  setSecp256k1Backend(nobleSecp256k1);
  return { backend: nobleSecp256k1, reason: loaded.reason };
}

function open(ffi: typeof import("bun:ffi"), path: string): Secp256k1Backend {
  const { FFIType: T } = ffi;
  const lib = ffi.dlopen(path, {
    secp256k1_context_create: { args: [T.u32], returns: T.ptr },
    secp256k1_context_randomize: { args: [T.ptr, T.ptr], returns: T.i32 },
    secp256k1_ecdsa_sign_recoverable: {
      args: [T.ptr, T.ptr, T.ptr, T.ptr, T.ptr, T.ptr],
      returns: T.i32,
    },
    secp256k1_ecdsa_recoverable_signature_serialize_compact: {
      args: [T.ptr, T.ptr, T.ptr, T.ptr],
      returns: T.i32,
    },
    secp256k1_ecdsa_recoverable_signature_parse_compact: {
      args: [T.ptr, T.ptr, T.ptr, T.i32],
      returns: T.i32,
    },
    secp256k1_ecdsa_recover: { args: [T.ptr, T.ptr, T.ptr, T.ptr], returns: T.i32 },
    secp256k1_ec_pubkey_serialize: {
      args: [T.ptr, T.ptr, T.ptr, T.ptr, T.u32],
      returns: T.i32,
    },
    secp256k1_ec_pubkey_create: { args: [T.ptr, T.ptr, T.ptr], returns: T.i32 },
    secp256k1_ec_pubkey_parse: { args: [T.ptr, T.ptr, T.ptr, T.u64], returns: T.i32 },
    secp256k1_ec_pubkey_tweak_mul: { args: [T.ptr, T.ptr, T.ptr], returns: T.i32 },
  });
  const f = lib.symbols;
  const context = f.secp256k1_context_create(CONTEXT_SIGN_VERIFY);
  if (!context) throw new Error("secp256k1_context_create failed");
  // Blinding against side channels; the results do not depend on it.
  const seed = crypto.getRandomValues(new Uint8Array(32));
  if (f.secp256k1_context_randomize(context, seed) !== 1) {
    throw new Error("secp256k1_context_randomize failed");
  }
  // Scratch space, reused: the library's opaque structs are 65 and 64 bytes.
  const recoverable = new Uint8Array(65);
  const publicKey = new Uint8Array(64);
  const compact = new Uint8Array(64);
  const recid = new Int32Array(1);
  const length = new BigUint64Array(1);

  return {
    name: "libsecp256k1",
    sign(digest, secret) {
      if (digest.length !== 32) throw new Error("a digest is 32 bytes");
      if (secret.length !== 32) throw new Error("a secret key is 32 bytes");
      // Null nonce function and data: RFC 6979, as noble.
      if (
        f.secp256k1_ecdsa_sign_recoverable(context, recoverable, digest, secret, null, null) !== 1
      ) {
        throw new Error("invalid secret key");
      }
      f.secp256k1_ecdsa_recoverable_signature_serialize_compact(
        context,
        compact,
        recid,
        recoverable,
      );
      const signature = new Uint8Array(65);
      signature.set(compact, 0);
      signature[64] = 27 + (recid[0] as number);
      return signature;
    },
    recover(digest, signature) {
      if (digest.length !== 32) throw new Error("a digest is 32 bytes");
      const v = signature[64];
      if (signature.length !== 65 || (v !== 27 && v !== 28)) {
        throw new Error("a signature is r ‖ s ‖ v with v 27 or 28");
      }
      compact.set(signature.subarray(0, 64));
      if (
        f.secp256k1_ecdsa_recoverable_signature_parse_compact(
          context,
          recoverable,
          compact,
          v - 27,
        ) !== 1
      ) {
        throw new Error("r or s is not below the curve order");
      }
      if (f.secp256k1_ecdsa_recover(context, publicKey, recoverable, digest) !== 1) {
        throw new Error("the signature does not recover a point");
      }
      return serialize(publicKey);
    },
    publicKey(secret) {
      if (secret.length !== 32) throw new Error("a secret key is 32 bytes");
      if (f.secp256k1_ec_pubkey_create(context, publicKey, secret) !== 1) {
        throw new Error("invalid secret key");
      }
      return serialize(publicKey);
    },
    parsePublicKey(bytes) {
      parse(bytes);
      return serialize(publicKey);
    },
    multiply(point, secret) {
      if (secret.length !== 32) throw new Error("a secret key is 32 bytes");
      parse(point);
      if (f.secp256k1_ec_pubkey_tweak_mul(context, publicKey, secret) !== 1) {
        throw new Error("invalid secret key");
      }
      return serialize(publicKey);
    },
  };

  /** Into `publicKey`; noble's encodings only (the library also takes "hybrid" 0x06/0x07). */
  function parse(bytes: Uint8Array): void {
    const prefix = bytes[0];
    const encoding =
      (bytes.length === 33 && (prefix === 2 || prefix === 3)) ||
      (bytes.length === 65 && prefix === 4);
    if (!encoding || f.secp256k1_ec_pubkey_parse(context, publicKey, bytes, bytes.length) !== 1) {
      throw new Error("not a secp256k1 public key");
    }
  }

  function serialize(key: Uint8Array): Uint8Array {
    const out = new Uint8Array(65);
    length[0] = 65n;
    f.secp256k1_ec_pubkey_serialize(context, out, length, key, EC_UNCOMPRESSED);
    return out;
  }
}

/** A few signatures and recoveries by both backends; a description of the first difference. */
function knownAnswerMismatch(native: Secp256k1Backend): string | undefined {
  for (let i = 1; i <= 3; i++) {
    const secret = new Uint8Array(32).fill(i);
    const digest = new Uint8Array(32).fill(0x40 + i);
    const expected = nobleSecp256k1.sign(digest, secret);
    const got = native.sign(digest, secret);
    if (!sameBytes(expected, got)) return `signature ${i}`;
    const publicKey = nobleSecp256k1.recover(digest, got);
    if (!sameBytes(publicKey, native.recover(digest, got))) return `recovery ${i}`;
    if (!sameBytes(nobleSecp256k1.publicKey(secret), native.publicKey(secret))) {
      return `public key ${i}`;
    }
    const other = new Uint8Array(32).fill(0x20 + i);
    if (!sameBytes(nobleSecp256k1.multiply(publicKey, other), native.multiply(publicKey, other))) {
      return `shared point ${i}`;
    }
  }
  return undefined;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

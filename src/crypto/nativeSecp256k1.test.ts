import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { bytesToHex } from "../protocol/bytes";
import { ProtocolError } from "../protocol/errors";
import {
  nobleSecp256k1,
  type Secp256k1Backend,
  secp256k1Backend,
  setSecp256k1Backend,
} from "../protocol/secp256k1";
import { privateKeySigner, recoverSigner, signDigestSync } from "../protocol/signatures";
import type { Bytes32, HexString } from "../protocol/types";
import { LIBSECP256K1_PACKAGE, loadNativeSecp256k1, useFastestSecp256k1 } from "./nativeSecp256k1";

/**
 * Native libsecp256k1 against noble: the same signatures, the same signers recovered, the same
 * signatures refused; and noble when the library is absent or overridden. CI installs the
 * Debian package (.ci/run), so nothing here is skipped there.
 */
const loaded = await loadNativeSecp256k1();
const native = "backend" in loaded ? loaded.backend : undefined;
if (!native) {
  console.warn(
    `\n  SKIPPED: native secp256k1 tests need ${LIBSECP256K1_PACKAGE} (apt-get install -y ${LIBSECP256K1_PACKAGE}): ${
      "reason" in loaded ? loaded.reason : ""
    }\n`,
  );
}

const N = secp256k1.Point.CURVE().n;
const random = (length: number) => crypto.getRandomValues(new Uint8Array(length));
const word = (value: bigint) => value.toString(16).padStart(64, "0");

afterAll(() => {
  setSecp256k1Backend(nobleSecp256k1);
});

/** What recoverSigner says with `backend` installed: an address, or the error's code. */
function outcome(backend: Secp256k1Backend, digest: Bytes32, signature: HexString): string {
  const previous = setSecp256k1Backend(backend);
  try {
    return recoverSigner(digest, signature);
  } catch (error) {
    return error instanceof ProtocolError ? `error ${error.code}` : `thrown ${String(error)}`;
  } finally {
    setSecp256k1Backend(previous);
  }
}

describe.skipIf(!native)("libsecp256k1 beside noble", () => {
  const lib = native as Secp256k1Backend;

  test("the same signatures and public keys for 3000 random keys and digests", () => {
    for (let i = 0; i < 3000; i++) {
      const secret = random(32);
      if (!secp256k1.utils.isValidSecretKey(secret)) continue;
      const digest = random(32);
      const expected = nobleSecp256k1.sign(digest, secret);
      const got = lib.sign(digest, secret);
      expect(bytesToHex(got)).toBe(bytesToHex(expected));
      const publicKey = secp256k1.getPublicKey(secret, false);
      expect(bytesToHex(lib.recover(digest, got))).toBe(bytesToHex(publicKey));
      expect(bytesToHex(nobleSecp256k1.recover(digest, got))).toBe(bytesToHex(publicKey));
    }
  });

  test("the same signatures through the protocol's signer, and the same address recovered", async () => {
    for (let i = 0; i < 200; i++) {
      const key = bytesToHex(random(32));
      const digest = bytesToHex(random(32));
      setSecp256k1Backend(nobleSecp256k1);
      const signer = privateKeySigner(key);
      const expected = await signer.signDigest(digest);
      setSecp256k1Backend(lib);
      expect(await signer.signDigest(digest)).toBe(expected);
      expect(recoverSigner(digest, expected)).toBe(signer.address);
      setSecp256k1Backend(nobleSecp256k1);
    }
  });

  test("the same verdict on malformed and random signatures", () => {
    const digest = bytesToHex(random(32));
    const good = signDigestSync(digest, random(32).fill(7, 0, 1));
    const r = good.slice(2, 66);
    const s = good.slice(66, 130);
    const notOnCurve = word(5n); // x = 5: 125 + 7 is not a square mod p
    const cases: HexString[] = [
      good,
      `0x${r}${s}1b`,
      `0x${r}${s}1c`,
      `0x${r}${s}00`,
      `0x${r}${s}01`,
      `0x${r}${s}1d`,
      `0x${r}${word(N - BigInt(`0x${s}`))}${good.slice(130)}`, // high s
      `0x${word(0n)}${s}1b`,
      `0x${r}${word(0n)}1b`,
      `0x${word(N)}${s}1b`,
      `0x${word(N + 1n)}${s}1c`,
      `0x${"ff".repeat(32)}${s}1b`,
      `0x${notOnCurve}${s}1b`,
      `0x${r}${word(N / 2n)}1b`,
      `0x${r}${word(N / 2n + 1n)}1b`,
      good.slice(0, 130),
      `${good}00`,
      `0x${"zz".repeat(65)}`,
    ];
    for (let i = 0; i < 1000; i++) {
      // Random r and low s: most recover to some address, a few r are not on the curve.
      const sLow = BigInt(bytesToHex(random(32))) % (N / 2n);
      cases.push(`0x${bytesToHex(random(32)).slice(2)}${word(sLow)}${i % 2 ? "1b" : "1c"}`);
    }
    for (const signature of cases) {
      expect(outcome(lib, digest, signature)).toBe(outcome(nobleSecp256k1, digest, signature));
    }
    expect(outcome(lib, "0x1234", good)).toBe(outcome(nobleSecp256k1, "0x1234", good));
    expect(outcome(lib, digest, good)).toMatch(/^0x/);
    expect(outcome(lib, digest, `0x${notOnCurve}${s}1b`)).toBe("error INVALID_SIGNATURE");
    // Both verdicts occur among the random ones (about half of all r are not on the curve).
    const verdicts = new Set(
      cases.slice(-1000).map((sig) => outcome(lib, digest, sig).slice(0, 2)),
    );
    expect([...verdicts].sort()).toEqual(["0x", "er"]);
  });

  test("refuses the secret keys noble refuses", () => {
    const digest = random(32);
    for (const secret of [new Uint8Array(32), Uint8Array.from(Buffer.from(word(N), "hex"))]) {
      expect(() => nobleSecp256k1.sign(digest, secret)).toThrow();
      expect(() => lib.sign(digest, secret)).toThrow();
    }
    expect(() => lib.sign(digest, new Uint8Array(31).fill(1))).toThrow();
    expect(() => lib.sign(new Uint8Array(31), new Uint8Array(32).fill(1))).toThrow();
  });

  test("the same public keys, parsed keys and ECDH points (ECIES), for 500 random keys", () => {
    for (let i = 0; i < 500; i++) {
      const secret = secp256k1.utils.randomSecretKey();
      const other = secp256k1.utils.randomSecretKey();
      const publicKey = nobleSecp256k1.publicKey(secret);
      expect(lib.publicKey(secret)).toEqual(publicKey);
      const compressed = secp256k1.getPublicKey(secret, true);
      expect(lib.parsePublicKey(compressed)).toEqual(publicKey);
      expect(lib.parsePublicKey(publicKey)).toEqual(publicKey);
      const shared = nobleSecp256k1.multiply(publicKey, other);
      expect(lib.multiply(publicKey, other)).toEqual(shared);
      expect(lib.multiply(compressed, other)).toEqual(shared);
    }
  });

  test("refuses the public keys and ECDH inputs noble refuses", () => {
    const secret = secp256k1.utils.randomSecretKey();
    const publicKey = nobleSecp256k1.publicKey(secret);
    const offCurve = Uint8Array.from(publicKey);
    offCurve[64] = (offCurve[64] as number) ^ 1;
    // libsecp256k1 also parses "hybrid" keys (0x06/0x07 prefixes); noble does not, nor do we.
    const hybrid = Uint8Array.from(publicKey);
    hybrid[0] = 6 + ((publicKey[64] as number) & 1);
    // x = 2^256 − 1: beyond the field, so no point.
    const beyondField = new Uint8Array(33).fill(0xff);
    beyondField[0] = 2;
    const badKeys = [offCurve, hybrid, publicKey.subarray(0, 64), beyondField];
    for (const key of badKeys) {
      expect(() => nobleSecp256k1.parsePublicKey(key)).toThrow();
      expect(() => lib.parsePublicKey(key)).toThrow();
      expect(() => nobleSecp256k1.multiply(key, secret)).toThrow();
      expect(() => lib.multiply(key, secret)).toThrow();
    }
    for (const bad of [new Uint8Array(32), Uint8Array.from(Buffer.from(word(N), "hex"))]) {
      expect(() => nobleSecp256k1.publicKey(bad)).toThrow();
      expect(() => lib.publicKey(bad)).toThrow();
      expect(() => nobleSecp256k1.multiply(publicKey, bad)).toThrow();
      expect(() => lib.multiply(publicKey, bad)).toThrow();
    }
  });

  test("useFastestSecp256k1 installs it", async () => {
    const choice = await useFastestSecp256k1();
    expect(choice.backend.name).toBe("libsecp256k1");
    expect(choice.library).toBeString();
    expect(secp256k1Backend().name).toBe("libsecp256k1");
    setSecp256k1Backend(nobleSecp256k1);
  });
});

test("CI installs the library when it is missing (.ci/run)", () => {
  const script = readFileSync(join(import.meta.dir, "../../.ci/run"), "utf8");
  expect(script).toContain(`|| missing+=(${LIBSECP256K1_PACKAGE})`);
});

describe("the fallback to noble", () => {
  test("a library that is not there", async () => {
    setSecp256k1Backend({ ...nobleSecp256k1, name: "earlier" });
    const choice = await useFastestSecp256k1({ paths: ["/nonexistent/libsecp256k1.so.1"] });
    expect(choice.backend).toBe(nobleSecp256k1);
    expect(choice.reason).toContain("libsecp256k1 not found");
    expect(choice.reason).toContain(LIBSECP256K1_PACKAGE);
    expect(secp256k1Backend()).toBe(nobleSecp256k1);
  });

  test("$CONNEXT_LIBSECP256K1 naming a wrong path", async () => {
    const choice = await useFastestSecp256k1({
      env: { CONNEXT_LIBSECP256K1: "/nonexistent/libsecp256k1.so" },
    });
    expect(choice.backend).toBe(nobleSecp256k1);
    expect(choice.reason).toContain("/nonexistent/libsecp256k1.so");
  });

  test("$CONNEXT_SECP256K1=noble", async () => {
    const choice = await useFastestSecp256k1({ env: { CONNEXT_SECP256K1: "noble" } });
    expect(choice).toEqual({ backend: nobleSecp256k1, reason: "CONNEXT_SECP256K1=noble" });
    expect(secp256k1Backend()).toBe(nobleSecp256k1);
  });

  test("signing and recovery work with noble installed", () => {
    const key = bytesToHex(new Uint8Array(32).fill(3));
    const signer = privateKeySigner(key);
    const digest = bytesToHex(new Uint8Array(32).fill(9));
    expect(recoverSigner(digest, signDigestSync(digest, new Uint8Array(32).fill(3)))).toBe(
      signer.address,
    );
  });
});

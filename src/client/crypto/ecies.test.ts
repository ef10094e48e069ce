import { describe, expect, test } from "bun:test";
import * as eciesjs from "eciesjs";
import { Config } from "eciesjs/config";
import { SigningKey, Wallet } from "ethers";
import { loadNativeSecp256k1 } from "../../crypto/nativeSecp256k1";
import { nobleSecp256k1, setSecp256k1Backend } from "../../protocol/secp256k1";
import { decryptWithPrivateKey, encryptToPublicKey, publicKeyMatchesAddress } from "./ecies";
import { CryptoError, type CryptoErrorCode } from "./errors";

const payee = Wallet.createRandom();
const stranger = Wallet.createRandom();
const secret = new TextEncoder().encode("pre-image 0x0123…, and some unicode ✓");

function expectCryptoError(run: () => unknown, code: CryptoErrorCode): void {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(CryptoError);
  expect((caught as CryptoError).code).toBe(code);
}

/** `hex` with the byte at `index` flipped. */
function flipByte(hex: string, index: number): string {
  const at = 2 + index * 2;
  const flipped = (Number.parseInt(hex.slice(at, at + 2), 16) ^ 0xff).toString(16).padStart(2, "0");
  return hex.slice(0, at) + flipped + hex.slice(at + 2);
}

describe("ECIES to an Ethereum key", () => {
  test("round trip with an ethers wallet's keys, uncompressed and compressed", () => {
    const uncompressed = payee.signingKey.publicKey;
    const compressed = payee.signingKey.compressedPublicKey;
    expect(uncompressed).toHaveLength(2 + 130);
    for (const publicKey of [uncompressed, compressed, uncompressed.slice(2)]) {
      const ciphertext = encryptToPublicKey(publicKey, secret);
      expect(ciphertext).toMatch(/^0x[0-9a-f]+$/);
      expect(decryptWithPrivateKey(payee.privateKey, ciphertext)).toEqual(secret);
    }
  });

  test("every encryption is fresh, and an empty plaintext round-trips", () => {
    const a = encryptToPublicKey(payee.signingKey.publicKey, secret);
    const b = encryptToPublicKey(payee.signingKey.publicKey, secret);
    expect(a).not.toBe(b);
    const empty = encryptToPublicKey(payee.signingKey.publicKey, new Uint8Array());
    expect(decryptWithPrivateKey(payee.privateKey, empty)).toEqual(new Uint8Array());
  });

  test("another key cannot decrypt", () => {
    const ciphertext = encryptToPublicKey(payee.signingKey.publicKey, secret);
    expectCryptoError(
      () => decryptWithPrivateKey(stranger.privateKey, ciphertext),
      "DECRYPTION_FAILED",
    );
  });

  test("a tampered ciphertext is refused: ephemeral key, nonce, tag or body", () => {
    const ciphertext = encryptToPublicKey(payee.signingKey.publicKey, secret);
    const bytes = (ciphertext.length - 2) / 2;
    for (const index of [1, 64, 70, 90, bytes - 1]) {
      expectCryptoError(
        () => decryptWithPrivateKey(payee.privateKey, flipByte(ciphertext, index)),
        "DECRYPTION_FAILED",
      );
    }
    expectCryptoError(
      () => decryptWithPrivateKey(payee.privateKey, ciphertext.slice(0, -2)),
      "DECRYPTION_FAILED",
    );
  });

  test("garbage is DECRYPTION_FAILED, a bad key is INVALID_*_KEY", () => {
    for (const garbage of [
      "",
      "0x",
      "0xzz",
      "0x123",
      `0x${"00".repeat(200)}`,
      `0x04${"11".repeat(120)}`,
    ]) {
      expectCryptoError(
        () => decryptWithPrivateKey(payee.privateKey, garbage),
        "DECRYPTION_FAILED",
      );
    }
    const ciphertext = encryptToPublicKey(payee.signingKey.publicKey, secret);
    expectCryptoError(
      () => decryptWithPrivateKey(`0x${"00".repeat(32)}`, ciphertext),
      "INVALID_PRIVATE_KEY",
    );
    expectCryptoError(() => decryptWithPrivateKey("0x1234", ciphertext), "INVALID_PRIVATE_KEY");
    expectCryptoError(() => encryptToPublicKey(payee.address, secret), "INVALID_PUBLIC_KEY");
    expectCryptoError(
      () => encryptToPublicKey(`0x04${"00".repeat(64)}`, secret),
      "INVALID_PUBLIC_KEY",
    );
  });
});

describe("publicKeyMatchesAddress", () => {
  test("true for the wallet's own key, compressed or not, whatever the address case", () => {
    const { publicKey, compressedPublicKey } = payee.signingKey;
    for (const key of [publicKey, compressedPublicKey, publicKey.slice(2)]) {
      expect(publicKeyMatchesAddress(key, payee.address)).toBe(true);
      expect(publicKeyMatchesAddress(key, payee.address.toLowerCase())).toBe(true);
    }
    // A key recovered from a signature, as a node would learn it.
    const digest = `0x${"ab".repeat(32)}`;
    const recovered = SigningKey.recoverPublicKey(digest, payee.signingKey.sign(digest));
    expect(publicKeyMatchesAddress(recovered, payee.address)).toBe(true);
  });

  test("false for another address or a malformed key or address", () => {
    expect(publicKeyMatchesAddress(payee.signingKey.publicKey, stranger.address)).toBe(false);
    expect(publicKeyMatchesAddress(stranger.signingKey.compressedPublicKey, payee.address)).toBe(
      false,
    );
    expect(publicKeyMatchesAddress("0x1234", payee.address)).toBe(false);
    expect(publicKeyMatchesAddress(`0x04${"00".repeat(64)}`, payee.address)).toBe(false);
    expect(publicKeyMatchesAddress(payee.signingKey.publicKey, "0x1234")).toBe(false);
  });
});

describe("the eciesjs scheme, checked against eciesjs itself", () => {
  test("eciesjs decrypts ours, and we decrypt eciesjs's", () => {
    for (let i = 0; i < 20; i++) {
      const plaintext = crypto.getRandomValues(new Uint8Array(i * 7));
      const ours = encryptToPublicKey(payee.signingKey.publicKey, plaintext);
      const theirs = eciesjs.decrypt(payee.privateKey.slice(2), hexToBytes(ours), new Config());
      expect(new Uint8Array(theirs)).toEqual(plaintext);
      const fromThem = eciesjs.encrypt(
        payee.signingKey.publicKey.slice(2),
        plaintext,
        new Config(),
      );
      expect(
        decryptWithPrivateKey(payee.privateKey, `0x${Buffer.from(fromThem).toString("hex")}`),
      ).toEqual(plaintext);
    }
  });

  test("with native libsecp256k1 installed too: eciesjs and noble read ours, we read theirs", async () => {
    const loaded = await loadNativeSecp256k1();
    if (!("backend" in loaded)) {
      console.warn(`SKIPPED: native ECIES needs libsecp256k1: ${loaded.reason}`);
      return;
    }
    const previous = setSecp256k1Backend(loaded.backend);
    try {
      for (let i = 0; i < 20; i++) {
        const plaintext = crypto.getRandomValues(new Uint8Array(1 + i * 5));
        const key = i % 2 ? payee.signingKey.compressedPublicKey : payee.signingKey.publicKey;
        const ours = encryptToPublicKey(key, plaintext);
        const theirs = eciesjs.decrypt(payee.privateKey.slice(2), hexToBytes(ours), new Config());
        expect(new Uint8Array(theirs)).toEqual(plaintext);
        const fromThem = eciesjs.encrypt(payee.signingKey.publicKey.slice(2), plaintext);
        const hex = `0x${Buffer.from(fromThem).toString("hex")}`;
        expect(decryptWithPrivateKey(payee.privateKey, hex)).toEqual(plaintext);
        expectCryptoError(
          () => decryptWithPrivateKey(stranger.privateKey, ours),
          "DECRYPTION_FAILED",
        );
        setSecp256k1Backend(nobleSecp256k1);
        expect(decryptWithPrivateKey(payee.privateKey, ours)).toEqual(plaintext);
        setSecp256k1Backend(loaded.backend);
      }
    } finally {
      setSecp256k1Backend(previous);
    }
  });
});

function hexToBytes(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex.slice(2), "hex"));
}

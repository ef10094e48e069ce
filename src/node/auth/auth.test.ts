import { describe, expect, test } from "bun:test";
import { Wallet } from "ethers";
import { createAuth } from "./auth";
import { type AuthErrorCode, isAuthError } from "./errors";
import { authSecretFromPrivateKey, macEquals } from "./mac";

const nodeKey = Wallet.createRandom().privateKey;
const secret = authSecretFromPrivateKey(nodeKey);

function clock(start = 1_700_000_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

function refusal(run: () => unknown): AuthErrorCode | "no error" | "other error" {
  try {
    run();
    return "no error";
  } catch (error) {
    return isAuthError(error) ? error.code : "other error";
  }
}

describe("the auth secret", () => {
  test("is 32 bytes, the same for the same key, different for another", () => {
    expect(authSecretFromPrivateKey(nodeKey)).toEqual(secret);
    expect(authSecretFromPrivateKey(nodeKey.slice(2))).toEqual(secret);
    expect(secret.length).toBe(32);
    expect(authSecretFromPrivateKey(Wallet.createRandom().privateKey)).not.toEqual(secret);
  });

  test("a malformed key or a short secret is INVALID_SECRET", () => {
    expect(refusal(() => authSecretFromPrivateKey("0x1234"))).toBe("INVALID_SECRET");
    expect(refusal(() => createAuth({ secret: new Uint8Array(16) }))).toBe("INVALID_SECRET");
  });

  test("MACs compare equal only when identical", () => {
    expect(macEquals("abc", "abc")).toBe(true);
    expect(macEquals("abc", "abd")).toBe(false);
    expect(macEquals("abc", "abcd")).toBe(false);
  });
});

describe("signing in with a nonce", () => {
  test("a wallet signs the nonce; the node gets its checksummed address and public key", async () => {
    const time = clock();
    const auth = createAuth({ secret, now: time.now });
    const wallet = Wallet.createRandom();
    const issued = auth.issueNonce(wallet.address.toLowerCase());
    expect(issued.expiresAt).toBe(time.now() + 300_000);
    expect(issued.nonce).toContain(`Address: ${wallet.address}`);
    expect(issued.nonce).toContain("Expires: 2023-11-14T22:18:20.000Z");

    const signature = await wallet.signMessage(issued.nonce);
    const verified = auth.verifySignedNonce({
      address: wallet.address.toLowerCase(),
      nonce: issued.nonce,
      signature,
    });
    expect(verified).toEqual({ address: wallet.address, publicKey: wallet.signingKey.publicKey });
    expect(verified.publicKey).toMatch(/^0x04[0-9a-f]{128}$/);
  });

  test("another process with the same key accepts it; one with another key does not", async () => {
    const wallet = Wallet.createRandom();
    const { nonce } = createAuth({ secret }).issueNonce(wallet.address);
    const signature = await wallet.signMessage(nonce);
    const twin = createAuth({ secret: authSecretFromPrivateKey(nodeKey) });
    expect(twin.verifySignedNonce({ address: wallet.address, nonce, signature }).address).toBe(
      wallet.address,
    );
    const stranger = createAuth({
      secret: authSecretFromPrivateKey(Wallet.createRandom().privateKey),
    });
    expect(
      refusal(() => stranger.verifySignedNonce({ address: wallet.address, nonce, signature })),
    ).toBe("INVALID_NONCE");
  });

  test("every forged, foreign, stale or mis-signed nonce is refused with its code", async () => {
    const time = clock();
    const auth = createAuth({ secret, now: time.now, nonceTtlSeconds: 60 });
    const wallet = Wallet.createRandom();
    const other = Wallet.createRandom();
    const { nonce } = auth.issueNonce(wallet.address);
    const signature = await wallet.signMessage(nonce);
    const verify = (fields: Partial<{ address: string; nonce: string; signature: string }>) => () =>
      auth.verifySignedNonce({ address: wallet.address, nonce, signature, ...fields });

    // A later expiry written in by hand breaks the MAC.
    const extended = nonce.replace(/Expires: .*/, "Expires: 2099-01-01T00:00:00.000Z");
    expect(
      refusal(verify({ nonce: extended, signature: await wallet.signMessage(extended) })),
    ).toBe("INVALID_NONCE");
    expect(refusal(verify({ nonce: "hello" }))).toBe("INVALID_NONCE");
    expect(refusal(verify({ nonce: `${nonce}x` }))).toBe("INVALID_NONCE");

    // Issued for someone else, even if that someone signs it.
    const foreign = auth.issueNonce(other.address).nonce;
    expect(refusal(verify({ nonce: foreign, signature: await other.signMessage(foreign) }))).toBe(
      "INVALID_NONCE",
    );

    // Signed by a key that is not the address's.
    expect(refusal(verify({ signature: await other.signMessage(nonce) }))).toBe(
      "INVALID_SIGNATURE",
    );
    expect(refusal(verify({ signature: "0x1234" }))).toBe("INVALID_SIGNATURE");
    expect(refusal(verify({ signature: `0x${"00".repeat(65)}` }))).toBe("INVALID_SIGNATURE");

    expect(refusal(verify({ address: "0x1234" }))).toBe("INVALID_ADDRESS");
    // Mixed case with a broken checksum.
    const badChecksum = wallet.address.replace(/[a-f]/, (c) => c.toUpperCase());
    if (badChecksum !== wallet.address)
      expect(refusal(verify({ address: badChecksum }))).toBe("INVALID_ADDRESS");

    expect(refusal(verify({}))).toBe("no error");
    time.advance(59_999);
    expect(refusal(verify({}))).toBe("no error");
    time.advance(1);
    expect(refusal(verify({}))).toBe("NONCE_EXPIRED");
  });

  test("issuing a nonce for a malformed address is INVALID_ADDRESS", () => {
    const auth = createAuth({ secret });
    expect(refusal(() => auth.issueNonce("XE7338O073KYGTWWZN0F2WZ0R8PX5ZPPZS"))).toBe(
      "INVALID_ADDRESS",
    );
    expect(refusal(() => auth.issueNonce("not an address"))).toBe("INVALID_ADDRESS");
  });
});

describe("tokens", () => {
  test("round trip: URL-safe, checksummed address back, expiry after the TTL", () => {
    const time = clock();
    const auth = createAuth({ secret, now: time.now, tokenTtlSeconds: 3600 });
    const address = Wallet.createRandom().address;
    const { token, expiresAt } = auth.issueToken(address.toLowerCase());
    expect(encodeURIComponent(token)).toBe(token);
    expect(expiresAt).toBe(time.now() + 3_600_000);
    expect(auth.verifyToken(token)).toBe(address);
    expect(createAuth({ secret, now: time.now }).verifyToken(token)).toBe(address);

    time.advance(3_599_999);
    expect(auth.verifyToken(token)).toBe(address);
    time.advance(1);
    expect(refusal(() => auth.verifyToken(token))).toBe("TOKEN_EXPIRED");
  });

  test("altered, foreign-keyed or malformed tokens are INVALID_TOKEN", () => {
    const auth = createAuth({ secret });
    const victim = Wallet.createRandom().address;
    const { token } = auth.issueToken(Wallet.createRandom().address);
    const [, expiry, mac] = token.split(".");
    const stranger = createAuth({
      secret: authSecretFromPrivateKey(Wallet.createRandom().privateKey),
    });
    for (const forged of [
      `${victim}.${expiry}.${mac}`,
      token.replace(/\.(\d+)\./, ".9999999999999."),
      stranger.issueToken(victim).token,
      "",
      "garbage",
      `${token}.`,
    ]) {
      expect(refusal(() => auth.verifyToken(forged))).toBe("INVALID_TOKEN");
    }
  });

  test("a nonce's MAC never passes as a token's", () => {
    const auth = createAuth({ secret });
    const address = Wallet.createRandom().address;
    const { nonce, expiresAt } = auth.issueNonce(address);
    const nonceMac = nonce.slice(nonce.lastIndexOf(" ") + 1);
    expect(refusal(() => auth.verifyToken(`${address}.${expiresAt}.${nonceMac}`))).toBe(
      "INVALID_TOKEN",
    );
  });
});

import { describe, expect, test } from "bun:test";
import { Wallet } from "ethers";
import { createAuth } from "./auth";
import { type AuthErrorCode, isAuthError } from "./errors";
import { authSecretFromPrivateKey, mac, macEquals, macHex } from "./mac";

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

  test("a nonce's hex MAC is the first half of the same MAC, letters and digits only", () => {
    const hex = macHex(secret, "nonce", "x");
    expect(hex).toMatch(/^[0-9a-f]{32}$/);
    expect(
      Buffer.from(mac(secret, "nonce", "x"), "base64url")
        .subarray(0, 16)
        .toString("hex"),
    ).toBe(hex);
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

  test("a nonce's MAC never passes as a token's: the purpose is part of what is MAC'd", () => {
    const auth = createAuth({ secret });
    const address = Wallet.createRandom().address;
    const expiresAt = Date.now() + 60_000;
    const body = `${address}.${expiresAt}`;
    expect(refusal(() => auth.verifyToken(`${body}.${mac(secret, "nonce", body)}`))).toBe(
      "INVALID_TOKEN",
    );
    expect(auth.verifyToken(`${body}.${mac(secret, "token", body)}`)).toBe(address);
  });
});

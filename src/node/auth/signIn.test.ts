import { describe, expect, test } from "bun:test";
import { ParsedMessage } from "@spruceid/siwe-parser";
import { type HDNodeWallet, Wallet } from "ethers";
import { type AuthErrorCode, isAuthError } from "./errors";
import { authSecretFromPrivateKey } from "./mac";
import { signInOrigin } from "./publicUrl";
import { createSignIn, type SignedMessage, type SignInSite, signInStatement } from "./signIn";

const nodeWallet = Wallet.createRandom();
const secret = authSecretFromPrivateKey(nodeWallet.privateKey);
const site: SignInSite = {
  node: nodeWallet.address,
  chainId: 31337,
  publicUrl: "https://node.example",
};
const START = 1_700_000_000_000;

function clock(start = START) {
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

/** `message` with `from` replaced by `to` (once), checking it was there. */
function edit(message: string, from: string | RegExp, to: string): string {
  const edited = message.replace(from, to);
  expect(edited).not.toBe(message);
  return edited;
}

describe("the sign-in message", () => {
  test("is EIP-4361: the node's domain, URI, chain and identifier, the nonce and its times", () => {
    const time = clock();
    const signIn = createSignIn({ secret, site: () => site, now: time.now });
    const wallet = Wallet.createRandom();
    const { message, expiresAt } = signIn.issue(wallet.address.toLowerCase());
    expect(expiresAt).toBe(START + 300_000);
    const nonce = /\nNonce: (\w+)\n/.exec(message)?.[1] as string;
    expect(message).toBe(
      [
        "node.example wants you to sign in with your Ethereum account:",
        wallet.address,
        "",
        `Sign in to the Connext node ${nodeWallet.address}. Signing proves you hold this address; it costs nothing and authorises no payment.`,
        "",
        "URI: https://node.example",
        "Version: 1",
        "Chain ID: 31337",
        `Nonce: ${nonce}`,
        "Issued At: 2023-11-14T22:13:20.000Z",
        "Expiration Time: 2023-11-14T22:18:20.000Z",
      ].join("\n"),
    );
    // EIP-4361 nonces are letters and digits only, at least 8.
    expect(nonce).toMatch(/^[0-9a-f]{72}$/);

    // The reference grammar (what the `siwe` library and wallets read) reads the same fields.
    const parsed = new ParsedMessage(message);
    expect(parsed).toMatchObject({
      domain: "node.example",
      address: wallet.address,
      statement: signInStatement(nodeWallet.address),
      uri: "https://node.example",
      version: "1",
      chainId: 31337,
      nonce,
      issuedAt: "2023-11-14T22:13:20.000Z",
      expirationTime: "2023-11-14T22:18:20.000Z",
    });
  });

  test("signed by its wallet, it gives the checksummed address and the public key", async () => {
    const signIn = createSignIn({ secret, site: () => site });
    const wallet = Wallet.createRandom();
    const { message } = signIn.issue(wallet.address);
    const signature = await wallet.signMessage(message);
    const verified = signIn.verify({ address: wallet.address.toLowerCase(), message, signature });
    expect(verified).toEqual({ address: wallet.address, publicKey: wallet.signingKey.publicKey });
    expect(verified.publicKey).toMatch(/^0x04[0-9a-f]{128}$/);
  });

  test("another process with the same key accepts it; one with another key does not", async () => {
    const wallet = Wallet.createRandom();
    const { message } = createSignIn({ secret, site: () => site }).issue(wallet.address);
    const signed = {
      address: wallet.address,
      message,
      signature: await wallet.signMessage(message),
    };
    const twin = createSignIn({
      secret: authSecretFromPrivateKey(nodeWallet.privateKey),
      site: () => site,
    });
    expect(twin.verify(signed).address).toBe(wallet.address);
    const stranger = createSignIn({
      secret: authSecretFromPrivateKey(Wallet.createRandom().privateKey),
      site: () => site,
    });
    expect(refusal(() => stranger.verify(signed))).toBe("INVALID_NONCE");
  });

  test("the site is read at each sign-in: a node on port 0 learns its URL once it listens", async () => {
    let publicUrl = "";
    const signIn = createSignIn({ secret, site: () => ({ ...site, publicUrl }) });
    publicUrl = "http://127.0.0.1:41234";
    const wallet = Wallet.createRandom();
    const { message } = signIn.issue(wallet.address);
    expect(message).toStartWith("127.0.0.1:41234 wants you to sign in");
    expect(message).toContain("\nURI: http://127.0.0.1:41234\n");
    const signature = await wallet.signMessage(message);
    expect(signIn.verify({ address: wallet.address, message, signature }).address).toBe(
      wallet.address,
    );
  });
});

describe("every message that is not this node's, for this address, now, is refused", () => {
  const time = clock();
  const signIn = createSignIn({ secret, site: () => site, now: time.now, nonceTtlSeconds: 60 });
  const wallet = Wallet.createRandom();
  const other = Wallet.createRandom();

  /** The verdict on `message` signed by `signer` (the wallet by default). */
  async function verdict(message: string, signer: HDNodeWallet = wallet, address = signer.address) {
    const signed: SignedMessage = {
      address,
      message,
      signature: await signer.signMessage(message),
    };
    return refusal(() => signIn.verify(signed));
  }

  test("the genuine message passes until it expires, then NONCE_EXPIRED", async () => {
    const { message } = signIn.issue(wallet.address);
    expect(await verdict(message)).toBe("no error");
    time.advance(59_999);
    expect(await verdict(message)).toBe("no error");
    time.advance(1);
    expect(await verdict(message)).toBe("NONCE_EXPIRED");
  });

  test("for another domain or another URL: WRONG_DOMAIN", async () => {
    const { message } = signIn.issue(wallet.address);
    expect(await verdict(edit(message, /^node\.example /, "evil.example "))).toBe("WRONG_DOMAIN");
    expect(await verdict(edit(message, /^node\.example /, "node.example:8443 "))).toBe(
      "WRONG_DOMAIN",
    );
    expect(
      await verdict(edit(message, "URI: https://node.example", "URI: https://evil.example")),
    ).toBe("WRONG_DOMAIN");
    expect(await verdict(edit(message, "URI: https://", "URI: http://"))).toBe("WRONG_DOMAIN");
    expect(
      await verdict(edit(message, "URI: https://node.example", "URI: https://node.example/x")),
    ).toBe("WRONG_DOMAIN");
  });

  test("a phishing relay: the node's nonce wrapped in a message naming the phisher's site", async () => {
    // The phisher fetched a genuine message for its victim and rewrote the site for the
    // victim's wallet to show (and not warn about) its own domain.
    const genuine = signIn.issue(wallet.address).message;
    const relayed = genuine
      .replace(/^node\.example /, "wallet-login.example ")
      .replace("URI: https://node.example", "URI: https://wallet-login.example");
    expect(await verdict(relayed)).toBe("WRONG_DOMAIN");
  });

  test("for another chain: WRONG_CHAIN", async () => {
    const { message } = signIn.issue(wallet.address);
    expect(await verdict(edit(message, "Chain ID: 31337", "Chain ID: 1"))).toBe("WRONG_CHAIN");
  });

  test("for another node: WRONG_NODE, even on the same domain and chain", async () => {
    const elsewhere = Wallet.createRandom();
    const otherNode = createSignIn({
      secret: authSecretFromPrivateKey(elsewhere.privateKey),
      site: () => ({ ...site, node: elsewhere.address }),
      now: time.now,
    });
    expect(await verdict(otherNode.issue(wallet.address).message)).toBe("WRONG_NODE");
    const { message } = signIn.issue(wallet.address);
    expect(await verdict(edit(message, nodeWallet.address, elsewhere.address))).toBe("WRONG_NODE");
    expect(await verdict(edit(message, "it costs nothing", "it costs a little"))).toBe(
      "WRONG_NODE",
    );
  });

  test("issued for another address, even when that address signs it: INVALID_NONCE", async () => {
    const { message } = signIn.issue(other.address);
    expect(await verdict(message, other)).toBe("no error");
    // The victim's nonce, put in a message naming the attacker and signed by the attacker.
    const victims = signIn.issue(wallet.address).message;
    expect(await verdict(edit(victims, wallet.address, other.address), other)).toBe(
      "INVALID_NONCE",
    );
  });

  test("a tampered nonce or times that are not the nonce's: INVALID_NONCE", async () => {
    const { message } = signIn.issue(wallet.address);
    const nonce = /\nNonce: (\w+)\n/.exec(message)?.[1] as string;
    const flipped = `${nonce.slice(0, -1)}${nonce.endsWith("0") ? "1" : "0"}`;
    expect(await verdict(edit(message, nonce, flipped))).toBe("INVALID_NONCE");
    expect(await verdict(edit(message, nonce, "abcdefgh12345678"))).toBe("INVALID_NONCE");
    // A later expiry (and so a later nonce time) written in by hand breaks the MAC.
    const later = (time.now() + 3_600_000).toString(16).padStart(12, "0");
    expect(
      await verdict(edit(message, nonce, `${nonce.slice(0, 12)}${later}${nonce.slice(24)}`)),
    ).toBe("INVALID_NONCE");
    // The message's own expiry moved, the nonce left as issued.
    expect(
      await verdict(
        edit(message, /Expiration Time: .*/, "Expiration Time: 2099-01-01T00:00:00.000Z"),
      ),
    ).toBe("INVALID_NONCE");
    expect(
      await verdict(edit(message, /Issued At: .*/, "Issued At: 2020-01-01T00:00:00.000Z")),
    ).toBe("INVALID_NONCE");
  });

  test("signed by another key, or not a signature: INVALID_SIGNATURE", async () => {
    const { message } = signIn.issue(wallet.address);
    const forged = {
      address: wallet.address,
      message,
      signature: await other.signMessage(message),
    };
    expect(refusal(() => signIn.verify(forged))).toBe("INVALID_SIGNATURE");
    for (const signature of ["0x1234", `0x${"00".repeat(65)}`, "nope"]) {
      expect(refusal(() => signIn.verify({ address: wallet.address, message, signature }))).toBe(
        "INVALID_SIGNATURE",
      );
    }
  });

  test("not EIP-4361, another address than the body's, or anything added: INVALID_MESSAGE", async () => {
    const { message } = signIn.issue(wallet.address);
    expect(await verdict("hello")).toBe("INVALID_MESSAGE");
    expect(await verdict(`${message}\n`)).toBe("INVALID_MESSAGE");
    expect(await verdict(edit(message, wallet.address, wallet.address.toLowerCase()))).toBe(
      "INVALID_MESSAGE",
    );
    // Signed by the wallet, but the body claims another address.
    expect(await verdict(message, wallet, other.address)).toBe("INVALID_MESSAGE");
    // Well-formed EIP-4361, but more than this node issues.
    expect(await verdict(`${message}\nNot Before: 2023-11-14T22:13:20.000Z`)).toBe(
      "INVALID_MESSAGE",
    );
    expect(await verdict(`${message}\nResources:\n- https://evil.example/all-your-funds`)).toBe(
      "INVALID_MESSAGE",
    );
    expect(await verdict(`https://${message}`)).toBe("INVALID_MESSAGE");
  });

  test("a malformed address: INVALID_ADDRESS", async () => {
    const { message } = signIn.issue(wallet.address);
    expect(await verdict(message, wallet, "0x1234")).toBe("INVALID_ADDRESS");
    expect(refusal(() => signIn.issue("XE7338O073KYGTWWZN0F2WZ0R8PX5ZPPZS"))).toBe(
      "INVALID_ADDRESS",
    );
    expect(refusal(() => signIn.issue("not an address"))).toBe("INVALID_ADDRESS");
  });
});

describe("the public URL", () => {
  test("gives the domain (host[:port]) and the URI (no trailing slash), normalised", () => {
    expect(signInOrigin("https://node.example")).toEqual({
      domain: "node.example",
      uri: "https://node.example",
    });
    expect(signInOrigin("HTTPS://Node.Example:443/")).toEqual({
      domain: "node.example",
      uri: "https://node.example",
    });
    expect(signInOrigin("http://127.0.0.1:3000")).toEqual({
      domain: "127.0.0.1:3000",
      uri: "http://127.0.0.1:3000",
    });
    expect(signInOrigin("http://[::1]:3000/connext/")).toEqual({
      domain: "[::1]:3000",
      uri: "http://[::1]:3000/connext",
    });
  });

  test("refuses anything a wallet should not show as a site", () => {
    for (const bad of [
      "",
      "node.example",
      "ftp://node.example",
      "https://user:pw@node.example",
      "https://node.example/?x=1",
      "https://node.example/#top",
    ]) {
      expect(signInOrigin(bad)).toBeUndefined();
    }
  });
});

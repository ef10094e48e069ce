import { describe, expect, test } from "bun:test";
import { type ClaimsData, decode, encodeAccount, type User } from "@nats-io/jwt";
import { createUser } from "@nats-io/nkeys";
import { Wallet } from "ethers";
import {
  authResultFromClaims,
  NODE_LIMITS,
  nodePermissions,
  USER_LIMITS,
  userPermissions,
} from "./brokerPermissions";
import { isAuthError } from "./errors";
import { natsIssuers, nodeMessagingCredentials } from "./natsAuth";
import { issueUserJwt } from "./natsJwt";
import { natsKeysFromPrivateKey } from "./natsKeys";
import { verifyUserJwt } from "./natsVerify";

/** The pieces of messaging auth: key derivation, JWT issue and check, claims to permissions. */

const nodeWallet = Wallet.createRandom();
const node = nodeWallet.address;
const keys = natsKeysFromPrivateKey(nodeWallet.privateKey);
const issuers = natsIssuers(keys);
const alice = Wallet.createRandom().address;
const NONCE = "a-server-nonce";

async function userJwt(
  overrides: { expiresAt?: number; nkey?: ReturnType<typeof createUser> } = {},
) {
  const nkey = overrides.nkey ?? createUser();
  const jwt = await issueUserJwt(keys, {
    name: alice,
    nkey: nkey.getPublicKey(),
    permissions: userPermissions(node, alice),
    limits: USER_LIMITS,
    expiresAt: overrides.expiresAt ?? Date.now() + 60_000,
  });
  const sig = Buffer.from(nkey.sign(new TextEncoder().encode(NONCE))).toString("base64url");
  return { jwt, sig, nkey };
}

function codeOf(run: () => unknown): string {
  try {
    run();
    return "accepted";
  } catch (error) {
    return isAuthError(error) ? error.code : String(error);
  }
}

describe("natsKeysFromPrivateKey", () => {
  test("the same key gives the same operator, system account, account and signing key; another key others", () => {
    const again = natsKeysFromPrivateKey(nodeWallet.privateKey.replace(/^0x/, ""));
    const other = natsKeysFromPrivateKey(Wallet.createRandom().privateKey);
    for (const role of ["operator", "system", "account", "signing"] as const) {
      expect(again[role].getPublicKey()).toBe(keys[role].getPublicKey());
      expect(other[role].getPublicKey()).not.toBe(keys[role].getPublicKey());
    }
    expect(keys.operator.getPublicKey()).toStartWith("O");
    expect(keys.account.getPublicKey()).toStartWith("A");
    expect(keys.signing.getPublicKey()).toStartWith("A");
    expect(new Set(Object.values(keys).map((k) => k.getPublicKey())).size).toBe(4);
  });

  test("a key that is not 32 bytes of hex: INVALID_SECRET", () => {
    expect(codeOf(() => natsKeysFromPrivateKey("0x1234"))).toBe("INVALID_SECRET");
  });
});

describe("issueUserJwt and verifyUserJwt", () => {
  test("a user JWT signed by the signing key for the account, with the user's permissions and limits", async () => {
    const { jwt, sig, nkey } = await userJwt();
    const claims = verifyUserJwt(jwt, sig, NONCE, issuers, Date.now());
    expect(claims.sub).toBe(nkey.getPublicKey());
    expect(claims.iss).toBe(keys.signing.getPublicKey());
    expect(claims.nats.issuer_account).toBe(keys.account.getPublicKey());
    expect(claims.nats.pub?.allow).toEqual(userPermissions(node, alice).publish.allow);
    expect(claims.nats.sub?.allow).toEqual(userPermissions(node, alice).subscribe.allow);
    expect(claims.nats.resp).toEqual({ max: 1, ttl: 120_000_000_000 });
    expect(claims.nats.payload).toBe(USER_LIMITS.maxPayload);
    expect(claims.nats.subs).toBe(USER_LIMITS.maxSubscriptions);
  });

  test("a public key that is not a user's: INVALID_NKEY", async () => {
    for (const nkey of ["nope", keys.account.getPublicKey(), `U${"A".repeat(55)}`]) {
      const issued = issueUserJwt(keys, {
        name: alice,
        nkey,
        permissions: userPermissions(node, alice),
        expiresAt: Date.now() + 1000,
      });
      expect(
        await issued.then(
          () => "issued",
          (e) => (isAuthError(e) ? e.code : String(e)),
        ),
      ).toBe("INVALID_NKEY");
    }
  });

  test("each refusal has its code", async () => {
    const { jwt, sig } = await userJwt();
    const now = Date.now();
    expect(codeOf(() => verifyUserJwt(undefined, sig, NONCE, issuers, now))).toBe("INVALID_JWT");
    expect(codeOf(() => verifyUserJwt("a.b.c", sig, NONCE, issuers, now))).toBe("INVALID_JWT");
    // Altered claims: the signature no longer holds.
    const [head, body, signature] = jwt.split(".") as [string, string, string];
    const claims = JSON.parse(Buffer.from(body, "base64url").toString());
    claims.nats.pub.allow = [">"];
    const altered = `${head}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.${signature}`;
    expect(codeOf(() => verifyUserJwt(altered, sig, NONCE, issuers, now))).toBe("INVALID_JWT");
    // An account JWT is not a user's.
    const account = await encodeAccount("x", keys.account);
    expect(codeOf(() => verifyUserJwt(account, sig, NONCE, issuers, now))).toBe("INVALID_JWT");
    // Another node's account.
    const otherIssuers = natsIssuers(natsKeysFromPrivateKey(Wallet.createRandom().privateKey));
    expect(codeOf(() => verifyUserJwt(jwt, sig, NONCE, otherIssuers, now))).toBe("INVALID_JWT");
    // Our signing key for another account.
    const forOther = { ...issuers, account: otherIssuers.account };
    expect(codeOf(() => verifyUserJwt(jwt, sig, NONCE, forOther, now))).toBe("INVALID_JWT");
    expect(codeOf(() => verifyUserJwt(jwt, sig, NONCE, issuers, now + 61_000))).toBe("JWT_EXPIRED");
    expect(codeOf(() => verifyUserJwt(jwt, sig, "another nonce", issuers, now))).toBe(
      "INVALID_NONCE_SIGNATURE",
    );
    expect(codeOf(() => verifyUserJwt(jwt, sig, "", issuers, now))).toBe("INVALID_NONCE_SIGNATURE");
    expect(codeOf(() => verifyUserJwt(jwt, "not base64 !", NONCE, issuers, now))).toBe(
      "INVALID_NONCE_SIGNATURE",
    );
    const { sig: othersSig } = await userJwt();
    expect(codeOf(() => verifyUserJwt(jwt, othersSig, NONCE, issuers, now))).toBe(
      "INVALID_NONCE_SIGNATURE",
    );
    // nats.js sends the signature in standard base64: accepted too.
    const standard = Buffer.from(sig, "base64url").toString("base64");
    expect(codeOf(() => verifyUserJwt(jwt, standard, NONCE, issuers, now))).toBe("accepted");
  });
});

describe("nodeMessagingCredentials", () => {
  test("a node process's JWT: every permission, no expiry, and its nkey signs the server's nonce", async () => {
    const { authenticator } = await nodeMessagingCredentials(keys, node);
    const { jwt, sig } = authenticator(NONCE) as { jwt: string; sig: string };
    const claims = verifyUserJwt(jwt, sig, NONCE, issuers, Date.now() + 10 * 365 * 86_400_000);
    expect(claims.exp).toBeUndefined();
    expect(claims.name).toBe(node);
    expect(claims.nats.pub?.allow).toEqual([">"]);
    expect(claims.nats.sub?.allow).toEqual([">"]);
    expect(authResultFromClaims(claims)?.limits).toEqual({ ...NODE_LIMITS });
  });
});

describe("authResultFromClaims", () => {
  const claimsOf = (nats: Partial<User>): ClaimsData<User> =>
    ({ sub: "U", iss: "A", name: alice, nats }) as unknown as ClaimsData<User>;

  test("a user's JWT: its permissions, replies only into its inboxes, limits from the JWT", async () => {
    const { jwt } = await userJwt();
    const result = authResultFromClaims(decode<User>(jwt));
    const expected = userPermissions(node, alice);
    expect(result?.user).toBe(alice);
    expect(result?.publish).toEqual({
      allow: expected.publish.allow,
      allowResponses: { max: 1, expiresMs: 120_000 },
    });
    expect(result?.subscribe).toEqual(expected.subscribe);
    expect(result?.reply).toEqual(expected.reply);
    expect(result?.limits).toEqual({ ...USER_LIMITS });
  });

  test("a JWT that may publish everywhere is a node process: NODE_LIMITS", () => {
    const all = nodePermissions();
    const result = authResultFromClaims(
      claimsOf({ pub: { allow: all.publish.allow }, sub: { allow: all.subscribe.allow } }),
    );
    expect(result?.limits).toEqual({ ...NODE_LIMITS });
    expect(result?.reply).toEqual({ allow: [">"] });
  });

  test("deny lists are refused (the node never issues them)", () => {
    expect(authResultFromClaims(claimsOf({ pub: { allow: ["a"], deny: ["b"] } }))).toBeUndefined();
    expect(authResultFromClaims(claimsOf({ sub: { allow: ["a"], deny: ["b"] } }))).toBeUndefined();
  });
});

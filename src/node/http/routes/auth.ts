import type { OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { assertUserNkey } from "../../auth";
import { addressParam, jsonBody } from "../input";
import { addressParam as addressSchema, describe, json, jsonRequest, refusals } from "../openapi";
import type { ApiDeps, ApiEnv } from "../types";

export const signInBody = z.object({
  address: z.string().max(64),
  message: z.string().min(1).max(2048),
  signature: z.string().max(256),
  /** The NATS user public key (`U…`) the client generated; the answer carries its JWT. */
  nkey: z.string().max(64).optional(),
});

const issued = z.object({ address: z.string(), message: z.string(), expiresAt: z.number() });
const token = z.object({ token: z.string(), expiresAt: z.number(), jwt: z.string().optional() });

/**
 * Sign-in (DESIGN §5): GET an EIP-4361 message for an address (`{ address, message,
 * expiresAt }`), sign it with personal_sign, POST `{ address, message, signature }` back for a
 * bearer token and, for the `nkey` given, the messaging JWT (same expiry): the only credentials
 * messaging accepts. Signing in also records the user's public key, recovered from the
 * signature, for payers to encrypt to.
 */
export function authRoutes(
  app: OpenAPIHono<ApiEnv>,
  deps: Pick<ApiDeps, "auth" | "signIn" | "identities" | "messagingJwt">,
): void {
  describe(app, {
    method: "get",
    path: "/auth/{address}",
    summary: "The EIP-4361 sign-in message for an address to sign",
    request: { params: z.object({ address: addressSchema }) },
    responses: {
      200: json("the message and when it expires (unix ms)", issued),
      ...refusals({ 400: "INVALID_ADDRESS" }),
    },
  });
  app.get("/auth/:address", (c) => {
    const address = addressParam(c);
    const { message, expiresAt } = deps.signIn.issue(address);
    return c.json({ address, message, expiresAt });
  });

  describe(app, {
    method: "post",
    path: "/auth",
    summary: "Exchange a signed sign-in message for a bearer token",
    request: jsonRequest(signInBody),
    responses: {
      200: json("the bearer token, the messaging JWT and when they expire (unix ms)", token),
      ...refusals({
        400: "MALFORMED_REQUEST, INVALID_ADDRESS, INVALID_NKEY",
        401: "INVALID_MESSAGE, WRONG_DOMAIN, WRONG_CHAIN, WRONG_NODE, INVALID_NONCE, NONCE_EXPIRED, INVALID_SIGNATURE",
        413: "PAYLOAD_TOO_LARGE",
      }),
    },
  });
  app.post("/auth", async (c) => {
    const { nkey, ...signed } = await jsonBody(c, signInBody);
    if (nkey !== undefined) assertUserNkey(nkey);
    const { address, publicKey } = deps.signIn.verify(signed);
    await deps.identities.record(address, publicKey);
    const { token, expiresAt } = deps.auth.issueToken(address);
    if (nkey === undefined || deps.messagingJwt === undefined) return c.json({ token, expiresAt });
    const jwt = await deps.messagingJwt(address, nkey, expiresAt);
    return c.json({ token, expiresAt, jwt });
  });
}

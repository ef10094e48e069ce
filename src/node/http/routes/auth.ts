import type { OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { addressParam, jsonBody } from "../input";
import { addressParam as addressSchema, describe, json, jsonRequest, refusals } from "../openapi";
import type { ApiDeps, ApiEnv } from "../types";

export const signInBody = z.object({
  address: z.string().max(64),
  message: z.string().min(1).max(2048),
  signature: z.string().max(256),
});

const issued = z.object({ address: z.string(), message: z.string(), expiresAt: z.number() });
const token = z.object({ token: z.string(), expiresAt: z.number() });

/**
 * Sign-in (DESIGN §5): GET an EIP-4361 message for an address (`{ address, message,
 * expiresAt }`), sign it with personal_sign, POST `{ address, message, signature }` back for a
 * bearer token. Signing in also records the user's public key, recovered from the signature,
 * for payers to encrypt to.
 */
export function authRoutes(
  app: OpenAPIHono<ApiEnv>,
  deps: Pick<ApiDeps, "auth" | "signIn" | "identities">,
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
      200: json("the bearer token and when it expires (unix ms)", token),
      ...refusals({
        400: "MALFORMED_REQUEST, INVALID_ADDRESS",
        401: "INVALID_MESSAGE, WRONG_DOMAIN, WRONG_CHAIN, WRONG_NODE, INVALID_NONCE, NONCE_EXPIRED, INVALID_SIGNATURE",
        413: "PAYLOAD_TOO_LARGE",
      }),
    },
  });
  app.post("/auth", async (c) => {
    const signed = await jsonBody(c, signInBody);
    const { address, publicKey } = deps.signIn.verify(signed);
    await deps.identities.record(address, publicKey);
    const { token, expiresAt } = deps.auth.issueToken(address);
    return c.json({ token, expiresAt });
  });
}

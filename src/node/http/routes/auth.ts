import type { Hono } from "hono";
import { z } from "zod";
import { addressParam, jsonBody } from "../input";
import type { ApiDeps, ApiEnv } from "../types";

const signInBody = z.object({
  address: z.string().max(64),
  message: z.string().min(1).max(2048),
  signature: z.string().max(256),
});

/**
 * Sign-in (DESIGN §5): GET an EIP-4361 message for an address (`{ address, message,
 * expiresAt }`), sign it with personal_sign, POST `{ address, message, signature }` back for a
 * bearer token. Signing in also records the user's public key, recovered from the signature,
 * for payers to encrypt to.
 */
export function authRoutes(
  app: Hono<ApiEnv>,
  deps: Pick<ApiDeps, "auth" | "signIn" | "identities">,
): void {
  app.get("/auth/:address", (c) => {
    const address = addressParam(c);
    const { message, expiresAt } = deps.signIn.issue(address);
    return c.json({ address, message, expiresAt });
  });

  app.post("/auth", async (c) => {
    const signed = await jsonBody(c, signInBody);
    const { address, publicKey } = deps.signIn.verify(signed);
    await deps.identities.record(address, publicKey);
    const { token, expiresAt } = deps.auth.issueToken(address);
    return c.json({ token, expiresAt });
  });
}

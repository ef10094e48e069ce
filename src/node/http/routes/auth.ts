import type { Hono } from "hono";
import { z } from "zod";
import { addressParam, jsonBody } from "../input";
import type { ApiDeps, ApiEnv } from "../types";

const signInBody = z.object({
  address: z.string().max(64),
  nonce: z.string().min(1).max(2048),
  signature: z.string().max(256),
});

/**
 * Sign-in (DESIGN §5): GET a nonce for an address, sign it with personal_sign, POST it back
 * for a bearer token. Signing in also records the user's public key, recovered from the
 * signature, for payers to encrypt to.
 */
export function authRoutes(app: Hono<ApiEnv>, deps: Pick<ApiDeps, "auth" | "identities">): void {
  app.get("/auth/:address", (c) => {
    const address = addressParam(c);
    const { nonce, expiresAt } = deps.auth.issueNonce(address);
    return c.json({ address, nonce, expiresAt });
  });

  app.post("/auth", async (c) => {
    const signed = await jsonBody(c, signInBody);
    const { address, publicKey } = deps.auth.verifySignedNonce(signed);
    await deps.identities.record(address, publicKey);
    const { token, expiresAt } = deps.auth.issueToken(address);
    return c.json({ token, expiresAt });
  });
}

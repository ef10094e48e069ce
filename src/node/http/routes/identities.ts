import type { Hono } from "hono";
import { ApiError } from "../errors";
import { addressParam } from "../input";
import type { ApiDeps, ApiEnv } from "../types";

/**
 * Public: a payer needs the payee's key to encrypt the payment's pre-image to it, and the
 * payee's channel timeout to give the payment an expiry both channels can defend (DESIGN §4.6).
 */
export function identityRoutes(app: Hono<ApiEnv>, deps: Pick<ApiDeps, "identities">): void {
  app.get("/identities/:address", async (c) => {
    const address = addressParam(c);
    const publicKey = await deps.identities.publicKey(address);
    if (publicKey === undefined) {
      throw new ApiError(404, "IDENTITY_NOT_FOUND", `${address} has never signed in`);
    }
    const channelTimeout = await deps.identities.channelTimeout?.(address);
    return c.json({ address, publicKey, ...(channelTimeout ? { channelTimeout } : {}) });
  });
}

import type { OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { ApiError } from "../errors";
import { addressParam } from "../input";
import { addressParam as addressSchema, describe, json, refusals } from "../openapi";
import type { ApiDeps, ApiEnv } from "../types";

const identity = z.object({
  address: z.string(),
  publicKey: z.string().describe("uncompressed secp256k1 key, 0x04…"),
  channelTimeout: z.number().optional().describe("seconds; absent before the user's channel"),
});

/**
 * Public: a payer needs the payee's key to encrypt the payment's pre-image to it, and the
 * payee's channel timeout to give the payment an expiry both channels can defend (DESIGN §4.6).
 */
export function identityRoutes(app: OpenAPIHono<ApiEnv>, deps: Pick<ApiDeps, "identities">): void {
  describe(app, {
    method: "get",
    path: "/identities/{address}",
    summary: "A user's public key and channel timeout",
    request: { params: z.object({ address: addressSchema }) },
    responses: {
      200: json("the user's key", identity),
      ...refusals({ 400: "INVALID_ADDRESS", 404: "IDENTITY_NOT_FOUND: never signed in" }),
    },
  });
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

import type { OpenAPIHono } from "@hono/zod-openapi";
import type { JSONValue } from "hono/utils/types";
import { ApiError } from "../errors";
import { bearer, describe, json, refusals } from "../openapi";
import { requireUser } from "../requireUser";
import type { ApiDeps, ApiEnv } from "../types";

const UNAUTHORIZED = refusals({
  401: "UNAUTHORIZED (no token), INVALID_TOKEN, TOKEN_EXPIRED",
});

/** The signed-in user's own channel, transfers and payments (restore, history). */
export function userRoutes(app: OpenAPIHono<ApiEnv>, deps: Pick<ApiDeps, "auth" | "reads">): void {
  const signedIn = requireUser(deps.auth);

  describe(app, {
    method: "get",
    path: "/channel",
    summary: "The node's latest state of the user's channel",
    security: bearer("userToken"),
    responses: {
      200: json("the channel state, bigints as decimal strings"),
      ...UNAUTHORIZED,
      ...refusals({ 404: "CHANNEL_NOT_FOUND" }),
    },
  });
  app.get("/channel", signedIn, async (c) => {
    const user = c.get("user");
    const channel = await deps.reads.channel(user);
    if (channel === undefined || channel === null) {
      throw new ApiError(404, "CHANNEL_NOT_FOUND", `the node has no channel with ${user}`);
    }
    return c.json(channel as JSONValue);
  });

  describe(app, {
    method: "get",
    path: "/channel/transfers",
    summary: "The user's channel's active transfers, in merkle-tree order",
    security: bearer("userToken"),
    responses: { 200: json("an array of transfers"), ...UNAUTHORIZED },
  });
  app.get("/channel/transfers", signedIn, async (c) =>
    c.json((await deps.reads.transfers(c.get("user"))) as JSONValue),
  );

  describe(app, {
    method: "get",
    path: "/payments",
    summary: "The user's payments in and out, with their status",
    security: bearer("userToken"),
    responses: { 200: json("an array of payments"), ...UNAUTHORIZED },
  });
  app.get("/payments", signedIn, async (c) =>
    c.json((await deps.reads.payments(c.get("user"))) as JSONValue),
  );
}

import type { Hono } from "hono";
import type { JSONValue } from "hono/utils/types";
import { ApiError } from "../errors";
import { requireUser } from "../requireUser";
import type { ApiDeps, ApiEnv } from "../types";

/** The signed-in user's own channel, transfers and payments (restore, history). */
export function userRoutes(app: Hono<ApiEnv>, deps: Pick<ApiDeps, "auth" | "reads">): void {
  const signedIn = requireUser(deps.auth);

  app.get("/channel", signedIn, async (c) => {
    const user = c.get("user");
    const channel = await deps.reads.channel(user);
    if (channel === undefined || channel === null) {
      throw new ApiError(404, "CHANNEL_NOT_FOUND", `the node has no channel with ${user}`);
    }
    return c.json(channel as JSONValue);
  });

  app.get("/channel/transfers", signedIn, async (c) =>
    c.json((await deps.reads.transfers(c.get("user"))) as JSONValue),
  );

  app.get("/payments", signedIn, async (c) =>
    c.json((await deps.reads.payments(c.get("user"))) as JSONValue),
  );
}

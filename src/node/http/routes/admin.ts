import type { OpenAPIHono } from "@hono/zod-openapi";
import { getAddress } from "ethers";
import type { Context } from "hono";
import { z } from "zod";
import { CollateralPolicyError } from "../../engine/collateralPolicies";
import { PAYMENT_STATUSES } from "../../store/schema";
import { ApiError } from "../errors";
import { addressParam, jsonBody } from "../input";
import {
  addressParam as addressSchema,
  bearer,
  describe,
  json as jsonResponse,
  refusals,
} from "../openapi";
import { adminDisabled, requireAdmin } from "../requireAdmin";
import type { AdminCollateralPolicy, AdminDeps, ApiDeps, ApiEnv } from "../types";

/** Base units as a decimal string (uint256 has at most 78 digits). */
const amount = z
  .string({ error: "must be a decimal string" })
  .regex(/^\d{1,78}$/, { error: "must be a decimal string" })
  .transform((value) => BigInt(value));

export const policyBody = z.strictObject({ target: amount, reclaimThreshold: amount });

/** One asset's policy as the admin API shows it: checksummed asset, decimal amounts. */
interface CollateralEntry {
  assetId: string;
  target: string;
  reclaimThreshold: string;
}

/**
 * The operator's admin API, behind `Authorization: Bearer <ADMIN_TOKEN>`: every channel, every
 * payment (by status), and the collateral policies, changeable while the node runs. Without
 * `deps.admin` every /admin route answers 404 ADMIN_DISABLED.
 *
 * - `GET /admin/channels`
 * - `GET /admin/payments?status=pending|completed|cancelled|failed`
 * - `GET /admin/collateral` → `[{ assetId, target, reclaimThreshold }]`
 * - `PUT /admin/collateral/:assetId` `{ target, reclaimThreshold }` → the asset's entry
 * - `DELETE /admin/collateral/:assetId` → `{ assetId, policy }`: the configured default the
 *   asset falls back to, or null when the node no longer carries it
 * - `POST /admin/channels/:channelAddress/dispute` → the node's latest state put on record
 *   (`{ transactionHash, nonce, consensusExpiry, defundExpiry }`); the node then carries the
 *   exit through on its own. 404 UNKNOWN_CHANNEL, 409 ALREADY_DISPUTED.
 * - `GET /admin/channels/:channelAddress/dispute` → where it stands, with the node's transactions
 */
export function adminRoutes(app: OpenAPIHono<ApiEnv>, deps: Pick<ApiDeps, "admin">): void {
  const admin = deps.admin;
  describeAdminRoutes(app);
  if (admin === undefined) {
    // "/admin/*" matches "/admin" itself too.
    app.use("/admin/*", adminDisabled());
    return;
  }
  app.use("/admin/*", requireAdmin(admin.token));

  app.get("/admin/channels", async (c) => json(c, await admin.channels()));

  app.get("/admin/payments", async (c) => {
    const statuses = c.req.queries("status") ?? [];
    const status = statuses[0];
    if (statuses.length > 1 || (status !== undefined && !isPaymentStatus(status))) {
      throw new ApiError(
        400,
        "MALFORMED_REQUEST",
        `status must be one of ${PAYMENT_STATUSES.join(", ")}`,
      );
    }
    return json(c, await admin.payments(status));
  });

  app.post("/admin/channels/:channelAddress/dispute", async (c) => {
    const channelAddress = addressParam(c, "channelAddress");
    return json(c, await disputeRefusals(admin.dispute(channelAddress)));
  });

  app.get("/admin/channels/:channelAddress/dispute", async (c) => {
    const channelAddress = addressParam(c, "channelAddress");
    return json(c, await admin.disputeStatus(channelAddress));
  });

  app.get("/admin/collateral", (c) => json(c, collateralEntries(admin)));

  app.put("/admin/collateral/:assetId", async (c) => {
    const assetId = addressParam(c, "assetId");
    const policy = await jsonBody(c, policyBody);
    await refusalsAsBadRequest(admin.collateral.set(assetId, policy));
    const stored = policyOf(admin, assetId) as AdminCollateralPolicy;
    return json(c, entry(assetId, stored));
  });

  app.delete("/admin/collateral/:assetId", async (c) => {
    const assetId = addressParam(c, "assetId");
    await refusalsAsBadRequest(admin.collateral.remove(assetId));
    const fallback = policyOf(admin, assetId);
    return json(c, { assetId, policy: fallback ? amounts(fallback) : null });
  });
}

/** A dispute the node cannot start: an unknown channel (404), one in dispute already (409). */
async function disputeRefusals<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (error instanceof Error && (code === "UNKNOWN_CHANNEL" || code === "ALREADY_DISPUTED")) {
      throw new ApiError(code === "UNKNOWN_CHANNEL" ? 404 : 409, code, error.message);
    }
    throw error;
  }
}

function isPaymentStatus(value: string): boolean {
  return (PAYMENT_STATUSES as readonly string[]).includes(value);
}

function policyOf(admin: AdminDeps, assetId: string): AdminCollateralPolicy | undefined {
  const policies = admin.collateral.list();
  const key = assetId.toLowerCase();
  return Object.hasOwn(policies, key) ? policies[key] : undefined;
}

function collateralEntries(admin: AdminDeps): CollateralEntry[] {
  return Object.entries(admin.collateral.list())
    .map(([assetId, policy]) => entry(getAddress(assetId), policy))
    .sort((a, b) => (a.assetId.toLowerCase() < b.assetId.toLowerCase() ? -1 : 1));
}

function entry(assetId: string, policy: AdminCollateralPolicy): CollateralEntry {
  return { assetId, ...amounts(policy) };
}

function amounts(policy: AdminCollateralPolicy): Omit<CollateralEntry, "assetId"> {
  return {
    target: policy.target.toString(10),
    reclaimThreshold: policy.reclaimThreshold.toString(10),
  };
}

/** A policy the collateral settings refuse (e.g. reclaimThreshold below target) is the caller's fault. */
async function refusalsAsBadRequest(work: Promise<unknown>): Promise<void> {
  try {
    await work;
  } catch (error) {
    if (error instanceof CollateralPolicyError) throw new ApiError(400, error.code, error.message);
    throw error;
  }
}

/** JSON with bigints as decimal strings, as on the wire. */
function json(c: Context, value: unknown): Response {
  const text = JSON.stringify(value, (_key, item) =>
    typeof item === "bigint" ? item.toString(10) : item,
  );
  return c.body(text, 200, { "Content-Type": "application/json" });
}

const ADMIN_REFUSALS = refusals({
  401: "UNAUTHORIZED (no token), INVALID_TOKEN",
  404: "ADMIN_DISABLED: the node runs without ADMIN_TOKEN",
});
const entrySchema = z.object({
  assetId: z.string(),
  target: z.string(),
  reclaimThreshold: z.string(),
});
const channelParams = z.object({ channelAddress: addressSchema });
const assetParams = z.object({ assetId: addressSchema });

/** The admin routes in the OpenAPI document, whether or not this node has ADMIN_TOKEN. */
function describeAdminRoutes(app: OpenAPIHono<ApiEnv>): void {
  const security = bearer("adminToken");
  describe(app, {
    method: "get",
    path: "/admin/channels",
    summary: "Every channel the node has",
    security,
    responses: { 200: jsonResponse("an array of channels"), ...ADMIN_REFUSALS },
  });
  describe(app, {
    method: "get",
    path: "/admin/payments",
    summary: "Every payment, or those in one status",
    security,
    request: { query: z.object({ status: z.enum(PAYMENT_STATUSES).optional() }) },
    responses: {
      200: jsonResponse("an array of payments"),
      ...ADMIN_REFUSALS,
      ...refusals({ 400: "MALFORMED_REQUEST: an unknown status, or more than one" }),
    },
  });
  describe(app, {
    method: "post",
    path: "/admin/channels/{channelAddress}/dispute",
    summary: "Start a unilateral exit of the channel (the node carries it through)",
    security,
    request: { params: channelParams },
    responses: {
      200: jsonResponse(
        "the state put on record: { transactionHash, nonce, consensusExpiry, defundExpiry }",
      ),
      ...ADMIN_REFUSALS,
      ...refusals({
        400: "INVALID_ADDRESS",
        404: "UNKNOWN_CHANNEL, ADMIN_DISABLED",
        409: "ALREADY_DISPUTED",
      }),
    },
  });
  describe(app, {
    method: "get",
    path: "/admin/channels/{channelAddress}/dispute",
    summary: "Where the channel's dispute stands, with the node's transactions",
    security,
    request: { params: channelParams },
    responses: {
      200: jsonResponse("the dispute status"),
      ...ADMIN_REFUSALS,
      ...refusals({ 400: "INVALID_ADDRESS" }),
    },
  });
  describe(app, {
    method: "get",
    path: "/admin/collateral",
    summary: "The collateral policies in force",
    security,
    responses: { 200: jsonResponse("per asset", z.array(entrySchema)), ...ADMIN_REFUSALS },
  });
  describe(app, {
    method: "put",
    path: "/admin/collateral/{assetId}",
    summary: "Add or replace an asset's collateral policy (base units, decimal strings)",
    security,
    request: {
      params: assetParams,
      body: { required: true, content: { "application/json": { schema: policyBody } } },
    },
    responses: {
      200: jsonResponse("the asset's policy as stored", entrySchema),
      ...ADMIN_REFUSALS,
      ...refusals({ 400: "MALFORMED_REQUEST, INVALID_ADDRESS, or the policy refused" }),
    },
  });
  describe(app, {
    method: "delete",
    path: "/admin/collateral/{assetId}",
    summary: "Drop an asset's stored policy; it falls back to its configured default",
    security,
    request: { params: assetParams },
    responses: {
      200: jsonResponse(
        "{ assetId, policy }: the default it falls back to, or null",
        z.object({
          assetId: z.string(),
          policy: z.object({ target: z.string(), reclaimThreshold: z.string() }).nullable(),
        }),
      ),
      ...ADMIN_REFUSALS,
      ...refusals({ 400: "INVALID_ADDRESS, or the removal refused" }),
    },
  });
}

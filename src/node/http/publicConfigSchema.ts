import { z } from "zod";
import type { HealthReport, NodePublicConfig } from "./types";

/** GET /config's body in the OpenAPI document; the checks below keep it NodePublicConfig's twin. */
export const publicConfigSchema = z.object({
  nodeIdentifier: z.string().describe("the node's checksummed address"),
  chainId: z.number(),
  contractAddresses: z.object({
    channelFactory: z.string(),
    channelMastercopy: z.string(),
    transferRegistry: z.string(),
    hashlockTransfer: z.string(),
    withdraw: z.string(),
    threadTransfer: z.string(),
    testToken: z.string().optional(),
  }),
  supportedAssets: z.array(z.string()).describe("0x0…0 is the chain's native coin"),
  messagingUrl: z.string().describe("nats://… for server-side clients: the first of messagingUrls"),
  messagingUrls: z
    .array(z.string())
    .optional()
    .describe("every NATS server (a cluster's), for clients to fail over between"),
  messagingWsUrl: z
    .string()
    .optional()
    .describe("ws(s)://…/messaging for browsers; behind TRUST_PROXY, on the proxy's origin"),
  protocolVersion: z.union([z.number(), z.string()]),
  depositConfirmations: z.number().optional(),
  routing: z.object({ claimBufferSeconds: z.number(), maxExpirySeconds: z.number() }).optional(),
  withdrawals: z
    .object({
      perHour: z.number(),
      assets: z.record(z.string(), z.object({ minimum: z.string(), fee: z.string() })),
    })
    .optional(),
});

export const healthSchema = z.object({ ok: z.boolean(), checks: z.record(z.string(), z.string()) });

// Compile-time: a field added to one and not the other fails the typecheck here.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const configMatches: Same<z.infer<typeof publicConfigSchema>, NodePublicConfig> = true;
const healthMatches: Same<z.infer<typeof healthSchema>, HealthReport> = true;
void configMatches;
void healthMatches;

import { z } from "zod";
import { address } from "../protocol/schemas";
import { ClientError } from "./errors";

export const nodeConfigSchema = z.object({
  nodeIdentifier: address,
  chainId: z.number().int().positive(),
  contractAddresses: z.object({
    channelFactory: address,
    channelMastercopy: address,
    transferRegistry: address,
    hashlockTransfer: address,
    withdraw: address,
    testToken: address.optional(),
  }),
  supportedAssets: z.array(address),
  messagingUrl: z.string(),
  messagingWsUrl: z.string().optional(),
});
export type NodeConfig = z.output<typeof nodeConfigSchema>;

/**
 * The node's HTTP API as the client uses it: its configuration, sign-in, and users' public
 * keys. Every answer is checked against a schema before it is used.
 */
export class NodeApi {
  private readonly base: string;

  constructor(nodeUrl: string) {
    this.base = nodeUrl.replace(/\/+$/, "");
  }

  config(): Promise<NodeConfig> {
    return this.get("/config", nodeConfigSchema);
  }

  /** Signs in: the node's nonce, signed with EIP-191 by `sign`, for a messaging token. */
  async signIn(user: string, sign: (message: string) => Promise<string>): Promise<string> {
    return (await this.session(user, sign)).token;
  }

  /** Signs in and says until when (unix milliseconds) the token holds. */
  async session(
    user: string,
    sign: (message: string) => Promise<string>,
  ): Promise<{ token: string; expiresAt: number }> {
    const { nonce } = await this.get(`/auth/${user}`, z.object({ nonce: z.string() }));
    const signature = await sign(nonce);
    return this.send(
      "/auth",
      { address: user, nonce, signature },
      z.object({ token: z.string(), expiresAt: z.number() }),
    );
  }

  /** A user's public key, or undefined when the node has never seen it. */
  async publicKey(user: string): Promise<string | undefined> {
    const response = await this.fetch(`/identities/${user}`);
    if (response.status === 404) return undefined;
    const body = await this.parse(response, z.object({ publicKey: z.string() }));
    return body.publicKey;
  }

  private async get<S extends z.ZodType>(path: string, schema: S): Promise<z.output<S>> {
    return this.parse(await this.fetch(path), schema);
  }

  private async send<S extends z.ZodType>(
    path: string,
    body: unknown,
    schema: S,
  ): Promise<z.output<S>> {
    const response = await this.fetch(path, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return this.parse(response, schema);
  }

  private async fetch(path: string, init?: RequestInit): Promise<Response> {
    try {
      return await fetch(`${this.base}${path}`, init);
    } catch (error) {
      throw new ClientError("NODE_UNREACHABLE", `${this.base}${path}: ${String(error)}`);
    }
  }

  private async parse<S extends z.ZodType>(response: Response, schema: S): Promise<z.output<S>> {
    const body: unknown = await response.json().catch(() => undefined);
    if (!response.ok) {
      const error = z.object({ code: z.string(), message: z.string() }).safeParse(body);
      throw error.success
        ? new ClientError(error.data.code, error.data.message, { status: response.status })
        : new ClientError("NODE_ERROR", `the node answered ${response.status}`);
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      throw new ClientError(
        "NODE_ERROR",
        `unexpected answer from the node: ${parsed.error.message}`,
      );
    }
    return parsed.data;
  }
}

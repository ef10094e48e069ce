import { z } from "zod";
import { address } from "../protocol/schemas";
import { ClientError, type ClientErrorCode, nodeRefusal } from "./errors";

export const nodeConfigSchema = z.object({
  nodeIdentifier: address,
  chainId: z.number().int().positive(),
  contractAddresses: z.object({
    channelFactory: address,
    channelMastercopy: address,
    transferRegistry: address,
    hashlockTransfer: address,
    withdraw: address,
    threadTransfer: address,
    testToken: address.optional(),
  }),
  supportedAssets: z.array(address),
  messagingUrl: z.string(),
  /** Every NATS server of the node's cluster (absent from older nodes: messagingUrl alone). */
  messagingUrls: z.array(z.string()).min(1).optional(),
  messagingWsUrl: z.string().optional(),
  /** How deep the node reads deposit totals (absent from older nodes: 1, the head block). */
  depositConfirmations: z.number().int().min(1).max(1000).optional(),
  /** How the node bounds payment expiries (absent from older nodes: the protocol's defaults). */
  routing: z
    .object({
      claimBufferSeconds: z.number().int().nonnegative(),
      maxExpirySeconds: z.number().int().positive(),
    })
    .optional(),
  /**
   * What a withdrawal must meet (absent from older nodes: nothing): per asset (lowercase), the
   * least it pays out and the fee the node keeps on top, wei as decimal strings; how many a user
   * may make in any hour.
   */
  withdrawals: z
    .object({
      perHour: z.number().int().nonnegative(),
      assets: z.record(
        z.string(),
        z.object({ minimum: z.string().regex(/^\d{1,78}$/), fee: z.string().regex(/^\d{1,78}$/) }),
      ),
    })
    .optional(),
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

  /** Signs in: the node's sign-in message, checked, signed by `sign` (EIP-191), for a token. */
  async signIn(user: string, sign: (message: string) => Promise<string>): Promise<string> {
    return (await this.session(user, sign)).token;
  }

  /**
   * Signs in and says until when (unix milliseconds) the token holds; with `nkey` (a NATS user
   * public key) also the messaging JWT for it, valid as long. The message is signed
   * only once `checkSignInMessage` finds it is for this node URL, the node's chain and `user`.
   */
  async session(
    user: string,
    sign: (message: string) => Promise<string>,
    nkey?: string,
  ): Promise<{ token: string; expiresAt: number; jwt?: string }> {
    const { nodeIdentifier, chainId } = await this.config();
    const { message } = await this.get(`/auth/${user}`, z.object({ message: z.string() }));
    checkSignInMessage(message, { nodeUrl: this.base, chainId, node: nodeIdentifier, user });
    const signature = await sign(message);
    return this.send(
      "/auth",
      { address: user, message, signature, ...(nkey === undefined ? {} : { nkey }) },
      z.object({ token: z.string(), expiresAt: z.number(), jwt: z.string().optional() }),
    );
  }

  /** A user's public key, or undefined when the node has never seen it. */
  async publicKey(user: string): Promise<string | undefined> {
    return (await this.identity(user))?.publicKey;
  }

  /**
   * What a payer needs of a payee: its public key and its channel's dispute timeout (absent
   * when it has no channel yet); undefined when the node has never seen it.
   */
  async identity(
    user: string,
  ): Promise<{ publicKey: string; channelTimeout?: number } | undefined> {
    const response = await this.fetch(`/identities/${user}`);
    if (response.status === 404) return undefined;
    return this.parse(
      response,
      z.object({
        publicKey: z.string(),
        channelTimeout: z.number().int().positive().optional(),
      }),
    );
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
        ? nodeRefusal(error.data.code, error.data.message, { status: response.status })
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

/** What a sign-in message must say for this client to sign it. */
export interface SignInExpectations {
  /** The node URL the client was given: the message's domain is its host, its URI itself. */
  nodeUrl: string;
  chainId: number;
  /** The node's identifier, which the statement names. */
  node: string;
  /** The address signing in. */
  user: string;
}

const SIGN_IN_TITLE = " wants you to sign in with your Ethereum account:";
/** The fields after the statement, in order: exactly what a node issues, nothing more. */
const SIGN_IN_FIELDS = ["URI", "Version", "Chain ID", "Nonce", "Issued At", "Expiration Time"];

/**
 * Refuses (ClientError) to sign an EIP-4361 sign-in message that is not for the node this
 * client talks to, so a node or a phishing site relaying another site's message gets a
 * refusal, not a signature: WRONG_DOMAIN when its domain or URI is not `nodeUrl`, WRONG_CHAIN,
 * WRONG_ADDRESS when it signs in someone else, WRONG_NODE when its statement does not name the
 * node, INVALID_MESSAGE when it is not in the form a node issues.
 */
export function checkSignInMessage(message: string, expected: SignInExpectations): void {
  const refuse = (code: ClientErrorCode, why: string) => {
    throw new ClientError(code, `refusing to sign the node's sign-in message: ${why}`);
  };
  const [title = "", address = "", gap1, statement = "", gap2, ...rest] = message.split("\n");
  const fields = rest.map((line) => /^([A-Za-z ]+): (.*)$/.exec(line));
  if (
    !title.endsWith(SIGN_IN_TITLE) ||
    gap1 !== "" ||
    gap2 !== "" ||
    fields.length !== SIGN_IN_FIELDS.length ||
    fields.some((field, i) => field?.[1] !== SIGN_IN_FIELDS[i])
  ) {
    refuse("INVALID_MESSAGE", "it is not an EIP-4361 message in the form a node issues");
  }
  const field = (name: string) => fields[SIGN_IN_FIELDS.indexOf(name)]?.[2];
  const domain = title.slice(0, -SIGN_IN_TITLE.length);
  const ours = originOf(expected.nodeUrl);
  if (ours === undefined || domain !== ours.domain || field("URI") !== ours.uri) {
    refuse("WRONG_DOMAIN", `it signs in to ${domain} (${field("URI")}), not ${expected.nodeUrl}`);
  }
  if (field("Chain ID") !== String(expected.chainId)) {
    refuse(
      "WRONG_CHAIN",
      `it is for chain ${field("Chain ID")}, the node's is ${expected.chainId}`,
    );
  }
  if (field("Version") !== "1") refuse("INVALID_MESSAGE", "it is not version 1");
  if (address.toLowerCase() !== expected.user.toLowerCase()) {
    refuse("WRONG_ADDRESS", `it signs in ${address}, not ${expected.user}`);
  }
  if (!statement.toLowerCase().includes(expected.node.toLowerCase())) {
    refuse("WRONG_NODE", `it does not name the node ${expected.node}`);
  }
}

/** The domain (host[:port]) and URI (no trailing slash) a node at `url` signs in to. */
function originOf(url: string): { domain: string; uri: string } | undefined {
  try {
    const parsed = new URL(url);
    return { domain: parsed.host, uri: `${parsed.origin}${parsed.pathname.replace(/\/+$/, "")}` };
  } catch {
    return undefined;
  }
}

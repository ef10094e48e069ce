import type { Msg, NatsConnection, Subscription } from "@nats-io/nats-core";
import { nuid, RequestError, TimeoutError } from "@nats-io/nats-core";
import type { Logger } from "pino";
import { isProtocolError } from "../../protocol";
import {
  errorReply,
  inboxPrefixFor,
  NODE_QUEUE_GROUP,
  nodeRequestsSubject,
  okReply,
  parseSubject,
  type ReplyError,
  subjectFor,
} from "../../protocol/messaging";
import type { ChannelUpdate } from "../../protocol/types";
import { NodeError, publicError } from "./errors";

/** Handles one request from `user`; returns the result to put in an ok reply. */
export type RequestHandler = (user: string, data: Uint8Array) => Promise<unknown>;

export interface NodeMessagingOptions {
  connection: NatsConnection;
  node: string;
  handlers: Record<string, RequestHandler>;
  /** How long a user has to answer the node's proposal. */
  requestTimeoutMs: number;
  logger: Logger;
}

/**
 * The node's end of DESIGN §5: serves users' requests as a member of the node queue group
 * (several node processes can share one NATS) and sends its own proposals and events to users.
 * Every request is answered, with `{ code, message }` when it fails.
 */
export class NodeMessaging {
  private subscription: Subscription | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private stopping = false;

  constructor(private readonly options: NodeMessagingOptions) {}

  start(): void {
    this.subscription = this.options.connection.subscribe(nodeRequestsSubject(this.options.node), {
      queue: NODE_QUEUE_GROUP,
      callback: (error, msg) => {
        if (error) {
          this.options.logger.error({ err: error }, "request subscription failed");
          return;
        }
        const handling = this.handle(msg);
        this.inFlight.add(handling);
        handling.finally(() => this.inFlight.delete(handling));
      },
    });
  }

  /** A request to the user; PEER_UNAVAILABLE when nobody answers. */
  async request(user: string, method: string, payload: string): Promise<Uint8Array> {
    if (this.stopping) throw new NodeError("SHUTTING_DOWN", "the node is stopping");
    try {
      const reply = await this.options.connection.request(
        subjectFor(user, this.options.node, method),
        payload,
        // The user may publish replies only under its own inbox (DESIGN §5).
        {
          timeout: this.options.requestTimeoutMs,
          noMux: true,
          reply: `${inboxPrefixFor(user)}.${nuid.next()}`,
        },
      );
      return reply.data;
    } catch (error) {
      if (error instanceof RequestError || error instanceof TimeoutError) {
        // "No responders": nobody was subscribed, so nobody received what we sent. After a
        // timeout the user may hold it.
        const delivered = !(error instanceof RequestError && error.isNoResponders());
        throw new NodeError("PEER_UNAVAILABLE", `${user} did not answer: ${error.message}`, {
          delivered,
        });
      }
      throw error;
    }
  }

  /** An event to the user; lost if it is away (events are hints, state travels in updates). */
  publish(user: string, method: string, payload: string): void {
    if (this.stopping) return;
    try {
      this.options.connection.publish(subjectFor(user, this.options.node, method), payload);
    } catch (error) {
      this.options.logger.warn({ user, err: error }, "event not published");
    }
  }

  /** Stops taking requests and waits for those being handled. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.subscription?.unsubscribe();
    await Promise.allSettled([...this.inFlight]);
  }

  private async handle(msg: Msg): Promise<void> {
    const parsed = parseSubject(msg.subject);
    // Without a sender there is no inbox to check the reply subject against.
    if (!parsed) {
      this.options.logger.warn(
        { subject: msg.subject },
        "request dropped: no sender in its subject",
      );
      return;
    }
    // The answer goes only to the sender's own inboxes: a reply subject anywhere else (another
    // user's subjects, a node request subject that would be taken as the victim's) would make
    // the node send up to 1 MiB where the sender chose. The embedded broker refuses such a
    // reply already; this holds on any NATS server. Nothing runs for a request dropped here.
    if (!isOwnInbox(msg.reply, parsed.from)) {
      this.options.logger.warn(
        { user: parsed.from, method: parsed.method, reply: msg.reply || null },
        "request dropped: its reply subject is not in the sender's inbox",
      );
      return;
    }
    // Own properties only: a method named `constructor` must not reach Object's.
    const handler = Object.hasOwn(this.options.handlers, parsed.method)
      ? this.options.handlers[parsed.method]
      : undefined;
    if (!handler) {
      this.reply(
        msg,
        errorReply({ code: "UNKNOWN_METHOD", message: `no method at ${msg.subject}` }),
      );
      return;
    }
    const user = parsed.from;
    const started = performance.now();
    try {
      if (this.stopping) throw new NodeError("SHUTTING_DOWN", "the node is stopping");
      const result = await handler(user, msg.data);
      this.reply(msg, okReply(result ?? {}));
      this.options.logger.debug(
        { user, method: parsed.method, ms: Math.round(performance.now() - started) },
        "request served",
      );
    } catch (error) {
      const { code, message, internal } = publicError(error);
      const reply: ReplyError = { code, message };
      const latest = isProtocolError(error) ? error.context.latestUpdate : undefined;
      if (latest) reply.latestUpdate = latest as ChannelUpdate;
      if (internal) this.options.logger.error({ user, method: parsed.method, err: error }, message);
      else
        this.options.logger.info({ user, method: parsed.method, code, reason: message }, "refused");
      this.reply(msg, errorReply(reply));
    }
  }

  private reply(msg: Msg, payload: string): void {
    if (!msg.reply) return;
    try {
      msg.respond(payload);
    } catch (error) {
      this.options.logger.warn({ err: error }, "reply not sent");
    }
  }
}

/** Whether `reply` is under `_inbox.<sender>.` (parseSubject gives the sender in lowercase). */
function isOwnInbox(reply: string | undefined, sender: string): boolean {
  const prefix = `${inboxPrefixFor(sender)}.`;
  return reply !== undefined && reply.length > prefix.length && reply.startsWith(prefix);
}

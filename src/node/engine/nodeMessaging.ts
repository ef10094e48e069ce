import type { Msg, NatsConnection, Subscription } from "@nats-io/nats-core";
import { nuid, RequestError, TimeoutError } from "@nats-io/nats-core";
import type { Logger } from "pino";
import { type Clock, systemClock } from "../../clock";
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
  /** How unresponsive users are handled (defaults: DEFAULT_PEER_BACKOFF). */
  backoff?: Partial<PeerBackoffRules>;
  /**
   * Requests one user may have the node working on at once (default 32); more are refused at
   * once with RATE_LIMITED, before anything is read or run.
   */
  maxRequestsPerUser?: number;
  /** Strikes and deferrals run on it (default the system's). */
  clock?: Clock;
  logger: Logger;
}

/**
 * What the node does about a user who lets its requests time out (issue 11): it can delay only
 * itself. Each timeout in a row is a strike; a user with strikes gets shorter timeouts and has
 * background work for it deferred; its first answer clears them.
 */
export interface PeerBackoffRules {
  /** Node requests one user can have waiting for a reply at once; more wait their turn. */
  maxWaitingPerUser: number;
  /** The shortest timeout a user with strikes gets (each strike quarters it down to this). */
  minTimeoutMs: number;
  /** Background work for a user with strikes waits this long after the last, doubled per strike… */
  deferMs: number;
  /** …up to this. */
  maxDeferMs: number;
  /** Strikes are forgotten after this long without a new one. */
  forgetAfterMs: number;
  /** Users with strikes remembered at most (the oldest are forgotten first). */
  maxTracked: number;
}

export const DEFAULT_PEER_BACKOFF: PeerBackoffRules = {
  maxWaitingPerUser: 2,
  minTimeoutMs: 2_000,
  deferMs: 5_000,
  maxDeferMs: 5 * 60_000,
  forgetAfterMs: 10 * 60_000,
  maxTracked: 10_000,
};

/** Requests from one user the node works on at once, unless configured. */
export const DEFAULT_MAX_REQUESTS_PER_USER = 32;

/** One request to a user: a cap on how long its reply may take (less if it has strikes). */
export interface PeerRequestOptions {
  timeoutMs?: number;
}

interface Strikes {
  count: number;
  /** When the last timeout was, on the messaging's clock (ms). */
  at: number;
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
  private readonly backoff: PeerBackoffRules;
  /** Users whose last requests timed out, least recently struck first (a Map keeps order). */
  private readonly strikes = new Map<string, Strikes>();
  /** Per user: requests waiting for a reply now, and those waiting for their turn. */
  private readonly waiting = new Map<string, { active: number; queue: (() => void)[] }>();
  /** Per user: its requests the node is handling now. */
  private readonly serving = new Map<string, number>();
  private readonly maxRequestsPerUser: number;
  private readonly clock: Clock;

  constructor(private readonly options: NodeMessagingOptions) {
    this.backoff = { ...DEFAULT_PEER_BACKOFF, ...options.backoff };
    this.maxRequestsPerUser = options.maxRequestsPerUser ?? DEFAULT_MAX_REQUESTS_PER_USER;
    this.clock = options.clock ?? systemClock;
  }

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

  /**
   * A request to the user; PEER_UNAVAILABLE when nobody answers. At most `maxWaitingPerUser`
   * of one user's wait for their replies at once (the rest wait their turn, in that user's
   * queue only); a user whose last requests timed out gets a shorter timeout.
   */
  async request(
    user: string,
    method: string,
    payload: string,
    options: PeerRequestOptions = {},
  ): Promise<Uint8Array> {
    if (this.stopping) throw new NodeError("SHUTTING_DOWN", "the node is stopping");
    const key = user.toLowerCase();
    await this.takeTurn(key);
    try {
      if (this.stopping) throw new NodeError("SHUTTING_DOWN", "the node is stopping");
      const reply = await this.options.connection.request(
        subjectFor(user, this.options.node, method),
        payload,
        // The user may publish replies only under its own inbox (DESIGN §5).
        {
          timeout: this.timeoutFor(key, options.timeoutMs),
          noMux: true,
          reply: `${inboxPrefixFor(user)}.${nuid.next()}`,
        },
      );
      this.strikes.delete(key);
      return reply.data;
    } catch (error) {
      if (error instanceof RequestError || error instanceof TimeoutError) {
        // "No responders": nobody was subscribed, so nobody received what we sent. After a
        // timeout the user may hold it.
        const delivered = !(error instanceof RequestError && error.isNoResponders());
        if (delivered) this.strike(key);
        throw new NodeError("PEER_UNAVAILABLE", `${user} did not answer: ${error.message}`, {
          delivered,
        });
      }
      throw error;
    } finally {
      this.endTurn(key);
    }
  }

  /**
   * Whether background work for the user should wait: its last requests timed out, the last
   * one less than its deferral ago (`deferMs`, doubled per strike, at most `maxDeferMs`).
   */
  deferred(user: string): boolean {
    const strikes = this.currentStrikes(user.toLowerCase());
    if (!strikes) return false;
    const { deferMs, maxDeferMs } = this.backoff;
    const wait = Math.min(maxDeferMs, deferMs * 2 ** Math.min(strikes.count - 1, 20));
    return this.clock.now() < strikes.at + wait;
  }

  /** The timeout of a request to the user: the full one, or shorter after timeouts in a row. */
  private timeoutFor(key: string, cap: number | undefined): number {
    const full = Math.min(this.options.requestTimeoutMs, cap ?? Number.POSITIVE_INFINITY);
    const strikes = this.currentStrikes(key);
    if (!strikes) return full;
    const shorter = this.options.requestTimeoutMs / 4 ** Math.min(strikes.count, 10);
    return Math.min(full, Math.max(this.backoff.minTimeoutMs, shorter));
  }

  private currentStrikes(key: string): Strikes | undefined {
    const strikes = this.strikes.get(key);
    if (strikes && this.clock.now() - strikes.at > this.backoff.forgetAfterMs) {
      this.strikes.delete(key);
      return undefined;
    }
    return strikes;
  }

  private strike(key: string): void {
    const count = (this.currentStrikes(key)?.count ?? 0) + 1;
    this.strikes.delete(key);
    this.strikes.set(key, { count, at: this.clock.now() });
    while (this.strikes.size > this.backoff.maxTracked) {
      this.strikes.delete(this.strikes.keys().next().value as string);
    }
    this.options.logger.info({ user: key, strikes: count }, "user did not answer: backing off");
  }

  private async takeTurn(key: string): Promise<void> {
    let slot = this.waiting.get(key);
    if (!slot) {
      slot = { active: 0, queue: [] };
      this.waiting.set(key, slot);
    }
    if (slot.active < this.backoff.maxWaitingPerUser) {
      slot.active++;
      return;
    }
    // endTurn hands its place over: `active` stays as it was.
    await new Promise<void>((resolve) => slot.queue.push(resolve));
  }

  private endTurn(key: string): void {
    const slot = this.waiting.get(key);
    if (!slot) return;
    const next = slot.queue.shift();
    if (next) {
      next();
      return;
    }
    slot.active--;
    if (slot.active === 0) this.waiting.delete(key);
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

  /** Whether the node is stopping: requests to users are refused from now on. */
  get isStopping(): boolean {
    return this.stopping;
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
    // A user flooding the node (3,000 syncs, say) gets its excess refused for the price of
    // reading a subject, so it cannot crowd out everyone else's requests.
    const serving = this.serving.get(user) ?? 0;
    if (serving >= this.maxRequestsPerUser) {
      this.reply(
        msg,
        errorReply({
          code: "RATE_LIMITED",
          message: `at most ${this.maxRequestsPerUser} requests at once: wait for the answers`,
        }),
      );
      return;
    }
    this.serving.set(user, serving + 1);
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
    } finally {
      const left = (this.serving.get(user) ?? 1) - 1;
      if (left > 0) this.serving.set(user, left);
      else this.serving.delete(user);
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

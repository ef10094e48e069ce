import {
  CLOSE_REASONS,
  type CloseReason,
  INVALID_PUBLISH_SUBJECT,
  INVALID_SUBJECT,
  MAX_SUBSCRIPTIONS,
  publishDenied,
  replyDenied,
  subscribeDenied,
} from "./errors";
import { infoLine, newNonce } from "./info";
import { type BudgetMember, connectionLimits } from "./limits";
import { Outbound, type Sink } from "./outbound";
import { Parser, type ParserHandler, type ParserLimits, type PubFrame } from "./parser";
import { AllowList, ResponseGrants, responseRule } from "./permissions";
import type { BrokerCore } from "./server";
import { isValidLiteralSubject, isValidSubscribeSubject } from "./subjects";
import type { Indexed } from "./sublist";
import type { AuthResult, ConnectOptions } from "./types";
import { errLine, OK_LINE, PING_LINE, PONG_LINE } from "./wire";

/** TCP socket or WebSocket under a connection. */
export interface Transport extends Sink {
  /** Ends the connection once what was written is sent; `reason` picks a WebSocket status. */
  close(reason: CloseReason): void;
  /** Stops and restarts reading (while an asynchronous authentication runs). */
  pause(): void;
  resume(): void;
}

export class Subscription implements Indexed {
  readonly sidBytes: Uint8Array;
  /** Auto-unsubscribe after this many messages (UNSUB with max); 0 = never. */
  max = 0;
  delivered = 0;
  closed = false;

  constructor(
    readonly conn: Connection,
    readonly subject: string,
    readonly queue: string | null,
    readonly sid: string,
  ) {
    this.sidBytes = Buffer.from(sid, "latin1");
  }
}

/** How long a closing connection may take to send what is queued before it is cut. */
const LINGER_MS = 1000;

/**
 * One client: its CONNECT options, authentication and permissions, subscriptions, pings, and
 * its outbound buffer. It implements the parser's handler, so each operation lands here.
 */
export class Connection implements ParserHandler, BudgetMember {
  readonly out: Outbound;
  private readonly parser: Parser;
  /** Read by the parser at every frame; an authenticated connection's may be lower. */
  private readonly parserLimits: ParserLimits;
  private readonly subs = new Map<string, Subscription>();

  // Before CONNECT nats-server treats a client as verbose and pedantic, and CONNECT only
  // overrides the fields it carries.
  verbose = true;
  pedantic = true;
  echo = true;
  headers = false;
  noResponders = false;
  awaitingConnect: boolean;
  user: string | undefined;
  /** Sent in INFO when the broker authenticates; the CONNECT's `sig` is over it. */
  readonly nonce: string | undefined;

  /** Queued in the broker's list of connections to flush. */
  dirty = false;
  closed = false;
  private publishAllow: AllowList | undefined;
  private subscribeAllow: AllowList | undefined;
  private replyAllow: AllowList | undefined;
  /**
   * With `allowResponses`: the reply subjects of messages delivered here that this connection
   * may answer on outside its publish allow-list (the router records them).
   */
  responses: ResponseGrants | undefined;
  /** 0: no limit. */
  private maxSubscriptions: number;
  /** The user this connection counts against in the broker's per-user connection count. */
  private countedAs: string | undefined;
  private pingsOut = 0;
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private authTimer: ReturnType<typeof setTimeout> | undefined;
  private expiryTimer: ReturnType<typeof setTimeout> | undefined;
  private lingerTimer: ReturnType<typeof setTimeout> | undefined;
  private transportOpen = true;
  private closeReason: CloseReason = "CLIENT_CLOSED";

  constructor(
    private readonly core: BrokerCore,
    readonly id: number,
    readonly ip: string,
    private readonly transport: Transport,
  ) {
    const { options } = core;
    this.out = new Outbound(transport, options.maxPendingBytes, undefined, core.budget);
    this.parserLimits = { maxPayload: options.maxPayload, maxControlLine: options.maxControlLine };
    this.parser = new Parser(this, this.parserLimits);
    this.maxSubscriptions = options.maxSubscriptions;
    this.awaitingConnect = options.authenticate !== undefined;
    this.nonce = this.awaitingConnect ? newNonce() : undefined;
  }

  /** Sends INFO and starts the ping (and authentication) timers. */
  start(info: Uint8Array): void {
    const { options } = this.core;
    // Refused only when the broker-wide budget is spent and nothing else can be cut.
    if (!this.out.append(info)) {
      this.close("SLOW_CONSUMER");
      return;
    }
    this.out.flush();
    this.pingTimer = setInterval(() => this.pingTick(), options.pingIntervalMs);
    if (this.awaitingConnect) {
      this.authTimer = setTimeout(() => {
        if (this.awaitingConnect) this.close("AUTH_TIMEOUT");
      }, options.authTimeoutMs);
    }
  }

  /** Bytes from the client. Never throws: a failure closes this connection only. */
  receive(chunk: Uint8Array): void {
    if (this.closed) return;
    try {
      this.parser.feed(chunk);
    } catch {
      this.close("PROTOCOL_VIOLATION");
    }
    this.core.flushDirty();
  }

  /** The socket can take more bytes. */
  drained(): void {
    try {
      const empty = this.out.drained();
      if (this.closed && empty) this.endTransport();
    } catch {
      this.close("PROTOCOL_VIOLATION");
    }
  }

  /** The transport closed (client went away, or our close completed). */
  transportClosed(): void {
    this.transportOpen = false;
    if (this.lingerTimer !== undefined) clearTimeout(this.lingerTimer);
    try {
      if (!this.closed) this.release();
    } finally {
      this.out.discard();
      this.core.detach(this);
    }
  }

  /** Queues bytes for the client; a client that cannot take them is a slow consumer. */
  send(bytes: Uint8Array): void {
    if (this.closed) return;
    if (!this.out.append(bytes)) {
      this.slowConsumer();
      return;
    }
    this.core.markDirty(this);
  }

  slowConsumer(): void {
    this.close("SLOW_CONSUMER");
  }

  unsubscribe(sub: Subscription): void {
    if (sub.closed) return;
    sub.closed = true;
    this.subs.delete(sub.sid);
    this.core.sublist.remove(sub);
  }

  /**
   * Closes with nats-server's -ERR for `reason` (if it sends one), after flushing what is
   * queued. A slow consumer's unsent frames are dropped first.
   */
  close(reason: CloseReason): void {
    if (this.closed) return;
    this.release();
    if (reason === "SLOW_CONSUMER") {
      this.core.slowConsumers++;
      this.out.dropUnsent();
    }
    const text = CLOSE_REASONS[reason].err;
    if (text !== undefined) this.out.append(errLine(text), true);
    this.closeReason = reason;
    if (this.out.flush()) {
      this.endTransport();
      return;
    }
    this.lingerTimer = setTimeout(() => this.endTransport(), LINGER_MS);
  }

  private endTransport(): void {
    if (!this.transportOpen) return;
    this.transportOpen = false;
    if (this.lingerTimer !== undefined) clearTimeout(this.lingerTimer);
    try {
      this.transport.close(this.closeReason);
    } catch {
      // Already closed underneath us: the close event finishes the bookkeeping.
    }
  }

  /** Forgets subscriptions and timers; nothing is routed to this client any more. */
  private release(): void {
    this.closed = true;
    this.awaitingConnect = false;
    clearInterval(this.pingTimer);
    clearTimeout(this.authTimer);
    clearTimeout(this.expiryTimer);
    for (const sub of this.subs.values()) {
      sub.closed = true;
      this.core.sublist.remove(sub);
    }
    this.subs.clear();
    this.responses?.clear();
    this.responses = undefined;
    if (this.countedAs !== undefined) this.core.users.remove(this.countedAs);
    this.countedAs = undefined;
    this.core.forget(this);
  }

  /** nats-server's ping timer: stale once maxPingsOut PINGs went unanswered. */
  private pingTick(): void {
    if (this.closed) return;
    try {
      if (this.pingsOut + 1 > this.core.options.maxPingsOut) {
        this.close("STALE");
        return;
      }
      this.pingsOut++;
      this.send(PING_LINE);
      this.core.flushDirty();
      this.out.trim();
    } catch {
      this.close("PROTOCOL_VIOLATION");
    }
  }

  private ok(): void {
    if (this.verbose) this.send(OK_LINE);
  }

  private error(text: string): void {
    this.send(errLine(text));
  }

  // --- ParserHandler ---

  onConnect(json: string): boolean {
    const connect = readConnect(json);
    if (connect === undefined) {
      this.close("PROTOCOL_VIOLATION");
      return false;
    }
    this.applyConnect(connect);
    const authenticate = this.core.options.authenticate;
    if (authenticate === undefined) return this.acceptConnect(connect);

    let outcome: ReturnType<typeof authenticate>;
    try {
      outcome = authenticate(connect, { nonce: this.nonce ?? "" });
    } catch {
      outcome = undefined;
    }
    if (!(outcome instanceof Promise)) return this.authenticated(connect, outcome);

    // Hold the rest of the input until the hook answers, so operations keep their order.
    this.transport.pause();
    outcome.then(
      (result) => this.resumeAfterAuth(connect, result),
      () => this.resumeAfterAuth(connect, undefined),
    );
    return false;
  }

  private resumeAfterAuth(connect: ConnectOptions, result: AuthResult | undefined): void {
    if (this.closed) return;
    if (this.authenticated(connect, result)) {
      this.transport.resume();
      try {
        this.parser.resume();
      } catch {
        this.close("PROTOCOL_VIOLATION");
      }
    }
    this.core.flushDirty();
  }

  private authenticated(connect: ConnectOptions, result: AuthResult | undefined): boolean {
    if (this.closed) return false;
    const limits =
      result === undefined || result === null
        ? undefined
        : connectionLimits(result.limits, this.core.options);
    const responses =
      result === undefined || result === null
        ? undefined
        : responseRule(result.publish?.allowResponses);
    if (result === undefined || result === null || limits === undefined || responses === null) {
      this.close("AUTHORIZATION");
      return false;
    }
    if (!this.core.users.add(result.user, limits.maxConnections)) {
      this.close("MAX_CONNECTIONS");
      return false;
    }
    this.countedAs = result.user;
    this.user = result.user;
    this.publishAllow = new AllowList(result.publish.allow);
    this.responses = responses === undefined ? undefined : new ResponseGrants(responses);
    this.subscribeAllow = new AllowList(result.subscribe.allow);
    // Reply subjects are unique per request: caching decisions about them would only churn.
    this.replyAllow =
      result.reply === undefined ? undefined : new AllowList(result.reply.allow, false);
    this.parserLimits.maxPayload = limits.maxPayload;
    this.out.maxPending = limits.maxPendingBytes;
    this.maxSubscriptions = limits.maxSubscriptions;
    if (limits.exemptFromBudget) this.out.setBudget(undefined);
    if (typeof result.expiresInMs === "number") {
      // setTimeout holds at most 2^31 - 1 ms (24.8 days); longer lives are not cut short.
      const delay = Math.max(0, result.expiresInMs);
      if (delay < 2 ** 31) this.expiryTimer = setTimeout(() => this.close("AUTH_EXPIRED"), delay);
    }
    return this.acceptConnect(connect);
  }

  private applyConnect(connect: ConnectOptions): void {
    if (typeof connect.verbose === "boolean") this.verbose = connect.verbose;
    if (typeof connect.pedantic === "boolean") this.pedantic = connect.pedantic;
    if (typeof connect.echo === "boolean") this.echo = connect.echo;
    if (typeof connect.headers === "boolean") this.headers = connect.headers;
    if (typeof connect.no_responders === "boolean") this.noResponders = connect.no_responders;
  }

  private acceptConnect(connect: ConnectOptions): boolean {
    const protocol = connect.protocol ?? 0;
    if (protocol < 0 || protocol > 1) {
      this.close("BAD_CLIENT_PROTOCOL");
      return false;
    }
    if (this.noResponders && !this.headers) {
      this.close("NO_RESPONDERS_NEEDS_HEADERS");
      return false;
    }
    this.awaitingConnect = false;
    clearTimeout(this.authTimer);
    // The INFO the client read first announced the broker's max_payload; one with this
    // connection's lower limit makes the official clients refuse a larger publish themselves
    // (instead of being closed for it). Only protocol-1 clients take INFO updates, as with
    // nats-server's asynchronous INFO. It precedes the +OK and the PONG the client waits for.
    const { info } = this.core;
    if (this.parserLimits.maxPayload < info.maxPayload && protocol >= 1) {
      this.send(infoLine(info, this.id, this.ip, this.parserLimits.maxPayload));
    }
    this.ok();
    return !this.closed;
  }

  onPub(frame: PubFrame): boolean {
    const subject = frame.buf.toString("latin1", frame.subjectStart, frame.subjectEnd);
    if (this.pedantic && !isValidLiteralSubject(subject)) this.error(INVALID_PUBLISH_SUBJECT);
    // A subject outside the allow-list passes as a response to a reply subject delivered here
    // (allowResponses), which it then uses up, once the reply check below passes too.
    let response = false;
    if (this.publishAllow !== undefined && !this.publishAllow.allows(subject)) {
      if (this.responses === undefined || !this.responses.allows(subject)) {
        this.error(publishDenied(subject));
        return !this.closed;
      }
      response = true;
    }
    if (this.replyAllow !== undefined && frame.replyEnd > frame.replyStart) {
      const reply = frame.buf.toString("latin1", frame.replyStart, frame.replyEnd);
      if (!this.replyAllow.allows(reply)) {
        this.error(replyDenied(reply));
        return !this.closed;
      }
    }
    if (response) this.responses?.use(subject);
    this.ok();
    this.core.router.publish(this, frame, subject);
    return !this.closed;
  }

  onSub(subject: string, queue: string | null, sid: string): boolean {
    if (this.subscribeAllow !== undefined && !this.subscribeAllow.allows(subject)) {
      this.error(subscribeDenied(subject, queue));
      return !this.closed;
    }
    // As nats-server: checked before the sid is looked up, so at the limit even a repeated SUB
    // of a sid it holds is refused.
    if (this.maxSubscriptions > 0 && this.subs.size >= this.maxSubscriptions) {
      this.error(MAX_SUBSCRIPTIONS);
      return !this.closed;
    }
    if (!this.subs.has(sid)) {
      if (!isValidSubscribeSubject(subject)) {
        this.error(INVALID_SUBJECT);
        return !this.closed;
      }
      const sub = new Subscription(this, subject, queue, sid);
      this.subs.set(sid, sub);
      this.core.sublist.insert(sub);
    }
    this.ok();
    return !this.closed;
  }

  onUnsub(sid: string, max: number): boolean {
    const sub = this.subs.get(sid);
    if (sub !== undefined) {
      if (max > 0 && max > sub.delivered) sub.max = max;
      else this.unsubscribe(sub);
    }
    this.ok();
    return !this.closed;
  }

  onPing(): boolean {
    this.send(PONG_LINE);
    return !this.closed;
  }

  onPong(): boolean {
    this.pingsOut = 0;
    return true;
  }

  onError(reason: CloseReason): void {
    this.close(reason);
  }
}

const BOOLEAN_FIELDS = [
  "verbose",
  "pedantic",
  "echo",
  "headers",
  "no_responders",
  "tls_required",
  "new_account",
];
const STRING_FIELDS = [
  "user",
  "pass",
  "auth_token",
  "name",
  "lang",
  "version",
  "jwt",
  "nkey",
  "sig",
  "account",
];

/**
 * CONNECT's JSON, typed the way nats-server's decoder accepts it: an object (or null) whose
 * known fields have their Go types or are null. Anything else closes the connection.
 */
function readConnect(json: string): ConnectOptions | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (parsed === null) return {};
  if (typeof parsed !== "object" || Array.isArray(parsed)) return undefined;
  const fields = parsed as Record<string, unknown>;
  for (const name of BOOLEAN_FIELDS) {
    const value = fields[name];
    if (value !== undefined && value !== null && typeof value !== "boolean") return undefined;
  }
  for (const name of STRING_FIELDS) {
    const value = fields[name];
    if (value !== undefined && value !== null && typeof value !== "string") return undefined;
  }
  const protocol = fields.protocol;
  if (protocol !== undefined && protocol !== null && !Number.isInteger(protocol)) return undefined;
  return fields as ConnectOptions;
}

import { Connection, type Subscription, type Transport } from "./connection";
import { infoLine, type ServerInfo } from "./info";
import { PendingBudget, UserConnections } from "./limits";
import type { ResolvedOptions } from "./options";
import { Router } from "./router";
import { Sublist } from "./sublist";
import type { BrokerStats } from "./types";

/** A listener (TCP, standalone WebSocket) the core stops on shutdown. */
export interface Listener {
  /** `force`: also drop connections still open. */
  stop(force: boolean): void;
}

/** How long `stop()` waits for clients to take their last bytes and close. */
const STOP_DEADLINE_MS = 2000;

/**
 * The broker's shared state: the subscription index and router, the connections, and the list
 * of connections with output waiting. Transports feed connections; after each batch of input
 * the core flushes every connection that has something to send, one write each.
 */
export class BrokerCore {
  readonly sublist = new Sublist<Subscription>();
  readonly router: Router;
  /** Connections not closed by either side. */
  readonly connections = new Set<Connection>();
  /** Bytes queued to clients, broker-wide (`maxPendingBytesTotal`). */
  readonly budget: PendingBudget;
  /** Authenticated connections per user (`maxConnections`). */
  readonly users = new UserConnections();
  /** Connections cut off as slow consumers so far. */
  slowConsumers = 0;
  /** Connections whose socket is still open (a closed one may be sending its last bytes). */
  private readonly attached = new Set<Connection>();
  private dirty: Connection[] = [];
  private spare: Connection[] = [];
  private readonly listeners: Listener[] = [];
  private nextClientId = 1;
  private stopping: Promise<void> | undefined;
  private detachedAll: (() => void) | undefined;

  constructor(
    readonly options: ResolvedOptions,
    readonly info: ServerInfo,
  ) {
    this.router = new Router(this.sublist, options.maxControlLine, (conn) => this.markDirty(conn));
    this.budget = new PendingBudget(options.maxPendingBytesTotal, () => this.connections);
  }

  stats(): BrokerStats {
    return {
      connections: this.connections.size,
      pendingBytes: this.budget.used,
      peakPendingBytes: this.budget.peak,
      slowConsumers: this.slowConsumers,
    };
  }

  addListener(listener: Listener): void {
    this.listeners.push(listener);
  }

  /** A new client on `transport`: sends INFO. Undefined (and closed) while stopping. */
  open(transport: Transport, ip: string): Connection | undefined {
    if (this.stopping !== undefined) {
      transport.close("SERVER_SHUTDOWN");
      return undefined;
    }
    const conn = new Connection(this, this.nextClientId++, ip, transport);
    this.connections.add(conn);
    this.attached.add(conn);
    try {
      conn.start(infoLine(this.info, conn.id, ip, this.info.maxPayload, conn.nonce));
    } catch {
      conn.close("PROTOCOL_VIOLATION");
    }
    return conn;
  }

  /** The connection is closed: nothing is routed to it any more. */
  forget(conn: Connection): void {
    this.connections.delete(conn);
  }

  /** The connection's socket is closed. */
  detach(conn: Connection): void {
    this.attached.delete(conn);
    if (this.attached.size === 0) this.detachedAll?.();
  }

  markDirty(conn: Connection): void {
    if (conn.dirty) return;
    conn.dirty = true;
    this.dirty.push(conn);
  }

  /** One write per connection with output queued since the last flush. */
  flushDirty(): void {
    const list = this.dirty;
    if (list.length === 0) return;
    this.dirty = this.spare;
    for (let i = 0; i < list.length; i++) {
      const conn = list[i] as Connection;
      conn.dirty = false;
      if (!conn.closed) conn.out.flush();
    }
    list.length = 0;
    this.spare = list;
  }

  /** Stops accepting, flushes and closes every connection, then releases the ports. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    for (const listener of this.listeners) listener.stop(false);
    const detached = new Promise<void>((resolve) => {
      this.detachedAll = resolve;
    });
    for (const conn of [...this.connections]) conn.close("SERVER_SHUTDOWN");
    this.flushDirty();
    if (this.attached.size > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const deadline = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, STOP_DEADLINE_MS);
      });
      await Promise.race([detached, deadline]);
      clearTimeout(timer);
    }
    for (const listener of this.listeners) listener.stop(true);
  }
}

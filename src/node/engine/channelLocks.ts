/**
 * Per-channel serialisation (DESIGN §4.4: updates are strictly serial per channel). In process,
 * a promise chain per channel; across node processes sharing one PostgreSQL, the optional
 * `crossProcess` lock is taken inside it: a lease in a table (src/node/store/channelLeases.ts).
 *
 * Why a lease and not an advisory lock (issue 11, item 4): the node holds a channel's lock
 * while the user answers its proposal (up to the request timeout). A session advisory lock
 * lives on a connection, so each user thinking kept a pooled connection, and a few dozen
 * silent users queued everyone else's updates behind them. A lease is one row (key, owner,
 * expiry) taken with one conditional statement (insert, or take over a row whose expiry has
 * passed) and given back with another; between the two no connection is held, so a user
 * thinking holds only its own channel's row.
 *
 * Safety (two processes must never sign two different updates at one nonce of a channel
 * concurrently, or the user could countersign both). While a process is alive it renews its
 * leases well before they expire, so another process can take one only once it was released,
 * or once its holder could not renew it for a whole lease (crashed, cut off from the database,
 * frozen). Expiry is judged by the database's clock alone, in the taking statement. Before
 * the node signs anything under the lock (ChannelService: its proposal, its countersignature,
 * and before it takes back a reservation for a proposal that reached nobody) it calls
 * `hold.confirm()`, which passes only if the lease was renewed so recently that it still has
 * most of its life ahead (renewing it there and then if not): a holder that lost its lease
 * finds out before it signs, not after. What is left is a holder frozen for longer than the
 * rest of its lease between `confirm()` and the moment its message leaves (a few
 * milliseconds of signing): then, and only then, another process may sign at the same nonce
 * while the first proposal is out. That case is the one the protocol already survives when a
 * proposal times out and the node proposes something else at the same nonce: everything a
 * proposal commits the node to is recorded before it is signed (a mirror's reservation, a
 * refund's decision), a signed proposal stays live until the channel moves past its nonce,
 * and the store keeps one update per nonce (`saveApplied` writes only on top of the previous
 * nonce). The advisory lock it replaces gave no more: its lock went with its connection. (The
 * table is unlogged, so a lease costs no WAL flush; a crash of PostgreSQL empties it, as it
 * dropped every advisory lock.)
 */
export type CrossProcessLock = (key: string) => Promise<CrossProcessHold>;

/** A cross-process lock held on one key. */
export interface CrossProcessHold {
  /** Resolves while the lock is surely still ours; throws (LEASE_LOST) when it may not be. */
  confirm(): Promise<void>;
  /** Gives the lock back; never throws (a lock not given back expires). */
  release(): Promise<void>;
}

/** What work under a channel's lock may ask of it. */
export interface ChannelHold {
  /** Call right before signing anything: throws if another process may hold the channel now. */
  confirm(): Promise<void>;
}

const IN_PROCESS_ONLY: ChannelHold = { confirm: async () => {} };

export class ChannelLocks {
  private readonly tails = new Map<string, Promise<void>>();

  constructor(private readonly crossProcess?: CrossProcessLock) {}

  async run<T>(channelAddress: string, work: (hold: ChannelHold) => Promise<T>): Promise<T> {
    const key = channelAddress.toLowerCase();
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => mine);
    this.tails.set(key, tail);
    await previous;
    try {
      if (!this.crossProcess) return await work(IN_PROCESS_ONLY);
      const held = await this.crossProcess(key);
      try {
        return await work(held);
      } finally {
        await held.release();
      }
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /** Channels with work queued or running now. */
  get busy(): number {
    return this.tails.size;
  }
}

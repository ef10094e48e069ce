import type { ClientStore } from "../client/store/types";

/** One line of the wallet's history, kept in the browser store beside the channel. */
export interface HistoryEntry {
  /** The payment id (payments), or the transaction / transfer id (deposits, withdrawals). */
  id: string;
  kind: "sent" | "received" | "deposit" | "withdrawal";
  /** The other party: the payee, the payer, or the withdrawal's recipient. */
  counterparty?: string;
  assetId: string;
  /** Base units, decimal. */
  amount: string;
  status: "pending" | "completed" | "cancelled" | "failed";
  /** Unix milliseconds of the first record. */
  at: number;
  transactionHash?: string;
}

const MAX_ENTRIES = 500;

/** The history of one wallet (key `wallet:history:<address>`), newest first. */
export class History {
  private entries: HistoryEntry[] = [];
  private saving: Promise<void> = Promise.resolve();

  private constructor(
    private readonly store: ClientStore,
    private readonly key: string,
    private readonly changed: () => void,
  ) {}

  static async load(store: ClientStore, address: string, changed: () => void): Promise<History> {
    const history = new History(store, `wallet:history:${address.toLowerCase()}`, changed);
    const saved = await store.get(history.key);
    if (saved) {
      try {
        const parsed = JSON.parse(saved) as unknown;
        if (Array.isArray(parsed)) history.entries = parsed as HistoryEntry[];
      } catch {
        // A record this version cannot read starts the history afresh.
      }
    }
    return history;
  }

  /** Newest first. */
  list(): readonly HistoryEntry[] {
    return this.entries.slice().sort((a, b) => b.at - a.at);
  }

  /** Adds the entry, or merges it into the one with its id (first time and kind are kept). */
  upsert(entry: Partial<HistoryEntry> & Pick<HistoryEntry, "id">): void {
    const index = this.entries.findIndex((e) => e.id === entry.id);
    if (index >= 0) {
      const before = this.entries[index] as HistoryEntry;
      // A payment that is decided stays decided: a late "pending" does not undo it.
      const status =
        before.status !== "pending" && entry.status === "pending"
          ? before.status
          : (entry.status ?? before.status);
      this.entries[index] = { ...before, ...entry, kind: before.kind, at: before.at, status };
    } else {
      if (!entry.kind || !entry.assetId || entry.amount === undefined || !entry.status) return;
      this.entries.unshift({ at: Date.now(), ...entry } as HistoryEntry);
      this.entries.length = Math.min(this.entries.length, MAX_ENTRIES);
    }
    this.save();
  }

  has(id: string): boolean {
    return this.entries.some((e) => e.id === id);
  }

  private save(): void {
    const text = JSON.stringify(this.entries);
    this.saving = this.saving.then(() => this.store.set(this.key, text)).catch(() => {});
    this.changed();
  }
}

import { z } from "zod";
import type { ClientStore } from "./store/types";

/** By lowercase transfer id: the pre-image (records from before it was kept say 1). */
const recordSchema = z.record(z.string(), z.union([z.string(), z.number()]));

/**
 * The payments to us whose pre-image we revealed (DESIGN §4.6): the node may hold it and have
 * claimed the payer's side with it, so such a payment is ours to claim on-chain, never to
 * cancel. Recorded, with the pre-image itself (a dispute claims the transfer with it), before
 * the resolve carrying it is signed; only transfers still active are kept, so the record stays
 * as small as the channel's open payments to us.
 *
 * @example
 * await revealed.remember(transferId, preImage, (id) => view.transfers.has(id));
 * if (await revealed.has(transferId)) return; // do not cancel
 * const preImage = await revealed.get(transferId); // for defundTransfer
 */
export class RevealedPreImages {
  /** One writer at a time: each change is a read-modify-write of one record. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: ClientStore,
    /** Distinguishes this channel's record in a shared store. */
    private readonly key: string,
  ) {}

  /** Records `transferId` and its pre-image, dropping recorded transfers no longer active. */
  remember(
    transferId: string,
    preImage: string,
    active: (transferId: string) => boolean,
  ): Promise<void> {
    const next = this.queue.then(async () => {
      const kept = Object.fromEntries(
        Object.entries(await this.read()).filter(([id]) => active(id)),
      );
      kept[transferId.toLowerCase()] = preImage.toLowerCase();
      await this.store.set(this.key, JSON.stringify(kept));
    });
    this.queue = next.catch(() => {});
    return next;
  }

  async has(transferId: string): Promise<boolean> {
    return (await this.read())[transferId.toLowerCase()] !== undefined;
  }

  /** The pre-image revealed for `transferId`, if it was recorded with it. */
  async get(transferId: string): Promise<string | undefined> {
    const value = (await this.read())[transferId.toLowerCase()];
    return typeof value === "string" ? value : undefined;
  }

  private async read(): Promise<Record<string, string | number>> {
    const raw = await this.store.get(this.key);
    return raw === undefined ? {} : recordSchema.parse(JSON.parse(raw));
  }
}

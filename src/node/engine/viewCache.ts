import { type ChannelView, MerkleTree } from "../../protocol";
import type { ChannelStore } from "../store/channelStore";

/**
 * The node's channel views, most recently used kept in memory up to a bound (SECURITY rule
 * 12). With a store other processes may write (PostgreSQL), a cached view is used only while
 * its nonce is still the stored one.
 */
export class ViewCache {
  /** Least recent first (a Map keeps insertion order). */
  private readonly views = new Map<string, ChannelView>();

  constructor(
    private readonly store: ChannelStore,
    private readonly shared: boolean,
    private readonly bound = 10_000,
  ) {}

  get size(): number {
    return this.views.size;
  }

  async load(channelAddress: string): Promise<ChannelView> {
    const cached = this.views.get(channelAddress);
    if (cached && !this.shared) return this.remember(channelAddress, cached);
    if (cached && (await this.store.latestNonce(channelAddress)) === cached.state?.nonce) {
      return this.remember(channelAddress, cached);
    }
    const view = (await this.store.loadChannelView(channelAddress)) ?? {
      state: undefined,
      transfers: new Map(),
      tree: new MerkleTree(),
    };
    if (view.state) this.remember(channelAddress, view);
    return view;
  }

  /** Keeps `view` as the most recently used; the least recently used go past the bound. */
  remember(channelAddress: string, view: ChannelView): ChannelView {
    this.views.delete(channelAddress);
    this.views.set(channelAddress, view);
    while (this.views.size > this.bound) {
      this.views.delete(this.views.keys().next().value as string);
    }
    return view;
  }
}

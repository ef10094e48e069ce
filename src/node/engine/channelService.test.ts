import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import pino from "pino";
import {
  channelAddressFor,
  isProtocolError,
  PROTOCOL_VERSION,
  privateKeySigner,
  proposeUpdate,
} from "../../protocol";
import { errorReply } from "../../protocol/messaging";
import { context, type Party, party } from "../../protocol/testing/twoParties";
import { ChannelStore } from "../store/channelStore";
import { type Database, openDatabase } from "../store/database";
import {
  CHECKSUMMED_NETWORK,
  depositDraft,
  exchangeApplied,
  setupDraft,
} from "../store/testing/channelFixture";
import { ChannelLocks } from "./channelLocks";
import { ChannelService, type ChannelServiceDeps } from "./channelService";
import { isNodeError, NodeError } from "./errors";
import { DEFAULT_ROUTING_RULES, nodeProtocolPolicy } from "./routingRules";

const NODE_KEY = `0x${"11".repeat(32)}`;
const CHAIN = { totalDepositsAlice: 10n, totalDepositsBob: 5n };

let database: Database;
let store: ChannelStore;
let node: Party;
const disputed = new Set<string>();

beforeEach(async () => {
  database = await openDatabase();
  store = new ChannelStore(database.db);
  node = party(NODE_KEY);
  disputed.clear();
});

afterEach(async () => {
  await database.close();
});

function service(overrides: Partial<ChannelServiceDeps> = {}): ChannelService {
  return new ChannelService({
    signer: privateKeySigner(NODE_KEY),
    network: CHECKSUMMED_NETWORK,
    store,
    locks: new ChannelLocks(),
    lookupDefinition: context().lookupDefinition,
    policy: nodeProtocolPolicy(DEFAULT_ROUTING_RULES),
    inDispute: (channelAddress) => disputed.has(channelAddress.toLowerCase()),
    readDeposits: async () => CHAIN,
    readDisputeOutcome: async () => {
      throw new Error("no dispute in these tests");
    },
    requestPeer: async () => {
      throw new NodeError("PEER_UNAVAILABLE", "nobody there", { delivered: false });
    },
    now: () => 1_800_000_000,
    logger: pino({ level: "silent" }),
    shared: false,
    record: async () => {},
    committed: () => {},
    observeLatency: () => {},
    ...overrides,
  });
}

/** A user with a set-up channel, stored as the node would have stored it. */
async function userWithChannel(index: number): Promise<Party> {
  const user = party(`0x${(index + 0x20).toString(16).padStart(2, "0").repeat(32)}`);
  node = party(NODE_KEY);
  const { applied } = await exchangeApplied(node, user, "user", setupDraft(node));
  await store.saveApplied(applied);
  return user;
}

describe("the node's channel service", () => {
  test("keeps a bounded number of channel views in memory", async () => {
    const channels = service({ cachedViews: 2 });
    const users = [];
    for (let i = 0; i < 5; i++) users.push(await userWithChannel(i));
    for (const user of users) {
      const view = await channels.currentView(user.signer.address);
      expect(view?.state?.nonce).toBe(1);
      expect(channels.cachedViewCount).toBeLessThanOrEqual(2);
    }
    // An evicted view comes back from the store, unchanged.
    expect((await channels.currentView(users[0]?.signer.address as string))?.state?.nonce).toBe(1);
  });

  test("signs nothing on a channel in dispute: neither an answer nor a proposal", async () => {
    const user = await userWithChannel(0);
    const channelAddress = channelAddressFor(
      privateKeySigner(NODE_KEY).address,
      user.signer.address,
      CHECKSUMMED_NETWORK,
    );
    disputed.add(channelAddress.toLowerCase());
    const channels = service();
    const { update } = await proposeUpdate(
      user.view,
      depositDraft,
      user.signer,
      context({ network: CHECKSUMMED_NETWORK, chainDeposits: CHAIN }),
    );
    const refusal = await channels
      .respond(user.signer.address, { protocolVersion: PROTOCOL_VERSION, update }, () => {})
      .catch((error) => error);
    expect(isProtocolError(refusal, "CHANNEL_IN_DISPUTE")).toBe(true);
    const proposal = await channels
      .propose(user.signer.address, () => depositDraft)
      .catch((error) => error);
    expect(isProtocolError(proposal, "CHANNEL_IN_DISPUTE")).toBe(true);
    expect(await store.latestNonce(channelAddress)).toBe(1);
  });

  test("tells the proposer, still under the lock, when its proposal reached nobody", async () => {
    const user = await userWithChannel(0);
    const undelivered: number[] = [];
    const channels = service();
    const failure = await channels
      .propose(user.signer.address, () => depositDraft, {
        undelivered: async (update) => {
          undelivered.push(update.nonce);
        },
      })
      .catch((error) => error);
    expect(isNodeError(failure) && failure.code).toBe("PEER_UNAVAILABLE");
    expect(undelivered).toEqual([2]);
    // A refusal (delivered) is not "undelivered".
    const refused = service({
      requestPeer: async () =>
        new TextEncoder().encode(errorReply({ code: "TRANSFER_REJECTED", message: "no" })),
    });
    await refused
      .propose(user.signer.address, () => depositDraft, {
        undelivered: async (update) => {
          undelivered.push(update.nonce);
        },
      })
      .catch(() => {});
    expect(undelivered).toEqual([2]);
  });

  test("at shutdown, work queued on a channel gives up before it drafts or signs", async () => {
    const user = await userWithChannel(0);
    let stopping = false;
    let drafted = 0;
    const sent: string[] = [];
    const channels = service({
      stopping: () => stopping,
      requestPeer: async (_user, method) => {
        sent.push(method);
        throw new NodeError("PEER_UNAVAILABLE", "nobody there", { delivered: false });
      },
    });
    // One proposal holds the channel while a second waits for it; the node starts stopping.
    let release = () => {};
    let entered = () => {};
    const inside = new Promise<void>((resolve) => (entered = resolve));
    const holding = channels.withChannel(user.signer.address, () => {
      entered();
      return new Promise<void>((resolve) => (release = resolve));
    });
    await inside;
    const queued = channels
      .propose(user.signer.address, () => {
        drafted++;
        return depositDraft;
      })
      .catch((error) => error);
    stopping = true;
    release();
    await holding;
    const failure = await queued;
    expect(isNodeError(failure) && failure.code).toBe("SHUTTING_DOWN");
    expect(drafted).toBe(0);
    expect(sent).toEqual([]);
  });
});

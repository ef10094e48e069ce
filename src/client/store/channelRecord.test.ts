import { beforeAll, describe, expect, test } from "bun:test";
import {
  decodeRestoreMessage,
  type FullChannelState,
  hashlock,
  hashlockLockHash,
  MAX_MESSAGE_BYTES,
  toChecksumAddress,
} from "../../protocol";
import {
  ETH,
  exchange,
  HASHLOCK_ADDRESS,
  type Party,
  party,
  setupChannel,
} from "../../protocol/testing/twoParties";
import { type ChannelRecord, decodeChannelRecord, encodeChannelRecord } from "./channelRecord";
import { ClientStoreError } from "./errors";

/** A channel after setup, a deposit and `transfers` hashlock transfers from the user. */
async function channelWith(transfers: number): Promise<ChannelRecord> {
  const node: Party = party(`0x${"11".repeat(32)}`);
  const user: Party = party(`0x${"22".repeat(32)}`);
  await setupChannel(node, user);
  await exchange(
    user,
    node,
    { type: "deposit", assetId: ETH },
    { chainDeposits: { totalDepositsAlice: 1_000n, totalDepositsBob: 10n ** 20n } },
  );
  for (let i = 0; i < transfers; i++) {
    await exchange(user, node, {
      type: "create",
      assetId: ETH,
      amount: 1_000_000_000_000_000n + BigInt(i),
      transferDefinition: HASHLOCK_ADDRESS,
      transferInitialState: hashlock.encodeState({
        lockHash: hashlockLockHash(`0x${i.toString(16).padStart(64, "0")}`),
        expiry: 0n,
      }),
      transferTimeout: 3600,
      meta: { paymentId: `payment-${i}`, encryptedPreImage: `0x${"ab".repeat(129)}` },
    });
  }
  return {
    channel: user.view.state as FullChannelState,
    activeTransfers: [...user.view.transfers.values()],
  };
}

/**
 * The record as a decoder gives it back: addresses checksummed. The test harness's network
 * has lowercase hex letters in two addresses; nothing else changes.
 */
function canonical(record: ChannelRecord): ChannelRecord {
  const network = record.channel.networkContext;
  return {
    ...record,
    channel: {
      ...record.channel,
      networkContext: {
        ...network,
        channelFactoryAddress: toChecksumAddress(network.channelFactoryAddress),
        channelMastercopyAddress: toChecksumAddress(network.channelMastercopyAddress),
        transferRegistryAddress: toChecksumAddress(network.transferRegistryAddress),
      },
    },
  };
}

function expectCorrupt(raw: string, reason?: string): void {
  let caught: unknown;
  try {
    decodeChannelRecord(raw);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ClientStoreError);
  expect((caught as ClientStoreError).code).toBe("CORRUPT_RECORD");
  if (reason) expect((caught as ClientStoreError).context.reason).toBe(reason);
}

let record: ChannelRecord;
let raw: string;

beforeAll(async () => {
  record = await channelWith(2);
  raw = encodeChannelRecord(record);
});

describe("channel records", () => {
  test("round trip: the decoded record equals the one stored", () => {
    expect(record.channel.nonce).toBe(4);
    expect(record.activeTransfers).toHaveLength(2);
    const decoded = decodeChannelRecord(raw);
    expect(decoded).toEqual(canonical(record));
    expect(decodeChannelRecord(encodeChannelRecord(decoded))).toEqual(decoded);
  });

  test("a channel without active transfers (empty merkle root) round-trips too", async () => {
    const fresh = await channelWith(0);
    expect(fresh.activeTransfers).toEqual([]);
    expect(decodeChannelRecord(encodeChannelRecord(fresh))).toEqual(canonical(fresh));
  });

  test("the stored text is a protocol RestoreMessage", () => {
    const message = decodeRestoreMessage(raw);
    expect(message.protocolVersion).toBe("1");
    expect(message.channel).toEqual(canonical(record).channel);
    expect(message.activeTransfers).toEqual(record.activeTransfers);
  });

  test("corrupted text is refused", () => {
    expectCorrupt(raw.slice(0, raw.length - 7));
    expectCorrupt("");
    expectCorrupt("null", "MALFORMED_MESSAGE");
    expectCorrupt(
      raw.replace('"protocolVersion":"1"', '"protocolVersion":"2"'),
      "MALFORMED_MESSAGE",
    );
    expectCorrupt(raw.replace('"nonce":4', '"nonce":"4"'), "MALFORMED_MESSAGE");
    expectCorrupt(raw.replace("{", '{"extra":1,'), "MALFORMED_MESSAGE");
  });

  test("a tampered balance, nonce, transfer list or signature is refused", () => {
    const json = JSON.parse(raw);
    const tamper = (edit: (copy: typeof json) => void) => {
      const copy = structuredClone(json);
      edit(copy);
      return JSON.stringify(copy);
    };
    expectCorrupt(
      tamper((c) => {
        c.channel.balances[0].amount[1] = (BigInt(c.channel.balances[0].amount[1]) + 1n).toString();
      }),
      "WRONG_SIGNER",
    );
    expectCorrupt(
      tamper((c) => {
        c.channel.nonce += 1;
      }),
      "UPDATE_MISMATCH",
    );
    expectCorrupt(
      tamper((c) => {
        c.activeTransfers.pop();
      }),
      "MERKLE_MISMATCH",
    );
    expectCorrupt(
      tamper((c) => {
        c.activeTransfers[0].balance.amount[0] = "1";
      }),
      "MERKLE_MISMATCH",
    );
    expectCorrupt(
      tamper((c) => {
        delete c.channel.latestUpdate.aliceSignature;
      }),
      "INVALID_SIGNATURE",
    );
    expectCorrupt(
      tamper((c) => {
        c.channel.networkContext.chainId = 1;
      }),
    );
  });

  test("a channel with many active transfers outgrows a wire message and still loads", async () => {
    const big = await channelWith(60);
    const text = encodeChannelRecord(big);
    expect(text.length).toBeGreaterThan(MAX_MESSAGE_BYTES);
    expect(decodeChannelRecord(text)).toEqual(canonical(big));
  });
});

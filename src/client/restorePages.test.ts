import { beforeAll, describe, expect, test } from "bun:test";
import { type FullTransferState, hashlock } from "../protocol";
import { MAX_RETRIES } from "../protocol/conversation";
import { decodeRequest, errorReply, okReply, restoreRequestSchema } from "../protocol/messaging";
import {
  ETH,
  exchange,
  HASHLOCK_ADDRESS,
  type Party,
  party,
  setupChannel,
} from "../protocol/testing/twoParties";
import { fetchRestore } from "./restorePages";

const DEPOSITS = { totalDepositsAlice: 0n, totalDepositsBob: 100n };
const node = party(`0x${"11".repeat(32)}`);
const user = party(`0x${"22".repeat(32)}`);

/** A channel with five active transfers, as the node holds it. */
beforeAll(async () => {
  await setupChannel(node, user);
  await exchange(user, node, { type: "deposit", assetId: ETH }, { chainDeposits: DEPOSITS });
  for (let lock = 1; lock <= 5; lock++) {
    await exchange(user, node, {
      type: "create",
      assetId: ETH,
      amount: 1n,
      transferDefinition: HASHLOCK_ADDRESS,
      transferInitialState: hashlock.encodeState({
        lockHash: `0x${lock.toString(16).padStart(64, "0")}`,
        expiry: 0n,
      }),
      transferTimeout: 3600,
    });
  }
});

interface Asked {
  nonce?: number;
  offset?: number;
}

/** A node that serves `holder`'s channel two transfers a page; `answer` may override a page. */
function nodeServing(holder: Party, answer: (asked: Asked, call: number) => string | undefined) {
  const asked: Asked[] = [];
  const request = async (method: string, payload: string) => {
    expect(method).toBe("restore");
    const { protocolVersion: _, ...page } = decodeRequest<Asked & { protocolVersion: string }>(
      payload,
      restoreRequestSchema,
    );
    asked.push(page);
    const transfers = [...holder.view.transfers.values()] as FullTransferState[];
    const offset = page.offset ?? 0;
    const reply =
      answer(page, asked.length) ??
      okReply({
        protocolVersion: "1",
        channel: holder.view.state,
        activeTransfers: transfers.slice(offset, offset + 2),
        offset,
        totalTransfers: transfers.length,
      });
    return new TextEncoder().encode(reply);
  };
  return { request, asked };
}

describe("fetchRestore", () => {
  test("fetches every page, each for the nonce the first named", async () => {
    const { request, asked } = nodeServing(node, () => undefined);
    const message = await fetchRestore(request);
    expect(message?.channel).toEqual(node.view.state as NonNullable<typeof node.view.state>);
    expect(message?.activeTransfers.map((t) => t.transferId)).toEqual([
      ...node.view.transfers.keys(),
    ]);
    const nonce = node.view.state?.nonce;
    expect(asked).toEqual([{}, { nonce, offset: 2 }, { nonce, offset: 4 }]);
  });

  test("no channel at the node: undefined", async () => {
    const { request } = nodeServing(node, () =>
      errorReply({ code: "CHANNEL_NOT_SETUP", message: "no channel" }),
    );
    expect(await fetchRestore(request)).toBeUndefined();
  });

  test("a channel that moves on between two pages starts the fetch over", async () => {
    const { request, asked } = nodeServing(node, (page, call) =>
      call === 2 && page.nonce !== undefined
        ? errorReply({ code: "STALE_NONCE", message: "moved on" })
        : undefined,
    );
    const message = await fetchRestore(request);
    expect(message?.activeTransfers).toHaveLength(5);
    expect(asked.filter((page) => page.nonce === undefined)).toHaveLength(2);
  });

  test(`gives up once the channel moved on ${MAX_RETRIES} times more (STALE_NONCE)`, async () => {
    const { request, asked } = nodeServing(node, (page) =>
      page.nonce !== undefined ? errorReply({ code: "STALE_NONCE", message: "moved" }) : undefined,
    );
    await expect(fetchRestore(request)).rejects.toMatchObject({ code: "STALE_NONCE" });
    expect(asked.filter((page) => page.nonce === undefined)).toHaveLength(MAX_RETRIES + 1);
  });

  test("a page for another offset than asked is MALFORMED_MESSAGE", async () => {
    const transfers = () => [...node.view.transfers.values()];
    const { request } = nodeServing(node, (page) =>
      page.offset === 2
        ? okReply({
            protocolVersion: "1",
            channel: node.view.state,
            activeTransfers: transfers().slice(0, 2),
            offset: 0,
            totalTransfers: 5,
          })
        : undefined,
    );
    await expect(fetchRestore(request)).rejects.toMatchObject({ code: "MALFORMED_MESSAGE" });
  });

  test("any other refusal is the node's, with its code", async () => {
    const { request } = nodeServing(node, () =>
      errorReply({ code: "RATE_LIMITED", message: "slow down" }),
    );
    await expect(fetchRestore(request)).rejects.toMatchObject({ code: "RATE_LIMITED" });
  });
});

import { describe, expect, test } from "bun:test";
import { getAddress } from "ethers";
import { type FullTransferState, privateKeySigner, withdraw } from "../../protocol";
import { withdrawDigest } from "../../protocol/hashing";
import type { SentStep } from "../disputes/progress";
import { MemoryStore } from "../store/memory";
import { countersignedCommitment, isCancel } from "./commitment";
import { type PendingWithdrawal, WithdrawalLedger } from "./ledger";

const NODE = privateKeySigner(`0x${"11".repeat(32)}`);
const USER = privateKeySigner(`0x${"22".repeat(32)}`);
const OTHER = privateKeySigner(`0x${"33".repeat(32)}`);
const CHANNEL = "0xaAaAaAaaAaAaAaaAaAAAAAAAAaaaAaAaAaaAaaAa";
const WITHDRAW = "0x000000000000000000000000000000000000dEaD";
const ETH = "0x0000000000000000000000000000000000000000";
const RECIPIENT = getAddress(`0x${"00".repeat(19)}bb`);
const CHAIN_ID = 1337;
const PARTIES = { me: USER.address, node: NODE.address, withdrawAddress: WITHDRAW };
const TRANSFER_ID = `0x${"0a".repeat(32)}`;

/** Our withdrawal of `amount` to RECIPIENT, as the channel holds it, and its digest. */
async function ourWithdrawal(amount = 5n, digestAmount = amount) {
  const nonce = 4n;
  const data = withdrawDigest(
    { channelAddress: CHANNEL, assetId: ETH, recipient: RECIPIENT, amount: digestAmount, nonce },
    CHAIN_ID,
  );
  const transfer: FullTransferState = {
    channelAddress: CHANNEL,
    transferId: TRANSFER_ID,
    transferDefinition: WITHDRAW,
    initiator: USER.address,
    responder: NODE.address,
    assetId: ETH,
    balance: { to: [USER.address, NODE.address], amount: [amount, 0n] },
    transferTimeout: 3600,
    initialStateHash: `0x${"00".repeat(32)}`,
    chainId: CHAIN_ID,
    transferState: withdraw.encodeState({
      initiatorSignature: await USER.signDigest(data),
      initiator: USER.address,
      responder: NODE.address,
      data,
      nonce,
      fee: 0n,
    }),
    channelNonce: 4,
    meta: { withdraw: { recipient: RECIPIENT } },
  };
  return { transfer, data };
}

const resolver = (responderSignature: string) => withdraw.encodeResolver({ responderSignature });

describe("countersignedCommitment: what the node's resolve of our withdrawal lets us execute", () => {
  test("the node's signature on our commitment: the commitment with both signatures", async () => {
    const { transfer, data } = await ourWithdrawal();
    const signed = countersignedCommitment(
      transfer,
      resolver(await NODE.signDigest(data)),
      PARTIES,
      CHAIN_ID,
    );
    expect(signed).toMatchObject({
      transferId: TRANSFER_ID,
      alice: NODE.address,
      bob: USER.address,
      digest: data,
      commitment: { channelAddress: CHANNEL, assetId: ETH, recipient: RECIPIENT, amount: 5n },
    });
    expect(signed?.commitment.nonce).toBe(4n);
  });

  test("a cancel, another signer, another party's transfer or a commitment that is not the transfer's: nothing", async () => {
    const { transfer, data } = await ourWithdrawal();
    const nodeSigned = resolver(await NODE.signDigest(data));
    expect(countersignedCommitment(transfer, resolver("0x"), PARTIES, CHAIN_ID)).toBeUndefined();
    expect(isCancel(resolver("0x"))).toBe(true);
    expect(
      countersignedCommitment(transfer, resolver(await OTHER.signDigest(data)), PARTIES, CHAIN_ID),
    ).toBeUndefined();
    expect(
      countersignedCommitment(
        { ...transfer, initiator: NODE.address, responder: USER.address },
        nodeSigned,
        PARTIES,
        CHAIN_ID,
      ),
    ).toBeUndefined();
    expect(
      countersignedCommitment({ ...transfer, transferDefinition: ETH }, nodeSigned, PARTIES, 1),
    ).toBeUndefined();
    const skewed = await ourWithdrawal(5n, 6n);
    expect(
      countersignedCommitment(
        skewed.transfer,
        resolver(await NODE.signDigest(skewed.data)),
        PARTIES,
        CHAIN_ID,
      ),
    ).toBeUndefined();
  });
});

describe("WithdrawalLedger: pending withdrawals in the client's store", () => {
  async function pending(): Promise<PendingWithdrawal> {
    const { transfer, data } = await ourWithdrawal();
    const signed = countersignedCommitment(
      transfer,
      resolver(await NODE.signDigest(data)),
      PARTIES,
      CHAIN_ID,
    );
    if (!signed) throw new Error("no commitment");
    return { ...signed, fromBlock: 7, recordedAt: 1, deadlineAt: 2, steps: [] };
  }

  test("a record survives a restart, bigints included, and is added once", async () => {
    const store = new MemoryStore();
    const ledger = await WithdrawalLedger.load(store, "withdrawals:n:u");
    const record = await pending();
    await ledger.add(record);
    await ledger.add({ ...record, deadlineAt: 99 });
    const reloaded = await WithdrawalLedger.load(store, "withdrawals:n:u");
    expect(reloaded.pending()).toEqual([record]);
    expect(reloaded.get(TRANSFER_ID.toUpperCase().replace("0X", "0x"))?.commitment.amount).toBe(5n);
  });

  test("the sender's transactions are recorded with the withdrawal; once executed it is gone for good", async () => {
    const store = new MemoryStore();
    const ledger = await WithdrawalLedger.load(store, "withdrawals:n:u");
    const record = await pending();
    await ledger.add(record);
    const steps = ledger.steps(TRANSFER_ID);
    const sent: SentStep = {
      key: "withdraw",
      instance: 1,
      step: "withdraw",
      hash: `0x${"cc".repeat(32)}`,
      nonce: 3,
      raw: "0x02",
      sentAt: 10,
      status: "sent",
    };
    await steps.recordSent(sent);
    await steps.updateSent(sent.hash, { status: "mined", block: 12 });
    const reloaded = await WithdrawalLedger.load(store, "withdrawals:n:u");
    expect(reloaded.steps(TRANSFER_ID).latest("withdraw")).toEqual({
      ...sent,
      status: "mined",
      block: 12,
    });
    expect(reloaded.steps(TRANSFER_ID).current?.steps).toHaveLength(1);
    await reloaded.finish(TRANSFER_ID);
    await reloaded.add(record); // a late copy of the resolve
    const after = await WithdrawalLedger.load(store, "withdrawals:n:u");
    expect(after.pending()).toEqual([]);
    expect(after.isDone(TRANSFER_ID)).toBe(true);
  });
});

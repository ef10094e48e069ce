import { beforeEach, describe, expect, test } from "bun:test";
import { expectRejected } from "../../testing/expectations";
import {
  ETH,
  exchange,
  HASHLOCK_ADDRESS,
  NETWORK,
  NOW,
  type Party,
  party,
  setupChannel,
  WITHDRAW_ADDRESS,
} from "../../testing/twoParties";
import type { ChannelUpdate, FullTransferState } from "../../types";
import type { UpdateContext } from "../../updates/context";
import type { TransferMoment } from "../plugin";
import { definitionPlugins, pluginOf, rulesOf } from "../plugins";
import { expectCode, randomKey } from "../testUtils";
import type { DefinitionDeployment } from "../types";
import { threadPlugin } from ".";
import { threadRouting } from "./routing";
import { type ThreadState, thread } from "./rules";
import { signThreadVoucher, threadVoucherDigest } from "./voucher";

const THREAD_AT = "0x00000000000000000000000000000000000000A3";
const PLUGINS = definitionPlugins(
  { hashlockTransfer: HASHLOCK_ADDRESS, withdraw: WITHDRAW_ADDRESS },
  [{ address: THREAD_AT, plugin: threadPlugin }],
);
const REGISTRY = rulesOf(PLUGINS);
/** What every party validates with: the built-ins and the thread plug-in. */
const WITH_THREADS: Partial<UpdateContext> = {
  lookupDefinition: (address) => REGISTRY.get(address.toLowerCase()),
};
const DEPLOYMENT: DefinitionDeployment = { chainId: NETWORK.chainId, definition: THREAD_AT };
const THREAD_ID = `0x${"7e".repeat(32)}`;
const PAYMENT_ID = `0x${"99".repeat(32)}`;
const PAYER_EXPIRY = BigInt(NOW + 7200);
const MIRROR_EXPIRY = BigInt(NOW + 3600);

const kinds = (intents: readonly { kind: string }[]) => intents.map((i) => i.kind);

let node: Party;
let payer: Party;
let payee: Party;
/** The node and the payee's channel, seen by the node (the node is alice in both). */
let nodeToPayee: Party;

beforeEach(async () => {
  node = party(`0x${"11".repeat(32)}`);
  nodeToPayee = party(`0x${"11".repeat(32)}`);
  payer = party(`0x${"22".repeat(32)}`);
  payee = party(`0x${"33".repeat(32)}`);
  await setupChannel(node, payer);
  await setupChannel(nodeToPayee, payee);
  const deposits = (alice: bigint, bob: bigint) => ({
    ...WITH_THREADS,
    chainDeposits: { totalDepositsAlice: alice, totalDepositsBob: bob },
  });
  await exchange(payer, node, { type: "deposit", assetId: ETH }, deposits(0n, 10n));
  await exchange(payee, nodeToPayee, { type: "deposit", assetId: ETH }, deposits(20n, 0n));
});

function payerState(): ThreadState {
  return {
    payer: payer.signer.address,
    payee: payee.signer.address,
    threadId: THREAD_ID,
    amount: 6n,
    expiry: PAYER_EXPIRY,
  };
}

/** The payer opens the thread with the node, the node mirrors it to the payee. */
async function openThread(): Promise<{
  payerTransfer: FullTransferState;
  mirror: FullTransferState;
  mirrorUpdate: ChannelUpdate<"create">;
}> {
  await exchange(
    payer,
    node,
    {
      type: "create",
      assetId: ETH,
      amount: 6n,
      transferDefinition: THREAD_AT,
      transferInitialState: thread.encodeState(payerState()),
      transferTimeout: 7200,
      meta: { routing: { paymentId: PAYMENT_ID, recipient: payee.signer.address } },
    },
    WITH_THREADS,
  );
  const payerTransfer = [...node.view.transfers.values()][0] as FullTransferState;
  const mirrorUpdate = (await exchange(
    nodeToPayee,
    payee,
    {
      type: "create",
      assetId: ETH,
      amount: 6n,
      transferDefinition: THREAD_AT,
      transferInitialState: threadRouting.mirrorState(payerTransfer.transferState, MIRROR_EXPIRY),
      transferTimeout: 7200,
      meta: { routing: { paymentId: PAYMENT_ID, sender: payer.signer.address } },
    },
    WITH_THREADS,
  )) as ChannelUpdate<"create">;
  const mirror = [...payee.view.transfers.values()][0] as FullTransferState;
  return { payerTransfer, mirror, mirrorUpdate };
}

function moment(
  event: TransferMoment["event"],
  transfer: FullTransferState,
  me: string,
  ours: boolean,
): TransferMoment {
  return { event, transfer, initiator: transfer.initiator === me, ours };
}

describe("thread plug-in", () => {
  test("is carried as an extra plug-in at its address, in any case", () => {
    expect(pluginOf(PLUGINS, THREAD_AT.toLowerCase())).toBe(threadPlugin);
    expect(REGISTRY.get(THREAD_AT.toLowerCase())).toBe(thread);
    expectCode(
      () =>
        definitionPlugins({ hashlockTransfer: HASHLOCK_ADDRESS, withdraw: WITHDRAW_ADDRESS }, [
          { address: HASHLOCK_ADDRESS, plugin: threadPlugin },
        ]),
      "MALFORMED_MESSAGE",
    );
  });

  test("routing: locks on the thread id, mirrors with the earlier expiry, cancels on an empty signature", async () => {
    const encoded = thread.encodeState(payerState());
    expect(threadRouting.terms(encoded)).toEqual({ lockHash: THREAD_ID, expiry: PAYER_EXPIRY });
    const mirrored = threadRouting.mirrorState(encoded, MIRROR_EXPIRY);
    expect(thread.decodeState(mirrored)).toEqual({ ...payerState(), expiry: MIRROR_EXPIRY });
    expect(threadRouting.isCancel(thread.encodedCancel)).toBe(true);
    const signed = await signThreadVoucher(
      { threadId: THREAD_ID, amount: 4n },
      DEPLOYMENT,
      payer.signer,
    );
    const resolver = thread.encodeResolver(signed);
    expect(threadRouting.isCancel(resolver)).toBe(false);
    expect(threadRouting.payerResolver(resolver)).toBe(resolver);
    // Re-encoded canonically: the node resolves with lowercase hex whatever the payee sent.
    expect(threadRouting.payerResolver(resolver.toUpperCase().replace("0X", "0x"))).toBe(resolver);
    expectCode(() => threadRouting.payerResolver(`${resolver}00`), "MALFORMED_MESSAGE");
    expectCode(() => threadRouting.mirrorState("0x12", MIRROR_EXPIRY), "MALFORMED_MESSAGE");
  });

  test("a thread opens, is mirrored and closes with the payer's voucher on both sides", async () => {
    const { payerTransfer, mirror, mirrorUpdate } = await openThread();
    const nodeSide = threadPlugin.node;
    const client = threadPlugin.client;
    if (!nodeSide || !client) throw new Error("threads have a node and a client side");
    const me = node.signer.address;

    // The node opens the payment and forwards it; the payee's client checks and announces it.
    expect(nodeSide.checkCreate({} as never)).toEqual([
      { kind: "supportedAsset" },
      { kind: "routedPayment" },
    ]);
    expect(kinds(nodeSide.record(moment("created", payerTransfer, me, false)))).toEqual([
      "openPayment",
    ]);
    expect(kinds(nodeSide.react(moment("created", payerTransfer, me, false)))).toEqual([
      "forwardPayment",
    ]);
    expect(nodeSide.record(moment("created", mirror, me, true))).toEqual([
      { kind: "linkMirror", paymentId: PAYMENT_ID, transfer: mirror },
    ]);
    expect(client.checkNodeCreate(mirrorUpdate)).toEqual([
      { kind: "claimablePayment", expiry: MIRROR_EXPIRY },
    ]);
    const received = moment("created", mirror, payee.signer.address, false);
    expect(client.react(received)).toEqual([{ kind: "threadOpened", transfer: mirror }]);
    expect(client.react({ ...received, ours: true })).toEqual([]);
    expect(client.waiting(mirror, NOW)).toEqual([{ kind: "threadWaiting", transfer: mirror }]);
    for (const view of [payer.view, node.view]) {
      expect(view.state?.balances[0]?.amount).toEqual([0n, 4n]);
    }
    expect(payee.view.state?.balances[0]?.amount).toEqual([14n, 0n]);

    // The payer pays 1, then 4 in all; the payee closes with the latest voucher.
    await signThreadVoucher({ threadId: THREAD_ID, amount: 1n }, DEPLOYMENT, payer.signer);
    const latest = await signThreadVoucher(
      { threadId: THREAD_ID, amount: 4n },
      DEPLOYMENT,
      payer.signer,
    );
    const mirrorResolver = thread.encodeResolver(latest);
    expect(nodeSide.checkResolve(mirror, mirrorResolver, me)).toEqual([
      { kind: "claimInTime", expiry: MIRROR_EXPIRY },
    ]);
    await exchange(
      payee,
      nodeToPayee,
      { type: "resolve", transferId: mirror.transferId, transferResolver: mirrorResolver },
      WITH_THREADS,
    );
    for (const view of [payee.view, nodeToPayee.view]) {
      expect(view.state?.balances[0]?.amount).toEqual([16n, 4n]);
      expect(view.transfers.size).toBe(0);
    }
    const claimed = { ...mirror, transferResolver: mirrorResolver };
    expect(kinds(nodeSide.record(moment("resolved", claimed, me, false)))).toEqual([
      "completeMirror",
    ]);
    expect(kinds(nodeSide.react(moment("resolved", claimed, me, false)))).toEqual(["settlePayer"]);
    expect(client.react(moment("resolved", claimed, payee.signer.address, true))).toEqual([
      { kind: "threadResolved", transfer: claimed },
    ]);

    // The node settles the payer's transfer with the same voucher.
    const payerResolver = threadRouting.payerResolver(mirrorResolver);
    expect(nodeSide.checkResolve(payerTransfer, payerResolver, me)).toEqual([]);
    await exchange(
      node,
      payer,
      { type: "resolve", transferId: payerTransfer.transferId, transferResolver: payerResolver },
      WITH_THREADS,
    );
    for (const view of [payer.view, node.view]) {
      expect(view.state?.balances[0]?.amount).toEqual([4n, 6n]);
      expect(view.transfers.size).toBe(0);
    }
    const settled = { ...payerTransfer, transferResolver: payerResolver };
    expect(nodeSide.react(moment("resolved", settled, me, true))).toEqual([
      { kind: "payerResolved", paymentId: PAYMENT_ID, cancelled: false, transfer: settled },
    ]);
  });

  test("a forged voucher, or one for another chain or definition, is refused by the counterparty", async () => {
    const { mirror } = await openThread();
    const forger = randomKey();
    const forged = {
      amount: 6n,
      signature: forger.sign(threadVoucherDigest({ threadId: THREAD_ID, amount: 6n }, DEPLOYMENT)),
    };
    const bySelf = await signThreadVoucher(
      { threadId: THREAD_ID, amount: 6n },
      DEPLOYMENT,
      payee.signer,
    );
    const otherChain = await signThreadVoucher(
      { threadId: THREAD_ID, amount: 6n },
      { ...DEPLOYMENT, chainId: 1 },
      payer.signer,
    );
    const otherDefinition = await signThreadVoucher(
      { threadId: THREAD_ID, amount: 6n },
      { ...DEPLOYMENT, definition: HASHLOCK_ADDRESS },
      payer.signer,
    );
    const genuine = await signThreadVoucher(
      { threadId: THREAD_ID, amount: 4n },
      DEPLOYMENT,
      payer.signer,
    );
    const raised = { amount: 6n, signature: genuine.signature };
    for (const resolver of [forged, bySelf, otherChain, otherDefinition, raised]) {
      await expectRejected(
        () =>
          exchange(
            payee,
            nodeToPayee,
            {
              type: "resolve",
              transferId: mirror.transferId,
              transferResolver: thread.encodeResolver(resolver),
            },
            WITH_THREADS,
          ),
        "RESOLVE_REJECTED",
      );
    }
    expect(payee.view.transfers.size).toBe(1);
    expect(nodeToPayee.view.transfers.size).toBe(1);
  });

  test("a voucher is refused once the mirror expired; a cancel is taken and refunds the node", async () => {
    const { mirror } = await openThread();
    const late = { ...WITH_THREADS, now: Number(MIRROR_EXPIRY) };
    const signed = await signThreadVoucher(
      { threadId: THREAD_ID, amount: 4n },
      DEPLOYMENT,
      payer.signer,
    );
    await expectRejected(
      () =>
        exchange(
          payee,
          nodeToPayee,
          {
            type: "resolve",
            transferId: mirror.transferId,
            transferResolver: thread.encodeResolver(signed),
          },
          late,
        ),
      "RESOLVE_REJECTED",
    );
    await exchange(
      payee,
      nodeToPayee,
      { type: "resolve", transferId: mirror.transferId, transferResolver: thread.encodedCancel },
      late,
    );
    expect(nodeToPayee.view.state?.balances[0]?.amount).toEqual([20n, 0n]);
    const cancelled = { ...mirror, transferResolver: thread.encodedCancel };
    expect(threadPlugin.client?.react(moment("resolved", cancelled, "", true))).toEqual([
      { kind: "threadResolved", transfer: cancelled },
    ]);
    expect(
      threadPlugin.node?.record(moment("resolved", cancelled, mirror.initiator, false)),
    ).toEqual([]);
  });

  test("the payee's client refuses a thread from the node without meta.routing", async () => {
    const { mirrorUpdate } = await openThread();
    const { meta: _, ...details } = mirrorUpdate.details;
    expectCode(
      () => threadPlugin.client?.checkNodeCreate({ ...mirrorUpdate, details }),
      "TRANSFER_REJECTED",
    );
  });
});

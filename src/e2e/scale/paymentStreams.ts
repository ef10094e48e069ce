import { expect } from "bun:test";
import { hexlify, parseEther, randomBytes, type Wallet, ZeroAddress } from "ethers";
import type { ConnextClient } from "../../client";
import { NodeApi } from "../../client/nodeApi";
import { MemoryStore } from "../../client/store/memory";
import type { ClientStore } from "../../client/store/types";
import { encodeWire } from "../../protocol/messaging";
import { waitFor } from "../expectations";
import { ADMIN_TOKEN } from "../stack";
import type { ScaleStack } from "./scaleStack";

/** A payer paying its payee, each a client of the scale stack. */
export interface Pair {
  payer: ConnextClient;
  payee: ConnextClient;
  payerWallet: Wallet;
  payeeWallet: Wallet;
  /** Their channels' stores, so a user can come back on them. */
  payerStore: ClientStore;
  payeeStore: ClientStore;
}

export const ETH = ZeroAddress;
export const AMOUNT = parseEther("0.001");

/**
 * `count` pairs of fresh users, spread over the node processes' HTTP APIs by `nodeIndexes`
 * (default: all on process 0); each payer deposits 1 ETH and pays its payee once, so the
 * payee's collateral is on-chain before the stream starts.
 */
export async function connectPairs(
  scale: ScaleStack,
  count: number,
  nodeIndexes: number[] = [0],
): Promise<Pair[]> {
  const wallets = await scale.wallets(count * 2);
  const at = (i: number) => nodeIndexes[i % nodeIndexes.length] as number;
  const pairs = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const payerWallet = wallets[2 * i] as Wallet;
      const payeeWallet = wallets[2 * i + 1] as Wallet;
      const payerStore = new MemoryStore();
      const payeeStore = new MemoryStore();
      const [payer, payee] = await Promise.all([
        scale.client(payerWallet, at(2 * i), { store: payerStore }),
        scale.client(payeeWallet, at(2 * i + 1), { store: payeeStore }),
      ]);
      return { payer, payee, payerWallet, payeeWallet, payerStore, payeeStore };
    }),
  );
  // Deposits one after another: each is a transaction from its own account, but anvil mines
  // them one by one anyway, and 10 at once only queue.
  for (const pair of pairs) await pair.payer.deposit({ assetId: ETH, amount: parseEther("1") });
  await Promise.all(
    pairs.map((pair) =>
      pair.payer.transfer({ recipient: pair.payee.identifier, assetId: ETH, amount: AMOUNT }),
    ),
  );
  for (const pair of pairs) await waitFor(() => pair.payee.getBalance(ETH).user === AMOUNT, 30_000);
  return pairs;
}

/**
 * Error codes a payment is retried on: the node or its messaging away for a while, or the
 * node's database (INTERNAL: the client says to retry with the same payment id).
 */
const TRANSIENT = new Set([
  "NODE_UNREACHABLE",
  "TIMEOUT",
  "NODE_ERROR",
  "PAYMENT_AMBIGUOUS",
  "INTERNAL",
]);

export interface PaymentStream {
  /** Payments that got an answer so far, over all pairs. */
  answered(): number;
  /** Errors retried, by code. */
  retried: Record<string, number>;
  /** The payment ids each payer (by address) used, in order. */
  ids: Map<string, string[]>;
  /** Resolves when every payer has made `payments` payments. */
  done: Promise<void>;
}

/**
 * Every payer pays its payee `payments` times (fewer once `stopWhen` holds), one after another,
 * `gapMs` apart, as an application would:
 * a payment that fails because the node is away is retried with the same payment id, so the
 * node sees it at most once; PAYMENT_EXISTS means an earlier attempt reached it.
 */
export function streamPayments(
  pairs: Pair[],
  payments: number,
  options: { gapMs?: number; giveUpMs?: number; stopWhen?: () => boolean } = {},
): PaymentStream {
  let answered = 0;
  const retried: Record<string, number> = {};
  const ids = new Map<string, string[]>();
  const giveUpAt = Date.now() + (options.giveUpMs ?? 120_000);
  const pay = async (pair: Pair) => {
    const prefix = hexlify(randomBytes(24));
    const used: string[] = [];
    ids.set(pair.payer.identifier, used);
    for (let i = 0; i < payments && !options.stopWhen?.(); i++) {
      const paymentId = `${prefix}${i.toString(16).padStart(16, "0")}`;
      used.push(paymentId);
      for (;;) {
        try {
          await pair.payer.transfer({
            recipient: pair.payee.identifier,
            assetId: ETH,
            amount: AMOUNT,
            paymentId,
          });
          break;
        } catch (error) {
          const code = (error as { code?: string }).code ?? "?";
          if (code === "PAYMENT_EXISTS") break;
          if (!TRANSIENT.has(code) || Date.now() > giveUpAt) throw error;
          retried[code] = (retried[code] ?? 0) + 1;
          await Bun.sleep(200);
        }
      }
      answered++;
      if (options.gapMs) await Bun.sleep(options.gapMs);
    }
  };
  return {
    answered: () => answered,
    retried,
    ids,
    done: Promise.all(pairs.map(pay)).then(() => {}),
  };
}

interface PaymentRow {
  paymentId: string;
  sender: string;
  recipient: string;
  amount: string;
  status: string;
}

/** Every payment the node holds (the admin API of node process `nodeIndex`). */
async function allPayments(scale: ScaleStack, nodeIndex = 0): Promise<PaymentRow[]> {
  const url = (scale.nodes[nodeIndex] as { httpUrl: string }).httpUrl;
  const response = await fetch(`${url}/admin/payments`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  expect(response.status).toBe(200);
  return (await response.json()) as PaymentRow[];
}

/**
 * After a stream under a fault: every payment of it ended completed or refunded (cancelled),
 * the node holds each once and no other payment of the payer is pending; each side's balance
 * moved by exactly the completed ones (money conserved); both sides of every channel agree.
 * `before`: the balances read before the stream.
 */
export async function expectStreamSettled(
  scale: ScaleStack,
  pairs: Pair[],
  stream: PaymentStream,
  before: Map<string, bigint>,
): Promise<{ completed: number; cancelled: number }> {
  let rows: PaymentRow[] = [];
  const deadline = Date.now() + 60_000;
  do {
    rows = await allPayments(scale);
    if (rows.every((row) => row.status !== "pending")) break;
    await Bun.sleep(250);
  } while (Date.now() < deadline);

  const outcome = { completed: 0, cancelled: 0 };
  for (const pair of pairs) {
    const payer = rows.filter(
      (row) => row.sender.toLowerCase() === pair.payer.identifier.toLowerCase(),
    );
    for (const row of payer) expect(["completed", "cancelled"]).toContain(row.status);
    const ids = stream.ids.get(pair.payer.identifier) ?? [];
    const mine = payer.filter((row) => ids.includes(row.paymentId));
    expect(mine.map((row) => row.paymentId).sort()).toEqual([...ids].sort());
    const completed = mine.filter((row) => row.status === "completed").length;
    outcome.completed += completed;
    outcome.cancelled += mine.length - completed;
    const moved = BigInt(completed) * AMOUNT;
    const payerStart = before.get(pair.payer.identifier) as bigint;
    const payeeStart = before.get(pair.payee.identifier) as bigint;
    const settled = () =>
      pair.payer.getBalance(ETH).user === payerStart - moved &&
      pair.payee.getBalance(ETH).user === payeeStart + moved &&
      pair.payer.getTransfers().length === 0 &&
      pair.payee.getTransfers().length === 0;
    await waitFor(settled, 30_000).catch(async () => {
      throw new Error(
        `pair ${pairs.indexOf(pair)} did not settle: ${await describe(scale, pair, mine)}`,
      );
    });
    await expectAgree(scale, pair.payer, pair.payerWallet);
    await expectAgree(scale, pair.payee, pair.payeeWallet);
  }
  return outcome;
}

/** What a failure needs to be understood: both sides' balances and transfers, the rows. */
async function describe(scale: ScaleStack, pair: Pair, rows: PaymentRow[]): Promise<string> {
  const side = async (client: ConnextClient, wallet: Wallet) => {
    const url = (scale.nodes[0] as { httpUrl: string }).httpUrl;
    const token = await new NodeApi(url).signIn(wallet.address, (m) => wallet.signMessage(m));
    const nodeTransfers = await (
      await fetch(`${url}/channel/transfers`, { headers: { authorization: `Bearer ${token}` } })
    ).text();
    return encodeWire({
      balance: client.getBalance(ETH),
      nonce: client.getChannel()?.nonce,
      transfers: client.getTransfers(),
      nodeTransfers: JSON.parse(nodeTransfers),
    });
  };
  const statuses = rows.map((row) => `${row.paymentId.slice(-4)}:${row.status}`).join(" ");
  return `payer ${await side(pair.payer, pair.payerWallet)}\npayee ${await side(pair.payee, pair.payeeWallet)}\npayments ${statuses}`;
}

/** Each user's balance, by address. */
export function balancesOf(pairs: Pair[]): Map<string, bigint> {
  const balances = new Map<string, bigint>();
  for (const { payer, payee } of pairs) {
    balances.set(payer.identifier, payer.getBalance(ETH).user);
    balances.set(payee.identifier, payee.getBalance(ETH).user);
  }
  return balances;
}

/** The node's copy of the user's channel equals the client's (given updates in flight). */
export async function expectAgree(
  scale: ScaleStack,
  client: ConnextClient,
  wallet: Wallet,
): Promise<void> {
  const url = (scale.nodes[0] as { httpUrl: string }).httpUrl;
  const token = await new NodeApi(url).signIn(wallet.address, (m) => wallet.signMessage(m));
  const deadline = Date.now() + 10_000;
  for (;;) {
    const response = await fetch(`${url}/channel`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const theirs = (await response.json()) as Record<string, unknown>;
    const ours = JSON.parse(encodeWire(client.getChannel()));
    if (theirs.nonce === ours.nonce || Date.now() > deadline) {
      expect(theirs).toEqual(ours);
      return;
    }
    await Bun.sleep(50);
  }
}

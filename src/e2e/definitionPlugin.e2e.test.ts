import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { AbiCoder, ContractFactory, parseEther, type Signer, ZeroAddress, ZeroHash } from "ethers";
import type { ConnextClient } from "../client";
import { type AddressBook, TransferRegistry__factory } from "../contracts-bindings";
import {
  DEFAULT_CLAIM_BUFFER_SECONDS,
  minimumHashlockTransferTimeout,
  minimumPayerExpiry,
  ProtocolError,
} from "../protocol";
import {
  assertRegistrationMatches,
  defineTransfer,
  type PaymentRouting,
  type PluginEntry,
  routedPaymentNode,
  type TransferPlugin,
} from "../protocol/definitions";
import { expectChannelsAgree, waitFor } from "./expectations";
import { type Stack, startStack } from "./stack";

/**
 * Transfer definitions are plug-ins (issue 13, item 3): a throw-away definition, written in
 * this one file (its rules, how the node routes it, what the client does with one) and
 * deployed from a test contract (contracts/test/transfers/AlwaysPaysResponder.sol), is routed
 * from one client to another through a real node with nothing else changed.
 */

const coder = AbiCoder.defaultAbiCoder();
const ETH = ZeroAddress;
const AMOUNT = parseEther("0.1");
const ARTIFACT = "out/AlwaysPaysResponder.sol/AlwaysPaysResponder.json";
/** What the payee resolves with: the contract pays the responder whatever it is. */
const PAID = coder.encode(["bytes32"], [`0x${"11".repeat(32)}`]);

/** The contract's rules: the initiator locks a positive amount; resolving pays the responder. */
const alwaysPays = defineTransfer<{ expiry: bigint }, { note: string }>({
  name: "AlwaysPaysResponder",
  stateEncoding: "tuple(uint256 expiry)",
  resolverEncoding: "tuple(bytes32 note)",
  encodeState: ({ expiry }) => coder.encode(["uint256"], [expiry]),
  decodeState: (encoded) => ({ expiry: coder.decode(["uint256"], encoded)[0] as bigint }),
  encodeResolver: ({ note }) => coder.encode(["bytes32"], [note]),
  decodeResolver: (encoded) => ({ note: coder.decode(["bytes32"], encoded)[0] as string }),
  cancelResolver: () => ({ note: ZeroHash }),
  create(balance) {
    if (balance.amount[0] === 0n || balance.amount[1] !== 0n) {
      throw new ProtocolError("TRANSFER_REJECTED", "always-pays: a positive amount, from 0");
    }
  },
  resolve: (balance) => ({
    to: [balance.to[0], balance.to[1]],
    amount: [0n, balance.amount[0] + balance.amount[1]],
  }),
});

/** Routed as a payment: the mirror keeps the expiry the node gives it, nothing cancels. */
const routing: PaymentRouting = {
  terms: (encoded) => ({ lockHash: ZeroHash, expiry: alwaysPays.decodeState(encoded).expiry }),
  mirrorState: (_payerState, expiry) => alwaysPays.encodeState({ expiry }),
  isCancel: () => false,
  payerResolver: (mirrorResolver) => mirrorResolver,
};

const plugin: TransferPlugin = {
  rules: alwaysPays,
  routing,
  node: routedPaymentNode(routing),
  client: {
    checkNodeCreate: () => [{ kind: "routed" }],
    // The payee hears of it and takes it at once; the payer hears when it is settled.
    react: ({ event, transfer, ours }) => {
      if (event === "created" && !ours) {
        return [
          { kind: "announce", transfer },
          { kind: "resolve", transfer, resolver: PAID },
        ];
      }
      return event === "resolved" ? [{ kind: "paymentResolved", cancelled: false, transfer }] : [];
    },
    waiting: (transfer) => [{ kind: "resolve", transfer, resolver: PAID }],
  },
};

/** Deploys the test contract and registers it in the TransferRegistry, as the deployer. */
async function deployAlwaysPays(deployer: Signer, book: AddressBook): Promise<PluginEntry[]> {
  if (!existsSync(ARTIFACT)) {
    // `npm test` builds it (forge test); a bare `bun test` builds it here.
    const built = Bun.spawnSync(["forge", "build"], { stdout: "ignore", stderr: "inherit" });
    if (built.exitCode !== 0) throw new Error("forge build failed");
  }
  const artifact = JSON.parse(readFileSync(ARTIFACT, "utf8"));
  const factory = new ContractFactory(artifact.abi, artifact.bytecode.object, deployer);
  const contract = await (await factory.deploy()).waitForDeployment();
  const address = await contract.getAddress();
  const info = await contract.getFunction("getRegistryInformation").staticCall();
  const entry = {
    name: info.name,
    definition: info.definition,
    stateEncoding: info.stateEncoding,
    resolverEncoding: info.resolverEncoding,
    encodedCancel: info.encodedCancel,
  };
  assertRegistrationMatches(alwaysPays, entry);
  const registry = TransferRegistry__factory.connect(book.transferRegistry, deployer);
  await (await registry.addTransferDefinition(entry)).wait();
  return [{ address, plugin }];
}

let stack: Stack;
let definition: string;
let a: ConnextClient;
let b: ConnextClient;

beforeAll(async () => {
  stack = await startStack({
    definitions: async (deployer, book) => {
      const entries = await deployAlwaysPays(deployer, book);
      definition = (entries[0] as PluginEntry).address;
      return entries;
    },
  });
  [a, b] = await Promise.all([stack.client(1), stack.client(2)]);
  await a.deposit({ assetId: ETH, amount: parseEther("1") });
}, 240_000);

afterAll(async () => {
  await stack?.stop();
});

describe("a transfer definition added as a plug-in", () => {
  test("is routed from one client to another through the node and settled on both sides", async () => {
    const received: { paymentId: string; verified: boolean; amount: bigint }[] = [];
    b.on("transfer.received", (event) => received.push(event));
    const settled: { paymentId?: string; cancelled: boolean }[] = [];
    a.on("transfer.resolved", (event) => settled.push(event));
    const payerBefore = a.getBalance(ETH).user;
    const payeeBefore = b.getBalance(ETH).user;

    // The node's bounds for a routed payment (DESIGN §4.6): both channels' dispute windows.
    const now = stack.clock.now();
    const timeout = a.getChannel()?.timeout as number;
    const expiry = minimumPayerExpiry(now, timeout, timeout, DEFAULT_CLAIM_BUFFER_SECONDS) + 3600n;
    const { paymentId } = await a.sendTransfer({
      definition,
      recipient: b.identifier,
      assetId: ETH,
      amount: AMOUNT,
      transferInitialState: alwaysPays.encodeState({ expiry }),
      transferTimeout: minimumHashlockTransferTimeout(expiry, now) + 60,
    });

    await waitFor(() => settled.length > 0, 30_000);
    expect(settled).toEqual([expect.objectContaining({ paymentId, cancelled: false })]);
    expect(received).toEqual([
      expect.objectContaining({ paymentId, verified: false, amount: AMOUNT }),
    ]);
    await waitFor(() => b.getBalance(ETH).user === payeeBefore + AMOUNT, 10_000);
    expect(a.getBalance(ETH).user).toBe(payerBefore - AMOUNT);
    expect(a.getTransfers()).toEqual([]);
    expect(b.getTransfers()).toEqual([]);
    await expectChannelsAgree(stack, a);
    await expectChannelsAgree(stack, b);
  }, 60_000);
});

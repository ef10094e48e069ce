import { keccak256 } from "ethers";
import {
  ChannelFactory__factory,
  ChannelMastercopy__factory,
  deployContracts,
  TestToken__factory,
} from "../../contracts-bindings";
import { hashlock, hashlockLockHash } from "../../protocol/definitions/hashlock/rules";
import { channelStateDigest, transferStateHash, withdrawDigest } from "../../protocol/hashing";
import { MerkleTree } from "../../protocol/merkle";
import { privateKeySigner } from "../../protocol/signatures";
import type { CoreChannelState, CoreTransferState, WithdrawData } from "../../protocol/types";
import {
  AMOUNTS,
  CHANNEL_TIMEOUT,
  chainNow,
  DISPUTED_NONCE,
  disputedBalances,
  expectAmount,
  expectExitables,
  GasRecorder,
  type GasSetup,
  NATIVE,
  PRE_IMAGE,
  passTime,
  processedDeposits,
  type StepGas,
  TRANSFER_ID,
  TRANSFER_TIMEOUT,
} from "./scenario";

const SYSTEM = "ours";

/**
 * Our contracts through the generated bindings: EIP-712 states and commitments signed with the
 * protocol core's own hashing (DESIGN §4.3), a transfer disputed only after its asset was
 * defunded in the same dispute round (§4.7).
 */
export async function runOurs(setup: GasSetup): Promise<StepGas> {
  const { provider, chainId, alice, bob } = setup;
  const record = new GasRecorder(SYSTEM);
  const book = await deployContracts(setup.deployer);

  const factory = ChannelFactory__factory.connect(book.channelFactory, alice);
  const channelAddress = await factory.getChannelAddress(alice.address, bob.address);
  const token = TestToken__factory.connect(setup.token, bob);
  const asBob = ChannelMastercopy__factory.connect(channelAddress, bob);
  const asAlice = ChannelMastercopy__factory.connect(channelAddress, alice);
  const sign = (digest: string) =>
    Promise.all([alice, bob].map((w) => privateKeySigner(w.privateKey).signDigest(digest)));

  // Opening and deposits.
  await record.step("create", () =>
    factory.createChannelAndDepositAlice(alice.address, bob.address, NATIVE, AMOUNTS.aliceDeposit, {
      value: AMOUNTS.aliceDeposit,
    }),
  );
  await record.step("depositNative", () =>
    bob.sendTransaction({ to: channelAddress, value: AMOUNTS.bobDepositNative }),
  );
  await record.step("depositToken", () => token.transfer(channelAddress, AMOUNTS.bobDepositToken));

  // A cooperative withdrawal: the commitment both signed, executed by bob.
  const commitment: WithdrawData = {
    channelAddress,
    assetId: NATIVE,
    recipient: bob.address,
    amount: AMOUNTS.withdrawal,
    nonce: 1n,
  };
  const [aliceOnWithdrawal, bobOnWithdrawal] = await sign(withdrawDigest(commitment, chainId));
  await record.step("withdraw", () =>
    asBob.withdraw(commitment, aliceOnWithdrawal as string, bobOnWithdrawal as string),
  );

  // The disputed state: one hashlock from alice to bob, 40 TST paid to alice.
  const expiry = BigInt((await chainNow(provider)) + 7 * 24 * 3600);
  const encodedState = hashlock.encodeState({ lockHash: hashlockLockHash(PRE_IMAGE), expiry });
  const transfer: CoreTransferState = {
    channelAddress,
    transferId: TRANSFER_ID,
    transferDefinition: book.hashlockTransfer,
    initiator: alice.address,
    responder: bob.address,
    assetId: NATIVE,
    balance: { to: [alice.address, bob.address], amount: [AMOUNTS.hashlock, 0n] },
    transferTimeout: TRANSFER_TIMEOUT,
    initialStateHash: keccak256(encodedState),
  };
  const tree = new MerkleTree([transferStateHash(transfer)]);
  const balances = disputedBalances();
  const processed = processedDeposits();
  const state: CoreChannelState = {
    channelAddress,
    alice: alice.address,
    bob: bob.address,
    assetIds: [NATIVE, setup.token],
    balances: [
      { to: [alice.address, bob.address], amount: balances.native },
      { to: [alice.address, bob.address], amount: balances.token },
    ],
    processedDepositsA: processed.alice,
    processedDepositsB: processed.bob,
    defundNonces: [1n, 1n],
    timeout: CHANNEL_TIMEOUT,
    nonce: DISPUTED_NONCE,
    merkleRoot: tree.root(),
  };
  const [aliceOnState, bobOnState] = await sign(channelStateDigest(state, chainId));

  // Bob's unilateral exit. Our order: the transfer's asset is defunded before the transfer is
  // disputed (a transfer is disputed only in the round its asset was defunded in).
  await record.step("disputeChannel", () =>
    asBob.disputeChannel(state, aliceOnState as string, bobOnState as string),
  );
  await passTime(provider, CHANNEL_TIMEOUT);
  await record.step("defundChannel", () =>
    asBob.defundChannel(state, [NATIVE, setup.token], [0, 1]),
  );
  await record.step("disputeTransfer", () =>
    asBob.disputeTransfer(transfer, tree.proof(transferStateHash(transfer))),
  );
  const resolver = hashlock.encodeResolver({ preImage: PRE_IMAGE });
  await record.step("defundTransfer", () =>
    asBob.defundTransfer(transfer, encodedState, resolver, "0x"),
  );

  await expectExitables(SYSTEM, setup, (assetId, owner) => asBob.getExitableAmount(assetId, owner));

  await record.step("exitAliceNative", () => asAlice.exit(NATIVE, alice.address, alice.address));
  await record.step("exitAliceToken", () =>
    asAlice.exit(setup.token, alice.address, alice.address),
  );
  await record.step("exitBobNative", () => asBob.exit(NATIVE, bob.address, bob.address));
  await record.step("exitBobToken", () => asBob.exit(setup.token, bob.address, bob.address));

  expectAmount(SYSTEM, "ETH left in the channel", await provider.getBalance(channelAddress), 0n);
  expectAmount(SYSTEM, "TST left in the channel", await token.balanceOf(channelAddress), 0n);
  return record.complete();
}

import {
  AbiCoder,
  BaseContract,
  type BaseWallet,
  type Contract,
  ContractFactory,
  concat,
  keccak256,
  type Signer,
  SigningKey,
  sha256,
  toUtf8Bytes,
  ZeroAddress,
} from "ethers";
import { TestToken__factory } from "../../contracts-bindings";
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
import {
  loadVectorArtifacts,
  type VectorArtifacts,
  type VectorContractName,
} from "./vectorArtifacts";

const SYSTEM = "Vector";
const coder = AbiCoder.defaultAbiCoder();

/**
 * How Vector's contracts take a signature (modules/contracts CMCAdjudicator and CMCWithdraw,
 * LibChannelCrypto): the commitment is `keccak256(abi.encode(uint8 type, keccak256(abi.encode(
 * struct))))`, type 0 for a channel state and 1 for withdraw data; each party signs
 * `keccak256("\x16Vector Signed Message:\n32" ‖ commitment)` as a 65-byte r ‖ s ‖ v signature.
 */
const COMMITMENT_CHANNEL_STATE = 0;
const COMMITMENT_WITHDRAW_DATA = 1;
const VECTOR_SIGN_PREFIX = toUtf8Bytes("\x16Vector Signed Message:\n32");

export function vectorSignature(
  wallet: BaseWallet,
  commitmentType: number,
  structHash: string,
): string {
  const commitment = keccak256(coder.encode(["uint8", "bytes32"], [commitmentType, structHash]));
  const digest = keccak256(concat([VECTOR_SIGN_PREFIX, commitment]));
  return new SigningKey(wallet.privateKey).sign(digest).serialized;
}

/**
 * Vector's contracts deployed from the package's artifacts and driven through the same story.
 * Its structs are hashed as `keccak256(abi.encode(struct))`, with the types taken from its own
 * ABI; its merkle tree is OpenZeppelin's sorted-pair tree over those hashes, so one transfer's
 * root is its own hash, with an empty proof. Its order for the exit is the same as ours
 * (dispute, defund the channel, dispute the transfer, defund it, exits), though Vector would
 * also take the transfer dispute before the channel's defund.
 */
export async function runVector(
  setup: GasSetup,
  artifacts: VectorArtifacts = loadVectorArtifacts(),
): Promise<StepGas> {
  const { provider, deployer, alice, bob } = setup;
  const record = new GasRecorder(SYSTEM);
  const deploy = async (name: VectorContractName, ...args: unknown[]) => {
    const { abi, bytecode } = artifacts.contracts[name];
    const contract = await new ContractFactory(abi, bytecode, deployer).deploy(...args);
    return (await contract.waitForDeployment()).getAddress();
  };
  const at = (name: VectorContractName, address: string, signer: Signer) =>
    new BaseContract(address, artifacts.contracts[name].abi, signer) as Contract;

  // The contract set, as Vector's deploy script lays it out: mastercopy, factory (chain id 0:
  // the opcode's), the hashlock definition, registered in the transfer registry.
  const mastercopy = await deploy("ChannelMastercopy");
  const factoryAddress = await deploy("ChannelFactory", mastercopy, 0);
  const hashlockAddress = await deploy("HashlockTransfer");
  const registry = at("TransferRegistry", await deploy("TransferRegistry"), deployer);
  const info = await at("HashlockTransfer", hashlockAddress, deployer).getFunction(
    "getRegistryInformation",
  )();
  await (
    await registry.getFunction("addTransferDefinition")({
      name: info.name,
      definition: info.definition,
      stateEncoding: info.stateEncoding,
      resolverEncoding: info.resolverEncoding,
      encodedCancel: info.encodedCancel,
    })
  ).wait();

  const factory = at("ChannelFactory", factoryAddress, alice);
  const channelAddress: string = await factory.getFunction("getChannelAddress")(
    alice.address,
    bob.address,
  );
  const asBob = at("ChannelMastercopy", channelAddress, bob);
  const asAlice = at("ChannelMastercopy", channelAddress, alice);
  const token = TestToken__factory.connect(setup.token, bob);

  // Opening and deposits: alice through the factory, bob by plain transfers (Vector's README:
  // "The responder simply sends funds to the contract").
  await record.step("create", () =>
    factory.getFunction("createChannelAndDepositAlice")(
      alice.address,
      bob.address,
      NATIVE,
      AMOUNTS.aliceDeposit,
      { value: AMOUNTS.aliceDeposit },
    ),
  );
  await record.step("depositNative", () =>
    bob.sendTransaction({ to: channelAddress, value: AMOUNTS.bobDepositNative }),
  );
  await record.step("depositToken", () => token.transfer(channelAddress, AMOUNTS.bobDepositToken));

  // A cooperative withdrawal: Vector's WithdrawData without a call (callTo zero).
  const withdrawData = {
    channelAddress,
    assetId: NATIVE,
    recipient: bob.address,
    amount: AMOUNTS.withdrawal,
    nonce: 1n,
    callTo: ZeroAddress,
    callData: "0x",
  };
  const withdrawHash = keccak256(coder.encode([artifacts.types.withdrawData], [withdrawData]));
  await record.step("withdraw", () =>
    asBob.getFunction("withdraw")(
      withdrawData,
      vectorSignature(alice, COMMITMENT_WITHDRAW_DATA, withdrawHash),
      vectorSignature(bob, COMMITMENT_WITHDRAW_DATA, withdrawHash),
    ),
  );

  // The disputed state: the same balances, deposits and hashlock as ours.
  const expiry = BigInt((await chainNow(provider)) + 7 * 24 * 3600);
  // HashlockTransfer's lock: sha256(abi.encode(preImage)), the sha256 of its 32 bytes.
  const lockHash = sha256(PRE_IMAGE);
  const encodedState = coder.encode(["tuple(bytes32,uint256)"], [[lockHash, expiry]]);
  const transfer = {
    channelAddress,
    transferId: TRANSFER_ID,
    transferDefinition: hashlockAddress,
    initiator: alice.address,
    responder: bob.address,
    assetId: NATIVE,
    balance: { amount: [AMOUNTS.hashlock, 0n], to: [alice.address, bob.address] },
    transferTimeout: TRANSFER_TIMEOUT,
    initialStateHash: keccak256(encodedState),
  };
  const leaf = keccak256(coder.encode([artifacts.types.transferState], [transfer]));
  const balances = disputedBalances();
  const processed = processedDeposits();
  const state = {
    channelAddress,
    alice: alice.address,
    bob: bob.address,
    assetIds: [NATIVE, setup.token],
    balances: [
      { amount: balances.native, to: [alice.address, bob.address] },
      { amount: balances.token, to: [alice.address, bob.address] },
    ],
    processedDepositsA: processed.alice,
    processedDepositsB: processed.bob,
    defundNonces: [1n, 1n],
    timeout: CHANNEL_TIMEOUT,
    nonce: DISPUTED_NONCE,
    merkleRoot: leaf, // a one-leaf tree
  };
  const stateHash = keccak256(coder.encode([artifacts.types.channelState], [state]));

  await record.step("disputeChannel", () =>
    asBob.getFunction("disputeChannel")(
      state,
      vectorSignature(alice, COMMITMENT_CHANNEL_STATE, stateHash),
      vectorSignature(bob, COMMITMENT_CHANNEL_STATE, stateHash),
    ),
  );
  const recorded = await asBob.getFunction("getChannelDispute")();
  if (recorded.channelStateHash !== stateHash) {
    throw new Error(`${SYSTEM}: the recorded state hash is not the one signed`);
  }
  await passTime(provider, CHANNEL_TIMEOUT);
  await record.step("defundChannel", () =>
    asBob.getFunction("defundChannel")(state, [NATIVE, setup.token], [0, 1]),
  );
  await record.step("disputeTransfer", () => asBob.getFunction("disputeTransfer")(transfer, []));
  const resolver = coder.encode(["tuple(bytes32)"], [[PRE_IMAGE]]);
  await record.step("defundTransfer", () =>
    asBob.getFunction("defundTransfer")(transfer, encodedState, resolver, "0x"),
  );

  await expectExitables(SYSTEM, setup, (assetId, owner) =>
    asBob.getFunction("getExitableAmount")(assetId, owner),
  );

  const exit = (channel: Contract, assetId: string, owner: string) => () =>
    channel.getFunction("exit")(assetId, owner, owner);
  await record.step("exitAliceNative", exit(asAlice, NATIVE, alice.address));
  await record.step("exitAliceToken", exit(asAlice, setup.token, alice.address));
  await record.step("exitBobNative", exit(asBob, NATIVE, bob.address));
  await record.step("exitBobToken", exit(asBob, setup.token, bob.address));

  expectAmount(SYSTEM, "ETH left in the channel", await provider.getBalance(channelAddress), 0n);
  expectAmount(SYSTEM, "TST left in the channel", await token.balanceOf(channelAddress), 0n);
  return record.complete();
}

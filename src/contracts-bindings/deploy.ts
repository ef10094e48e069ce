import type { Signer } from "ethers";
import type { AddressBook } from "./addressBook";
import {
  ChannelFactory__factory,
  ChannelMastercopy__factory,
  type HashlockTransfer,
  HashlockTransfer__factory,
  TestToken__factory,
  type ThreadTransfer,
  ThreadTransfer__factory,
  type TransferRegistry,
  TransferRegistry__factory,
  type Withdraw,
  Withdraw__factory,
} from "./generated";

export interface DeployOptions {
  /** Owner of the transfer registry; the deployer when absent. */
  registryOwner?: string;
  /** Also deploy a mintable test token (development chains only). */
  testToken?: boolean;
}

/**
 * Deploys the whole contract set with `signer`, registers the transfer definitions and
 * returns the address book. Transactions are sent one after another and each is mined
 * before the next, so the signer's nonces never collide. Contracts added later are deployed
 * after the test token, so that every earlier address (from a fresh deployer) stays the same;
 * the registry's ownership is handed over last.
 *
 * @example
 * const book = await deployContracts(wallet, { testToken: true });
 * const factory = ChannelFactory__factory.connect(book.channelFactory, wallet);
 */
export async function deployContracts(
  signer: Signer,
  options: DeployOptions = {},
): Promise<AddressBook> {
  const deployer = await signer.getAddress();
  const network = await signer.provider?.getNetwork();
  if (!network) throw new Error("deployContracts: the signer has no provider");

  const mastercopy = await deployed(new ChannelMastercopy__factory(signer).deploy());
  const factory = await deployed(new ChannelFactory__factory(signer).deploy(mastercopy));
  const hashlock = await deployed(new HashlockTransfer__factory(signer).deploy());
  const withdraw = await deployed(new Withdraw__factory(signer).deploy());
  const registryAddress = await deployed(new TransferRegistry__factory(signer).deploy(deployer));

  const registry = TransferRegistry__factory.connect(registryAddress, signer);
  await register(registry, HashlockTransfer__factory.connect(hashlock, signer));
  await register(registry, Withdraw__factory.connect(withdraw, signer));
  const testToken = options.testToken
    ? await deployed(new TestToken__factory(signer).deploy("Test Token", "TST"))
    : undefined;
  // Added after everything else, so that the earlier contracts keep their addresses.
  const threadTransfer = await deployed(new ThreadTransfer__factory(signer).deploy());
  await register(registry, ThreadTransfer__factory.connect(threadTransfer, signer));
  if (options.registryOwner && options.registryOwner.toLowerCase() !== deployer.toLowerCase()) {
    await (await registry.transferOwnership(options.registryOwner)).wait();
  }

  const book: AddressBook = {
    chainId: Number(network.chainId),
    channelFactory: factory,
    channelMastercopy: mastercopy,
    transferRegistry: registryAddress,
    hashlockTransfer: hashlock,
    withdraw,
    threadTransfer,
  };
  if (testToken) book.testToken = testToken;
  return book;
}

/** Registers a deployed transfer definition under the name and encodings it reports. */
async function register(
  registry: TransferRegistry,
  definition: HashlockTransfer | Withdraw | ThreadTransfer,
): Promise<void> {
  // The call returns a frozen ethers Result; the transaction needs a plain object.
  const { name, stateEncoding, resolverEncoding, encodedCancel } =
    await definition.getRegistryInformation();
  const entry = {
    name,
    definition: await definition.getAddress(),
    stateEncoding,
    resolverEncoding,
    encodedCancel,
  };
  await (await registry.addTransferDefinition(entry)).wait();
}

/** Waits for a deployment to be mined and returns its address. */
async function deployed(
  pending: Promise<{ waitForDeployment(): Promise<{ getAddress(): Promise<string> }> }>,
) {
  const contract = await pending;
  return (await contract.waitForDeployment()).getAddress();
}

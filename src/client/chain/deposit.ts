import {
  isAddress,
  type Provider,
  type Signer,
  type TransactionReceipt,
  type TransactionRequest,
  ZeroAddress,
} from "ethers";
import { ERC20, erc20BalanceOf } from "./erc20";
import { ClientChainError } from "./errors";

export interface DepositAsBobParameters {
  /** Bob's wallet, connected to a provider. */
  signer: Signer;
  /** The channel's address; it need not be deployed yet (DESIGN §4.1). */
  channelAddress: string;
  /** The zero address for the chain's native coin, otherwise an ERC-20 token. */
  assetId: string;
  /** In the asset's smallest unit; more than zero. */
  amount: bigint;
  /** Blocks to wait for; defaults to 1 (mined). */
  confirmations?: number;
}

export interface DepositAsBobReturnType {
  transactionHash: string;
}

/**
 * Deposits for the user (bob) the way the channel counts it: a plain transfer of the coin or
 * token to the channel address, deployed or not (CMCDeposit's `_totalDepositsBob`). Checks
 * the balance before sending anything and resolves once the transaction is mined. The channel
 * only credits it after a deposit update reconciles the new total.
 *
 * @example
 * const { transactionHash } = await depositAsBob({ signer: wallet, channelAddress, assetId: ZeroAddress, amount: 10n ** 16n });
 */
export async function depositAsBob(
  parameters: DepositAsBobParameters,
): Promise<DepositAsBobReturnType> {
  const { signer, channelAddress, assetId, amount, confirmations = 1 } = parameters;
  checkRequest(channelAddress, assetId, amount);
  const provider = signer.provider;
  if (!provider) {
    throw new ClientChainError("NO_PROVIDER", "the signer is not connected to a provider");
  }
  const account = await rpc("reading the signer's address", () => signer.getAddress());
  const native = assetId.toLowerCase() === ZeroAddress;
  const balance = native
    ? await rpc("reading the balance", () => provider.getBalance(account))
    : await erc20BalanceOf(provider, assetId, account);
  if (balance < amount) {
    throw new ClientChainError(
      "INSUFFICIENT_BALANCE",
      `cannot deposit ${amount} of ${assetName(assetId)}: ${account} holds ${balance}`,
      { assetId, amount, balance, account },
    );
  }

  const request: TransactionRequest = native
    ? { to: channelAddress, value: amount }
    : { to: assetId, data: ERC20.encodeFunctionData("transfer", [channelAddress, amount]) };
  if (!native) await checkTokenAccepts(provider, account, request, assetId);
  const receipt = await send(signer, request, { assetId, amount, balance, account }, confirmations);
  return { transactionHash: receipt.hash };
}

function checkRequest(channelAddress: string, assetId: string, amount: bigint): void {
  for (const [what, value] of [
    ["channelAddress", channelAddress],
    ["assetId", assetId],
  ] as const) {
    if (typeof value !== "string" || !isAddress(value)) {
      throw new ClientChainError("INVALID_REQUEST", `${what} ${String(value)} is not an address`);
    }
  }
  if (typeof amount !== "bigint" || amount <= 0n) {
    throw new ClientChainError("INVALID_REQUEST", `a deposit amount is a bigint above 0`, {
      amount,
    });
  }
}

/**
 * Simulates the token transfer first: a revert, or a token that answers `false` instead of
 * reverting, would otherwise be mined and paid for without moving anything.
 */
async function checkTokenAccepts(
  provider: Provider,
  from: string,
  request: TransactionRequest,
  token: string,
): Promise<void> {
  let result: string;
  try {
    result = await provider.call({ ...request, from });
  } catch (cause) {
    throw failed(`${token} refuses the transfer`, { assetId: token }, cause);
  }
  // Tokens that return nothing (USDT-style) succeed by not reverting.
  if (result !== "0x" && BigInt(result.slice(0, 2 + 64)) === 0n) {
    throw failed(`${token} answered false to the transfer`, { assetId: token });
  }
}

async function send(
  signer: Signer,
  request: TransactionRequest,
  context: Record<string, unknown>,
  confirmations: number,
): Promise<TransactionReceipt> {
  let transactionHash: string | undefined;
  try {
    const response = await signer.sendTransaction(request);
    transactionHash = response.hash;
    const receipt = await response.wait(confirmations);
    if (receipt?.status !== 1) {
      throw failed("the deposit transaction failed", { ...context, transactionHash });
    }
    return receipt;
  } catch (cause) {
    if (cause instanceof ClientChainError) throw cause;
    const code = (cause as { code?: unknown }).code;
    if (code === "INSUFFICIENT_FUNDS") {
      throw new ClientChainError(
        "INSUFFICIENT_BALANCE",
        `cannot pay the gas to deposit ${context.amount} of ${assetName(String(context.assetId))}`,
        context,
        { cause },
      );
    }
    const reason =
      code === "CALL_EXCEPTION"
        ? "reverted"
        : transactionHash === undefined
          ? "was not sent"
          : "was not mined (replaced or dropped)";
    const detail = (cause as { shortMessage?: string; message?: string }).shortMessage;
    throw failed(
      `the deposit transaction ${reason}${detail ? `: ${detail}` : ""}`,
      { ...context, transactionHash },
      cause,
    );
  }
}

function assetName(assetId: string): string {
  return assetId.toLowerCase() === ZeroAddress ? "the native coin (ETH)" : `token ${assetId}`;
}

async function rpc<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (cause) {
    throw new ClientChainError("RPC_FAILED", `${what} failed`, {}, { cause });
  }
}

function failed(message: string, context: Record<string, unknown>, cause?: unknown) {
  return new ClientChainError("TRANSACTION_FAILED", message, context, { cause });
}

import { Interface, type Provider } from "ethers";
import { ClientChainError } from "./errors";

/** The ERC-20 calls the client makes. */
export const ERC20 = new Interface([
  "function balanceOf(address owner) view returns (uint256)",
  "function transfer(address to, uint256 amount) returns (bool)",
]);

/** `owner`'s balance of `token`; NOT_A_TOKEN when nothing there answers balanceOf. */
export async function erc20BalanceOf(
  provider: Provider,
  token: string,
  owner: string,
): Promise<bigint> {
  const data = ERC20.encodeFunctionData("balanceOf", [owner]);
  let result: string;
  try {
    result = await provider.call({ to: token, data });
  } catch (cause) {
    // An ERC-20's balanceOf does not revert; a contract that does is not one.
    if ((cause as { code?: unknown }).code === "CALL_EXCEPTION") throw notAToken(token, cause);
    throw new ClientChainError(
      "RPC_FAILED",
      `reading ${token}.balanceOf failed`,
      { token },
      { cause },
    );
  }
  // A call to an address without code succeeds with no data.
  if (result.length < 2 + 64) throw notAToken(token);
  return BigInt(result.slice(0, 2 + 64));
}

function notAToken(token: string, cause?: unknown): ClientChainError {
  return new ClientChainError(
    "NOT_A_TOKEN",
    `${token} does not answer ERC-20 balanceOf`,
    { token },
    { cause },
  );
}

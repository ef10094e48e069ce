import type { JsonRpcProvider } from "ethers";
import { ClientError } from "../errors";

/**
 * The chain id at `ethRpcUrl`, or CHAIN_UNREACHABLE naming the setting and the cause (a
 * refused connection, an unknown host, no answer within `timeoutMs`) instead of the raw
 * network error. The provider is destroyed on failure, so nothing keeps retrying behind the
 * caller's back.
 */
export async function readChainId(
  provider: JsonRpcProvider,
  ethRpcUrl: string,
  timeoutMs: number,
): Promise<bigint> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const network = await Promise.race([provider.getNetwork(), timeout]);
    return network.chainId;
  } catch (error) {
    provider.destroy();
    const cause = causeOf(error);
    throw new ClientError(
      "CHAIN_UNREACHABLE",
      `cannot reach the chain at ethRpcUrl ${ethRpcUrl}: ${cause}`,
      { ethRpcUrl, cause },
    );
  } finally {
    clearTimeout(timer);
  }
}

/** One line: ethers' short message (or the error's code and message), without its dump. */
function causeOf(error: unknown): string {
  const { shortMessage, code, message } = (error ?? {}) as {
    shortMessage?: string;
    code?: string;
    message?: string;
  };
  const text = shortMessage ?? message ?? String(error);
  const line = text.split("\n")[0] ?? text;
  return code && !line.includes(code) ? `${code}: ${line}` : line;
}

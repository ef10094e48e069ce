import { JsonRpcProvider, type Provider, WebSocketProvider } from "ethers";
import type { AddressBook } from "../../contracts-bindings";
import { redactCredentials } from "./config";
import { CommandError, ConfigError } from "./errors";

const PROBE_TIMEOUT_MS = 10_000;

/** An RPC that answered, and a provider pinned to its chain. */
export interface ChainConnection {
  chainId: number;
  provider: Provider;
  close(): Promise<void>;
}

/**
 * Asks `rpcUrl` for its chain id once, then builds a provider pinned to that chain.
 * ethers alone would retry network detection forever (and print to the console) when the
 * RPC is down; this fails fast with one line instead.
 */
export async function connectChain(rpcUrl: string): Promise<ChainConnection> {
  const chainId = await probeChainId(rpcUrl);
  // No request cache: deploy and mint read the nonce right after each mined transaction, and
  // ethers would answer the same call within 250 ms from its cache (a stale nonce).
  const options = { staticNetwork: true, cacheTimeout: -1 };
  const provider = rpcUrl.startsWith("ws")
    ? new WebSocketProvider(rpcUrl, chainId, options)
    : new JsonRpcProvider(rpcUrl, chainId, options);
  return {
    chainId,
    provider,
    close: async () => provider.destroy(),
  };
}

/** `eth_chainId` over HTTP or WebSocket, with a timeout. */
export async function probeChainId(rpcUrl: string): Promise<number> {
  const shown = redactCredentials(rpcUrl);
  let result: unknown;
  try {
    result = rpcUrl.startsWith("ws")
      ? await chainIdOverWebSocket(rpcUrl)
      : await chainIdOverHttp(rpcUrl);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new CommandError(
      "RPC_UNREACHABLE",
      `ETH_RPC_URL: no answer from ${shown} (${oneLine(reason)})`,
      {
        cause: error,
      },
    );
  }
  if (typeof result !== "string" || !/^0x[0-9a-f]+$/i.test(result)) {
    throw new CommandError(
      "RPC_UNREACHABLE",
      `ETH_RPC_URL: ${shown} answered eth_chainId with ${JSON.stringify(result)}`,
    );
  }
  return Number(BigInt(result));
}

/** One-line error unless the RPC's chain is the address book's and every contract has code. */
export async function checkAddressBook(
  connection: ChainConnection,
  book: AddressBook,
): Promise<void> {
  if (connection.chainId !== book.chainId) {
    throw new ConfigError(
      "WRONG_CHAIN",
      "ADDRESS_BOOK",
      `ADDRESS_BOOK: it is for chain id ${book.chainId}, but ETH_RPC_URL is on chain id ${connection.chainId}`,
    );
  }
  for (const [name, address] of Object.entries(book)) {
    if (name === "chainId" || typeof address !== "string") continue;
    if ((await connection.provider.getCode(address)) === "0x") {
      throw new ConfigError(
        "WRONG_CHAIN",
        "ADDRESS_BOOK",
        `ADDRESS_BOOK: no contract at ${name} ${address} on chain id ${connection.chainId}`,
      );
    }
  }
}

async function chainIdOverHttp(rpcUrl: string): Promise<unknown> {
  const response = await fetch(rpcUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
    signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
  });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return ((await response.json()) as { result?: unknown }).result;
}

function chainIdOverWebSocket(rpcUrl: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(rpcUrl);
    const timer = setTimeout(() => finish(new Error("timed out")), PROBE_TIMEOUT_MS);
    const finish = (error: Error | null, result?: unknown) => {
      clearTimeout(timer);
      socket.close();
      if (error) reject(error);
      else resolve(result);
    };
    socket.onopen = () =>
      socket.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }));
    socket.onmessage = (event) => {
      try {
        finish(null, (JSON.parse(String(event.data)) as { result?: unknown }).result);
      } catch (error) {
        finish(error as Error);
      }
    };
    socket.onerror = () => finish(new Error("WebSocket error"));
    socket.onclose = () => finish(new Error("WebSocket closed"));
  });
}

function oneLine(text: string): string {
  return text.split("\n")[0]?.trim() ?? "";
}

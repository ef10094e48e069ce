import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import * as main from "./index";
import * as server from "./server";

/**
 * The public surface of `connext` and `connext/server`, name by name (viem's way): a change
 * here is a change to every application's imports, so it must be made on purpose.
 */
const MAIN = {
  values: [
    "BrowserStore",
    "CLIENT_CHAIN_ERROR_CODES",
    "CLIENT_ERROR_CODES",
    "CLIENT_STORE_ERROR_CODES",
    "CRYPTO_ERROR_CODES",
    "ClientChainError",
    "ClientError",
    "ClientStoreError",
    "ConnextClient",
    "CryptoError",
    "MAX_APP_META_BYTES",
    "ManualClock",
    "MemoryStore",
    "NODE_REFUSAL_CODES",
    "isClientChainError",
    "isClientError",
    "isClientErrorCode",
    "isClientStoreError",
    "isCryptoError",
    "lockHashOf",
    "randomPreImage",
    "systemClock",
  ],
  types: [
    "AcceptConditional",
    "ClientChainErrorCode",
    "ClientErrorCode",
    "ClientErrorOptions",
    "ClientEventMap",
    "ClientStore",
    "ClientStoreErrorCode",
    "Clock",
    "ConditionalParams",
    "ConditionalPayment",
    "ConnectOptions",
    "CryptoErrorCode",
    "DisputeInfo",
    "DisputeStarted",
    "PaymentResult",
    "PaymentStatus",
    "ResolveParams",
    "Timer",
    "TransferParams",
    "WithdrawalTerms",
  ],
};
const SERVER = { values: ["FileStore", "SqliteStore"], types: [] as string[] };

/** The names an entry file's `export { … }` and `export type { … }` lists give, and which are types. */
function declaredExports(file: string): { values: string[]; types: string[] } {
  const source = readFileSync(new URL(file, import.meta.url), "utf8");
  const values: string[] = [];
  const types: string[] = [];
  for (const [, typeOnly, list] of source.matchAll(/export (type )?\{([^}]*)\}/g)) {
    for (const entry of (list ?? "").split(",").map((name) => name.trim())) {
      if (!entry) continue;
      const isType = typeOnly !== undefined || entry.startsWith("type ");
      const name = entry
        .replace(/^type /, "")
        .split(" as ")
        .at(-1) as string;
      (isType ? types : values).push(name);
    }
  }
  return { values: values.sort(), types: types.sort() };
}

test("connext exports exactly its documented names", () => {
  expect(Object.keys(main).sort()).toEqual(MAIN.values);
  expect(declaredExports("./index.ts")).toEqual(MAIN);
});

test("connext/server exports exactly its documented names", () => {
  expect(Object.keys(server).sort()).toEqual(SERVER.values);
  expect(declaredExports("./server.ts")).toEqual(SERVER);
});

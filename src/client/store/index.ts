/**
 * Client stores that run everywhere (browsers included). `FileStore` (Node, Bun) and
 * `SqliteStore` (Bun) live in "./file" and "./sqlite" so the browser bundle never pulls in
 * node:fs or bun:sqlite.
 */
export { BrowserStore, type BrowserStoreOptions, type KeyValueStorage } from "./browser";
export { type ChannelRecord, decodeChannelRecord, encodeChannelRecord } from "./channelRecord";
export {
  CLIENT_STORE_ERROR_CODES,
  ClientStoreError,
  type ClientStoreErrorCode,
  isClientStoreError,
  MAX_KEY_LENGTH,
} from "./errors";
export { MemoryStore } from "./memory";
export type { ClientStore } from "./types";

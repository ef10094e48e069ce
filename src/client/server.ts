/**
 * Durable stores for servers (`import { FileStore } from "connext/server"`): kept out of the
 * main entry so that browser bundles never pull in node:fs or bun:sqlite.
 */
export { FileStore } from "./store/file";
export { SqliteStore } from "./store/sqlite";

#!/usr/bin/env bun
// The `connext-node` executable: `bun src/node/cli/main.ts <command>`, or compiled by
// `npm run build` into dist/connext-node.
import { runCli } from "./run";

process.exit(await runCli(process.argv.slice(2), process.env));

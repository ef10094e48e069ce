import { runsAsCompiledBinary } from "./compiled";
import { CommandError } from "./errors";

/**
 * `dev` without ETH_RPC_URL and no anvil to start: one line saying what to do, which depends
 * on how connext-node runs. From source, anvil comes with `npm install`; the compiled binary
 * has no node_modules, so its user installs Foundry's anvil or points dev at a chain.
 */
export function anvilMissingError(compiled: boolean = runsAsCompiledBinary()): CommandError {
  const message = compiled
    ? "anvil not found on PATH: install Foundry's anvil (https://getfoundry.sh, or `npm install -g @foundry-rs/anvil`), or set ETH_RPC_URL to a chain for dev to use"
    : "anvil not found in node_modules/.bin or on PATH: run `npm install` (it ships in @foundry-rs/anvil), or set ETH_RPC_URL to a chain for dev to use";
  return new CommandError("ANVIL_NOT_FOUND", message);
}

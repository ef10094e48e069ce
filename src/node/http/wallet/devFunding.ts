import { type Provider, parseEther, parseUnits, Wallet } from "ethers";
import type { Hono } from "hono";
import { z } from "zod";
import { TestToken__factory } from "../../../contracts-bindings";
import { checksumAddress } from "../../auth";
import { jsonBody } from "../input";
import type { ApiEnv } from "../types";

/** What one press of "get test funds" gives. */
export const DEV_FUNDING_ETH = parseEther("1");
export const DEV_FUNDING_TOKENS = parseUnits("1000", 18);

export interface DevFundingResult {
  address: string;
  /** Wei sent, and the transaction that sent it (mined). */
  eth: { amount: string; transactionHash: string };
  /** Test tokens minted, when the node has a test token. */
  token?: { address: string; amount: string; transactionHash: string };
}

/** Sends test funds to an address: `connext-node dev` only. */
export type DevFunding = (address: string) => Promise<DevFundingResult>;

/**
 * Test ETH from a dev account (`privateKey`, one of anvil's, never the node's own: the node
 * keeps its own nonces) and test tokens minted (the TestToken lets anyone mint). One request
 * at a time, each mined before the next, so the account's nonces never collide.
 */
export function devFunding(options: {
  provider: Provider;
  privateKey: string;
  testToken?: string;
}): DevFunding {
  const funder = new Wallet(options.privateKey, options.provider);
  let queue: Promise<unknown> = Promise.resolve();
  const fund = async (address: string): Promise<DevFundingResult> => {
    const sent = await funder.sendTransaction({ to: address, value: DEV_FUNDING_ETH });
    await sent.wait();
    const result: DevFundingResult = {
      address,
      eth: { amount: DEV_FUNDING_ETH.toString(), transactionHash: sent.hash },
    };
    if (options.testToken) {
      const token = TestToken__factory.connect(options.testToken, funder);
      const minted = await token.mint(address, DEV_FUNDING_TOKENS);
      await minted.wait();
      result.token = {
        address: options.testToken,
        amount: DEV_FUNDING_TOKENS.toString(),
        transactionHash: minted.hash,
      };
    }
    return result;
  };
  return (address) => {
    const next = queue.then(() => fund(address));
    queue = next.catch(() => {});
    return next;
  };
}

const fundRequest = z.object({ address: z.string() });

/**
 * `POST /dev/fund` `{ address }`: the wallet's "get test funds". Mounted only when the node has
 * dev funding (`connext-node dev`); under `start` the route does not exist (404).
 */
export function devFundingRoutes(app: Hono<ApiEnv>, fund: DevFunding): void {
  app.post("/dev/fund", async (c) => {
    const { address } = await jsonBody(c, fundRequest);
    return c.json(await fund(checksumAddress(address)));
  });
}

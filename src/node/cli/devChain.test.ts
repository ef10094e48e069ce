import { afterAll, beforeAll, expect, test } from "bun:test";
import { JsonRpcProvider, parseEther, Wallet, ZeroAddress } from "ethers";
import { deployContracts, devAccount, TestToken__factory } from "../../contracts-bindings";
import { type Anvil, startAnvil } from "../chain/anvil";
import {
  DEV_TOKEN_GRANT,
  devCollateral,
  fundFromDevAccount,
  mintDevTokens,
  portIsFree,
} from "./devChain";

let anvil: Anvil;
let provider: JsonRpcProvider;

beforeAll(async () => {
  anvil = await startAnvil();
  provider = new JsonRpcProvider(anvil.rpcUrl, anvil.chainId, {
    staticNetwork: true,
    cacheTimeout: -1,
  });
});

afterAll(async () => {
  provider?.destroy();
  await anvil?.stop();
});

test("a configured key is funded from dev account 0, once", async () => {
  const wallet = Wallet.createRandom(provider);
  await fundFromDevAccount(wallet);
  expect(await provider.getBalance(wallet.address)).toBe(parseEther("100"));
  await fundFromDevAccount(wallet);
  expect(await provider.getBalance(wallet.address)).toBe(parseEther("100"));
});

test("test tokens go to the ten dev accounts and the node, once each", async () => {
  const deployer = devAccount(0, provider);
  const book = await deployContracts(deployer, { testToken: true });
  const node = Wallet.createRandom();
  const holders = await mintDevTokens(deployer, book.testToken as string, [
    node.address,
    devAccount(3).address,
  ]);
  expect(holders).toHaveLength(11);
  const token = TestToken__factory.connect(book.testToken as string, provider);
  for (const holder of holders) expect(await token.balanceOf(holder)).toBe(DEV_TOKEN_GRANT);
  expect(DEV_TOKEN_GRANT).toBe(parseEther("1000000"));

  expect(devCollateral(book)).toEqual({
    [ZeroAddress]: { target: parseEther("1"), reclaimThreshold: parseEther("5") },
    [(book.testToken as string).toLowerCase()]: {
      target: parseEther("1000"),
      reclaimThreshold: parseEther("5000"),
    },
  });
});

test("portIsFree sees a listening port", () => {
  expect(portIsFree(anvil.port)).toBe(false);
});

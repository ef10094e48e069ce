import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { parseEther, Wallet, ZeroAddress } from "ethers";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { devAccount } from "../../../contracts-bindings";
import { type Stack, startStack } from "../../../e2e/stack";

/**
 * The card wallet in headless Chromium (playwright-core), two browser contexts on one dev-like
 * node (the e2e stack on anvil, with dev funding): each creates a wallet, gets test funds and
 * deposits; they pay each other and through a request link; one withdraws to a fresh address
 * (checked on-chain to the wei); a reload keeps the wallet; burning it and importing its phrase
 * brings the channel back from the node. Phone-sized windows (390×844), under the page's strict
 * CSP, every violation and page error counted. Screenshots go to artifacts/ (git-ignored).
 */
const CHROMIUM = process.env.CHROMIUM_BIN ?? "/usr/bin/chromium";
const ARTIFACTS = join(import.meta.dir, "../../../../artifacts");
const PHONE = { width: 390, height: 844 };

if (!existsSync(CHROMIUM)) {
  console.warn(
    `\n  SKIPPED: the wallet's browser test needs Chromium at ${CHROMIUM}; install the Debian package \`chromium\` (apt-get install -y chromium) or set CHROMIUM_BIN.\n`,
  );
}

interface WalletPage {
  name: string;
  context: BrowserContext;
  page: Page;
  /** Console errors, page errors and CSP violations. */
  problems: string[];
  address: string;
}

describe.skipIf(!existsSync(CHROMIUM))("the card wallet in Chromium", () => {
  let stack: Stack;
  let browser: Browser;
  let url: string;
  const wallets: WalletPage[] = [];

  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    [stack, browser] = await Promise.all([
      startStack({ settings: { devFunding: { privateKey: devAccount(9).privateKey } } }),
      chromium.launch({
        executablePath: CHROMIUM,
        args: ["--no-sandbox", "--disable-dev-shm-usage"],
      }),
    ]);
    url = `${stack.node.httpUrl}/wallet`;
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  async function open(name: string): Promise<WalletPage> {
    const context = await browser.newContext({ viewport: PHONE, deviceScaleFactor: 1 });
    await context.addInitScript(() => {
      document.addEventListener("securitypolicyviolation", (event) =>
        console.error(
          `CSP violation: ${event.violatedDirective} ${event.blockedURI} at ${event.sourceFile}:${event.lineNumber}:${event.columnNumber}`,
        ),
      );
    });
    const problems: string[] = [];
    const wallet: WalletPage = {
      name,
      context,
      page: await newPage(context, problems),
      problems,
      address: "",
    };
    wallets.push(wallet);
    return wallet;
  }

  /** A page of the context (a browser tab), its errors and dialogs counted as problems. */
  async function newPage(context: BrowserContext, problems: string[]): Promise<Page> {
    const page = await context.newPage();
    page.on("console", (message) => {
      if (message.type() === "error") problems.push(`console: ${message.text()}`);
    });
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
    page.on("dialog", (dialog) => {
      problems.push(`dialog: ${dialog.message()}`);
      void dialog.dismiss();
    });
    return page;
  }

  const shot = (wallet: WalletPage, step: string) =>
    wallet.page.screenshot({
      path: join(ARTIFACTS, `wallet-${wallet.name}-${step}.png`),
      fullPage: true,
    });

  async function waitOpen(page: Page): Promise<void> {
    await page.locator("#wallet").waitFor({ state: "visible", timeout: 30_000 });
    await expectText(page, "#channel-address", /^0x[0-9a-fA-F]{40}$/);
  }

  async function expectText(page: Page, selector: string, pattern: RegExp, timeout = 30_000) {
    await page.waitForFunction(
      ([s, source, flags]) =>
        new RegExp(source as string, flags as string).test(
          document.querySelector(s as string)?.textContent ?? "",
        ),
      [selector, pattern.source, pattern.flags],
      { timeout },
    );
  }

  /** The channel's ETH balance as the page shows it. */
  const balance = (page: Page) =>
    page.locator(`#balance-rows tr[data-asset="${ZeroAddress}"] td.amount`).textContent();

  async function tab(page: Page, name: string): Promise<void> {
    await page.click(`[data-tab-link=${name}]`);
    await page.locator(`[data-tab=${name}]`).waitFor({ state: "visible" });
  }

  async function fundAndDeposit(wallet: WalletPage, amount: string): Promise<void> {
    const { page } = wallet;
    await tab(page, "deposit");
    await page.click("#faucet");
    await expectText(page, "#deposit-result", /Test funds received/);
    await expectText(page, "#onchain-rows", /1 ETH/);
    await shot(wallet, "2-funded");
    await page.selectOption("#deposit-asset", { label: "ETH" });
    await page.fill("#deposit-amount", amount);
    await page.click("#deposit-form button[type=submit]");
    await expectText(page, "#deposit-result", new RegExp(`Deposited ${amount} ETH`), 60_000);
    await expectText(page, "#balance-rows", new RegExp(`${amount} ETH`));
    await shot(wallet, "3-deposited");
  }

  async function send(
    wallet: WalletPage,
    to: string,
    amount: string,
    asset = "ETH",
  ): Promise<string | null> {
    const { page } = wallet;
    await tab(page, "send");
    await page.fill("#send-to", to);
    await page.selectOption("#send-asset", { label: asset });
    await page.fill("#send-amount", amount);
    await page.click("#send-form button[type=submit]");
    await page.locator("#send-result[data-status]").waitFor({ timeout: 30_000 });
    return page.locator("#send-result").getAttribute("data-status");
  }

  test("two wallets: create, test funds, deposit, pay each other and by link, withdraw, reload, burn and import", async () => {
    const alice = await open("alice");
    const bob = await open("bob");
    let phrase = "";
    for (const wallet of [alice, bob]) {
      const { page } = wallet;
      await page.goto(url);
      await page.locator("#onboarding").waitFor({ state: "visible" });
      if (wallet === alice) await shot(wallet, "0-welcome");
      await page.click("#create");
      await page.locator("#backup").waitFor({ state: "visible" });
      const words = await page.locator("#backup-words li").allTextContents();
      expect(words).toHaveLength(12);
      if (wallet === bob) phrase = words.join(" ");
      expect(await page.isDisabled("#backup-done")).toBe(true);
      await shot(wallet, "1-backup");
      await page.check("#backup-saved");
      await page.click("#backup-done");
      await waitOpen(page);
      wallet.address = (await page.locator("#signer-address").textContent()) ?? "";
      expect(wallet.address).toBe(
        Wallet.fromPhrase(words.join(" ")).address, // m/44'/60'/0'/0/0
      );
    }
    expect(alice.address).not.toBe(bob.address);

    await fundAndDeposit(alice, "0.5");
    await fundAndDeposit(bob, "0.3");
    // The channels are on-chain where the page says, holding what was deposited.
    const aliceChannel = (await alice.page.locator("#channel-address").textContent()) as string;
    expect(await stack.provider.getBalance(aliceChannel)).toBe(parseEther("0.5"));

    // Alice pays Bob; Bob's balance follows live, without a reload.
    expect(await send(alice, bob.address, "0.1")).toBe("completed");
    await expectText(alice.page, "#send-result", /completed/);
    await shot(alice, "4-sent");
    await expectText(bob.page, "#balance-rows", /0\.4 ETH/);
    expect(await balance(alice.page)).toBe("0.4 ETH");
    // And back.
    expect(await send(bob, alice.address, "0.05")).toBe("completed");
    await expectText(alice.page, "#balance-rows", /0\.45 ETH/);

    // Bob asks Alice for 0.02 ETH with a link; opening it pre-fills Alice's send form.
    await tab(bob.page, "request");
    await bob.page.fill("#request-amount", "0.02");
    await bob.page.click("#request-form button[type=submit]");
    await bob.page.locator("#request-qr svg").waitFor();
    const link = await bob.page.inputValue("#request-link");
    expect(link).toStartWith(`${url}#pay?`);
    expect(link).toContain(`to=${bob.address}`);
    await shot(bob, "5-request");
    await alice.page.goto(link);
    await expectText(alice.page, "#send-request", /Payment request: 0\.02 ETH/);
    expect(await alice.page.inputValue("#send-to")).toBe(bob.address);
    expect(await alice.page.inputValue("#send-amount")).toBe("0.02");
    await shot(alice, "6-pay-request");
    await alice.page.click("#send-form button[type=submit]");
    await alice.page.locator("#send-result[data-status]").waitFor({ timeout: 30_000 });
    expect(await alice.page.locator("#send-result").getAttribute("data-status")).toBe("completed");
    await expectText(bob.page, "#balance-rows", /0\.37 ETH/);
    await expectText(alice.page, "#balance-rows", /0\.43 ETH/);

    // History on both sides, with statuses.
    await tab(alice.page, "history");
    // deposit, sent, received, sent; the payment to Alice completes once she has resolved it.
    await alice.page
      .locator('#history-list li[data-kind="received"][data-status="completed"]')
      .waitFor({ timeout: 15_000 });
    expect(await alice.page.locator("#history-list li").count()).toBe(4);
    expect(
      await alice.page
        .locator('#history-list li[data-kind="sent"][data-status="completed"]')
        .count(),
    ).toBe(2);
    expect(await alice.page.locator('#history-list li[data-kind="deposit"]').count()).toBe(1);
    await shot(alice, "7-history");

    // Bob withdraws to a fresh address: exactly that much arrives on-chain.
    const recipient = Wallet.createRandom().address;
    await tab(bob.page, "withdraw");
    await bob.page.fill("#withdraw-to", recipient);
    await bob.page.fill("#withdraw-amount", "0.123456789");
    await bob.page.click("#withdraw-form button[type=submit]");
    await expectText(bob.page, "#withdraw-result", /Withdrew 0\.123456 ETH/, 60_000);
    expect(await stack.provider.getBalance(recipient)).toBe(parseEther("0.123456789"));
    await shot(bob, "8-withdrawn");
    const bobBalance = await balance(bob.page);
    expect(bobBalance).toBe("0.246543 ETH"); // 0.37 − 0.123456789, shown to 6 decimals

    // A reload keeps the wallet: same key, same channel, same balance, same history.
    await bob.page.reload();
    await waitOpen(bob.page);
    expect(await bob.page.locator("#signer-address").textContent()).toBe(bob.address);
    expect(await balance(bob.page)).toBe(bobBalance);
    await tab(bob.page, "history");
    expect(await bob.page.locator('#history-list li[data-kind="withdrawal"]').count()).toBe(1);

    // Settings: the phrase is the one shown at creation; burn, then import it back.
    await tab(bob.page, "settings");
    await bob.page.click("#show-phrase");
    expect((await bob.page.locator("#settings-words li").allTextContents()).join(" ")).toBe(phrase);
    await shot(bob, "9-settings");
    await bob.page.click("#burn");
    await bob.page.click("#burn-yes");
    await bob.page.locator("#onboarding").waitFor({ state: "visible", timeout: 30_000 });
    await bob.page.click("#onboarding summary");
    await bob.page.fill("#import-phrase", `  ${phrase.toUpperCase()}  `);
    await bob.page.click("#import-form button[type=submit]");
    await waitOpen(bob.page);
    expect(await bob.page.locator("#signer-address").textContent()).toBe(bob.address);
    // The channel came back from the node, with its balance.
    await expectText(bob.page, "#balance-rows", /0\.246543 ETH/);
    await shot(bob, "10-imported");

    for (const wallet of wallets) expect(wallet.problems).toEqual([]);
  }, 300_000);

  test("what a link or a user types is shown as text, never run", async () => {
    const [alice] = wallets;
    if (!alice) throw new Error("the first test opens the wallets");
    const { page } = alice;
    const payload = `<img src=x onerror="window.__pwned=1">`;
    await page.goto(`${url}#pay?${new URLSearchParams({ to: payload, amount: "1" })}`);
    await expectText(page, "#send-request", /not valid/);
    await page.goto(`${url}#pay?${new URLSearchParams({ to: bob(), amount: payload })}`);
    await expectText(page, "#send-request", /not valid/);
    // Typed into the forms: refused as input, echoed nowhere as markup.
    await page.fill("#send-to", payload);
    await page.fill("#send-amount", payload);
    await page.click("#send-form button[type=submit]");
    await expectText(page, "#send-result", /Enter the payee's address/);
    await page.click("[data-tab-link=history]");
    expect(
      await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned),
    ).toBeUndefined();
    expect(await page.locator("img[src=x]").count()).toBe(0);
    await shot(alice, "11-escaped");
    expect(alice.problems).toEqual([]);

    function bob(): string {
      return wallets[1]?.address ?? devAccount(2).address;
    }
  }, 60_000);
  test("a payment to a wallet that is away is pending, and completes when it comes back", async () => {
    const [alice, bob] = wallets;
    if (!alice || !bob) throw new Error("the first test opens the wallets");
    // Bob closes his tab: his client is gone with it.
    await bob.page.close();
    expect(await send(alice, bob.address, "0.01")).toBe("pending");
    await expectText(alice.page, "#send-result", /pending/);
    await shot(alice, "12-pending");
    await tab(alice.page, "history");
    await alice.page.locator('#history-list li[data-kind="sent"][data-status="pending"]').waitFor();
    // He opens the wallet again (same browser, same IndexedDB) and gets the payment.
    bob.page = await newPage(bob.context, bob.problems);
    await bob.page.goto(url);
    await waitOpen(bob.page);
    await expectText(bob.page, "#balance-rows", /0\.256543 ETH/);
    await alice.page
      .locator('#history-list li[data-kind="sent"][data-status="pending"]')
      .waitFor({ state: "detached", timeout: 30_000 });
    expect(
      await alice.page
        .locator('#history-list li[data-kind="sent"][data-status="completed"]')
        .count(),
    ).toBe(3);
    await shot(alice, "13-pending-completed");
    // Bob's history, wiped with the burnt wallet, comes back from the node's records: three
    // payments in (one of them while he was away) and one out.
    await tab(bob.page, "history");
    await bob.page
      .locator('#history-list li[data-kind="received"][data-status="completed"]')
      .nth(2)
      .waitFor({ timeout: 15_000 });
    expect(await bob.page.locator('#history-list li[data-kind="received"]').count()).toBe(3);
    expect(await bob.page.locator('#history-list li[data-kind="sent"]').count()).toBe(1);
    await shot(bob, "13-history");
    await shot(bob, "12-back");
    for (const wallet of wallets) expect(wallet.problems).toEqual([]);
  }, 120_000);
  test("tokens too: a deposit of the test token and a payment in it", async () => {
    const [alice, bob] = wallets;
    if (!alice || !bob) throw new Error("the first test opens the wallets");
    const { page } = alice;
    await tab(page, "deposit");
    await page.selectOption("#deposit-asset", { label: "TST" });
    await page.fill("#deposit-amount", "100");
    await page.click("#deposit-form button[type=submit]");
    await expectText(page, "#deposit-result", /Deposited 100 TST/, 60_000);
    expect(await send(alice, bob.address, "12.5", "TST")).toBe("completed");
    await expectText(page, "#balance-rows", /87\.5 TST/);
    await expectText(bob.page, "#balance-rows", /12\.5 TST/);
    expect(await stack.tokenBalance(alice.address)).toBe(900n * 10n ** 18n);
    await shot(alice, "14-token");
    for (const wallet of wallets) expect(wallet.problems).toEqual([]);
  }, 120_000);
});

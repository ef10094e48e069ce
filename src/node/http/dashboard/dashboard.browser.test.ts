import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseEther, parseUnits, ZeroAddress } from "ethers";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import type { ConnextClient } from "../../../client";
import { waitFor } from "../../../e2e/expectations";
import { ADMIN_TOKEN, type Stack, startStack } from "../../../e2e/stack";

/**
 * The dashboard in a real browser (issue 14 §6): headless Chromium driven by playwright-core
 * against a node on anvil (the e2e stack), with Bun clients paying through it. Screenshots go
 * to artifacts/ (git-ignored).
 */
const CHROMIUM = process.env.CHROMIUM_BIN ?? "/usr/bin/chromium";
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const ARTIFACTS = join(import.meta.dir, "../../../../artifacts");
const ETH = ZeroAddress;
const SCRIPT_META = `<script>alert("meta")</script><img src=x onerror=alert(1)>`;

if (!HAVE_CHROMIUM) {
  console.warn(
    `\n  SKIPPED: the dashboard's browser test needs Chromium at ${CHROMIUM}; install the Debian package \`chromium\` (apt-get install -y chromium) or set CHROMIUM_BIN.\n`,
  );
}

interface NodePayment {
  paymentId: string;
  status: string;
  assetId: string;
  amount: string;
  sender: string;
  recipient: string;
}

describe.skipIf(!HAVE_CHROMIUM)("the dashboard in Chromium", () => {
  let stack: Stack;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let a: ConnextClient;
  let b: ConnextClient;
  const dialogs: string[] = [];

  async function nodePayments(): Promise<NodePayment[]> {
    const response = await fetch(`${stack.node.httpUrl}/admin/payments`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(response.status).toBe(200);
    return (await response.json()) as NodePayment[];
  }

  /** The whole page as PNG, and its first screen as a small JPEG (for the README). */
  async function shot(name: string): Promise<void> {
    await page.screenshot({ path: join(ARTIFACTS, `dashboard-${name}.png`), fullPage: true });
    await page.screenshot({
      path: join(ARTIFACTS, `dashboard-${name}.jpg`),
      type: "jpeg",
      quality: 70,
    });
  }

  /** Clicks a submit button or link and waits for the page it leads to. */
  async function submit(selector: string): Promise<void> {
    await Promise.all([
      page.waitForNavigation({ waitUntil: "domcontentloaded" }),
      page.click(selector),
    ]);
  }

  async function signIn(token: string): Promise<void> {
    await page.goto(`${stack.node.httpUrl}/dashboard/login`);
    await page.fill('input[name="token"]', token);
    await submit('button[type="submit"]');
  }

  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    [stack, browser] = await Promise.all([
      startStack(),
      chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] }),
    ]);
    context = await browser.newContext({
      acceptDownloads: true,
      viewport: { width: 1280, height: 900 },
    });
    page = await context.newPage();
    page.on("dialog", async (dialog) => {
      dialogs.push(dialog.message());
      await dialog.dismiss();
    });
    [a, b] = await Promise.all([stack.client(1), stack.client(2)]);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  test("a wrong token is refused, and nothing is set", async () => {
    await page.goto(`${stack.node.httpUrl}/dashboard`);
    expect(new URL(page.url()).pathname).toBe("/dashboard/login");
    await signIn("not-the-admin-token-at-all");
    expect(await page.textContent("#login-error")).toBe("That is not this node's admin token.");
    expect(await context.cookies()).toEqual([]);
    await shot("login-refused");
  }, 30_000);

  test("after 25 payments the overview's counts and volume equal the node's records", async () => {
    await a.deposit({ assetId: ETH, amount: parseEther("2") });
    await a.deposit({ assetId: stack.token, amount: parseUnits("500", 18) });
    for (let i = 1; i <= 25; i++) {
      const token = i % 5 === 0;
      const result = await a.transfer({
        recipient: b.identifier,
        assetId: token ? stack.token : ETH,
        amount: token ? parseUnits(String(i), 18) : parseEther("0.001") * BigInt(i),
        ...(i === 7 ? { meta: { note: SCRIPT_META } } : {}),
      });
      expect(result.status).toBe("completed");
    }
    await waitFor(() => b.getBalance(ETH).user > 0n, 10_000);

    const records = await nodePayments();
    expect(records.length).toBe(25);
    const volume = (asset: string) =>
      records
        .filter((p) => p.status === "completed" && p.assetId.toLowerCase() === asset.toLowerCase())
        .reduce((sum, p) => sum + BigInt(p.amount), 0n);

    await signIn(ADMIN_TOKEN);
    expect(new URL(page.url()).pathname).toBe("/dashboard");
    const cookies = await context.cookies();
    expect(cookies.map((c) => [c.name, c.httpOnly, c.sameSite, c.path])).toEqual([
      ["connext_dashboard", true, "Strict", "/dashboard"],
    ]);
    const stat = (name: string) =>
      page.getAttribute(`[data-stat="${name}"]`, "data-value", { timeout: 5_000 });
    expect(await stat("payments-86400")).toBe(String(records.length));
    expect(await stat("payments-2592000")).toBe(String(records.length));
    expect(await stat(`volume-86400-${ETH}`)).toBe(volume(ETH).toString());
    expect(await stat(`volume-86400-${stack.token.toLowerCase()}`)).toBe(
      volume(stack.token).toString(),
    );
    expect(await stat("channels")).toBe("2");
    expect(await page.locator("#latest-payments tbody tr[data-payment]").count()).toBe(15);
    await shot("overview");

    // The live part refreshes itself: one more payment shows without a reload.
    await a.transfer({ recipient: b.identifier, assetId: ETH, amount: parseEther("0.5") });
    await page.waitForSelector(`[data-stat="payments-86400"][data-value="26"]`, {
      timeout: 15_000,
    });
  }, 120_000);

  test("a payment's metadata with script renders inert on its page", async () => {
    const records = await nodePayments();
    const seventh = records.find((p) => p.amount === parseEther("0.007").toString());
    expect(seventh).toBeDefined();
    await page.goto(`${stack.node.httpUrl}/dashboard/payments/${seventh?.paymentId}`);
    expect(await page.textContent("#payment-transfers")).toContain(
      JSON.stringify({ note: SCRIPT_META }),
    );
    expect(await page.locator("#payment-transfers img").count()).toBe(0);
    await Bun.sleep(300);
    expect(dialogs).toEqual([]);
    await shot("payment");
  }, 30_000);

  test("a payment filter and its CSV download equal the node's rows", async () => {
    await page.goto(`${stack.node.httpUrl}/dashboard/payments`);
    await page.selectOption('#payment-filter select[name="status"]', "completed");
    await page.selectOption('#payment-filter select[name="asset"]', stack.token);
    await page.fill('#payment-filter input[name="user"]', a.identifier);
    await submit('#payment-filter button[type="submit"]');
    const expected = (await nodePayments()).filter(
      (p) =>
        p.status === "completed" &&
        p.assetId.toLowerCase() === stack.token.toLowerCase() &&
        p.sender.toLowerCase() === a.identifier.toLowerCase(),
    );
    expect(expected.length).toBe(5);
    const shown = await page
      .locator("#payments tbody tr[data-payment]")
      .evaluateAll((rows) => rows.map((row) => row.getAttribute("data-payment")));
    expect(shown.sort()).toEqual(expected.map((p) => p.paymentId).sort());
    await shot("payments-filtered");

    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.click("#payments-csv"),
    ]);
    expect(download.suggestedFilename()).toBe("payments.csv");
    const csv = await readFile((await download.path()) as string, "utf8");
    const [header, ...lines] = csv.trimEnd().split("\r\n");
    expect(header).toStartWith("payment_id,created_at,updated_at,status,asset_id,amount,");
    const rows = lines.map((line) => line.split(","));
    expect(rows.map((r) => [r[0], r[3], r[4], r[5], r[6], r[7]]).sort()).toEqual(
      expected
        .map((p) => [p.paymentId, p.status, p.assetId, p.amount, p.sender, p.recipient])
        .sort(),
    );
  }, 30_000);

  test("a channel's page shows its update history", async () => {
    const channels = (await (
      await fetch(`${stack.node.httpUrl}/admin/channels`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      })
    ).json()) as { channelAddress: string; bob: string; nonce: number }[];
    const ofA = channels.find((c) => c.bob.toLowerCase() === a.identifier.toLowerCase());
    expect(ofA).toBeDefined();
    await page.goto(`${stack.node.httpUrl}/dashboard/channels?q=${a.identifier}`);
    await shot("channels");
    await submit(`a[href="/dashboard/channels/${ofA?.channelAddress}"]`);
    expect(await page.textContent('[data-stat="nonce"]')).toBe(String(ofA?.nonce));
    const nonces = await page
      .locator("#updates tbody tr")
      .evaluateAll((rows) => rows.map((row) => Number(row.getAttribute("data-nonce"))));
    const latest = ofA?.nonce as number;
    expect(nonces).toEqual(Array.from({ length: Math.min(20, latest) }, (_, i) => latest - i));
    await shot("channel");
  }, 30_000);

  test("top up and reclaim on a channel's page move the node's collateral through the engine", async () => {
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" };
    const channels = (await (
      await fetch(`${stack.node.httpUrl}/admin/channels`, { headers: admin })
    ).json()) as { channelAddress: string; bob: string }[];
    const ofB = channels.find((c) => c.bob.toLowerCase() === b.identifier.toLowerCase());
    await page.goto(`${stack.node.httpUrl}/dashboard/channels/${ofB?.channelAddress}`);
    const row = `tr[data-asset="${ETH}"]`;
    const nodeBalance = async () =>
      BigInt((await page.getAttribute(`${row} [data-balance="node"]`, "data-value")) ?? "-1");
    expect(await nodeBalance()).toBeLessThan(parseEther("1"));

    await submit(`${row} form[action$="/topup"] button`);
    expect(await page.textContent('[role="status"]')).toBe("Topped up ETH to its target.");
    expect(await nodeBalance()).toBe(parseEther("1"));

    // A lower target leaves the rest to reclaim.
    const lower = await fetch(`${stack.node.httpUrl}/admin/collateral/${ETH}`, {
      method: "PUT",
      headers: admin,
      body: JSON.stringify({
        target: parseEther("0.4").toString(),
        reclaimThreshold: parseEther("50").toString(),
      }),
    });
    expect(lower.status).toBe(200);
    await submit(`${row} form[action$="/reclaim"] button`);
    expect(await page.textContent('[role="status"]')).toBe("Reclaimed ETH above its target.");
    expect(await nodeBalance()).toBe(parseEther("0.4"));
    await shot("channel-actions");
    await fetch(`${stack.node.httpUrl}/admin/collateral/${ETH}`, {
      method: "PUT",
      headers: admin,
      body: JSON.stringify({
        target: parseEther("1").toString(),
        reclaimThreshold: parseEther("50").toString(),
      }),
    });
  }, 60_000);

  test("a collateral edit in place persists across a node restart", async () => {
    const token = stack.token.toLowerCase();
    await page.goto(`${stack.node.httpUrl}/dashboard/collateral`);
    const row = `#policy-${token}`;
    await page.fill(`${row} input[name="target"]`, parseUnits("250", 18).toString());
    await page.fill(`${row} input[name="reclaimThreshold"]`, parseUnits("7000", 18).toString());
    await page.click(`${row} button[type="submit"]`);
    await page.waitForSelector(`${row} [role="status"]`, { timeout: 10_000 });
    expect(await page.textContent(`${row} [role="status"]`)).toBe("Saved.");
    await shot("collateral");

    await stack.restartNode();
    await page.goto(`${stack.node.httpUrl}/dashboard/collateral`);
    // Sessions live in the node's memory: a restart signs everyone out.
    expect(new URL(page.url()).pathname).toBe("/dashboard/login");
    await signIn(ADMIN_TOKEN);
    await page.goto(`${stack.node.httpUrl}/dashboard/collateral`);
    expect(await page.inputValue(`${row} input[name="target"]`)).toBe(
      parseUnits("250", 18).toString(),
    );
    expect(await page.inputValue(`${row} input[name="reclaimThreshold"]`)).toBe(
      parseUnits("7000", 18).toString(),
    );
  }, 60_000);

  test("the on-chain transactions page lists the node's deposits", async () => {
    await page.goto(`${stack.node.httpUrl}/dashboard/transactions`);
    expect(await page.locator("#transactions tbody tr").count()).toBeGreaterThan(0);
    await shot("transactions");
  }, 30_000);
});

// The card wallet (issue 14 §2): one page on the node's origin, running the client library in
// the browser. The key (a BIP-39 phrase) and the channel live in this browser's IndexedDB
// (BrowserStore); the node is reached over HTTP and its WebSocket messaging on the same origin,
// and the chain through the node's `/wallet/rpc`.
import "./zodJitless";
import { generateMnemonic, validateMnemonic } from "@scure/bip39";
import { wordlist } from "@scure/bip39/wordlists/english";
import {
  Contract,
  formatUnits,
  getAddress,
  HDNodeWallet,
  isAddress,
  JsonRpcProvider,
  parseUnits,
  ZeroAddress,
} from "ethers";
import { BrowserStore, ConnextClient } from "../client";
import { busy, byId, describeError, el, result, show } from "./dom";
import { History, type HistoryEntry } from "./history";
import { showQr } from "./qr";

const STORE_NAME = "connext-wallet";
const PHRASE_KEY = "wallet:phrase";
const BACKED_UP_KEY = "wallet:backed-up";
/** The first account of the phrase, as most wallets derive it. */
const DERIVATION_PATH = "m/44'/60'/0'/0/0";
const TABS = ["send", "request", "deposit", "history", "withdraw", "settings"] as const;
type Tab = (typeof TABS)[number];

interface Asset {
  id: string;
  symbol: string;
  decimals: number;
}

interface NodeConfig {
  chainId: number;
  nodeIdentifier: string;
  supportedAssets: string[];
  messagingWsUrl?: string;
  contractAddresses: { testToken?: string };
}

interface Wallet {
  client: ConnextClient;
  signer: HDNodeWallet;
  phrase: string;
  provider: JsonRpcProvider;
  assets: Asset[];
  history: History;
}

const store = new BrowserStore({ name: STORE_NAME });
let wallet: Wallet | undefined;
const statusLine = byId("status");

function setStatus(text: string, kind: "ok" | "error" = "ok"): void {
  statusLine.textContent = text;
  statusLine.dataset.kind = kind;
}

// ---- first visit: create or import ----

async function main(): Promise<void> {
  const phrase = await store.get(PHRASE_KEY);
  show(byId("loading"), false);
  if (!phrase) return showOnboarding();
  if ((await store.get(BACKED_UP_KEY)) !== "yes") return showBackup(phrase);
  await openWallet(phrase);
}

function showOnboarding(): void {
  show(byId("onboarding"));
  byId("create").addEventListener("click", async () => {
    const phrase = generateMnemonic(wordlist, 128);
    await store.set(PHRASE_KEY, phrase);
    showBackup(phrase);
  });
  byId<HTMLFormElement>("import-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const phrase = normalisePhrase(byId<HTMLTextAreaElement>("import-phrase").value);
    if (!validateMnemonic(phrase, wordlist)) {
      byId("import-error").textContent =
        "That is not a valid recovery phrase: check the words and their order.";
      return;
    }
    await store.set(PHRASE_KEY, phrase);
    await store.set(BACKED_UP_KEY, "yes");
    show(byId("onboarding"), false);
    await openWallet(phrase);
  });
}

function normalisePhrase(text: string): string {
  return text.trim().toLowerCase().split(/\s+/).join(" ");
}

function fillWords(list: HTMLElement, phrase: string): void {
  list.replaceChildren(...phrase.split(" ").map((word) => el("li", word)));
}

function showBackup(phrase: string): void {
  show(byId("onboarding"), false);
  show(byId("backup"));
  fillWords(byId("backup-words"), phrase);
  const saved = byId<HTMLInputElement>("backup-saved");
  const done = byId<HTMLButtonElement>("backup-done");
  saved.addEventListener("change", () => {
    done.disabled = !saved.checked;
  });
  done.addEventListener("click", async () => {
    await store.set(BACKED_UP_KEY, "yes");
    show(byId("backup"), false);
    await openWallet(phrase);
  });
}

// ---- the wallet ----

async function openWallet(phrase: string): Promise<void> {
  const signer = HDNodeWallet.fromPhrase(phrase, undefined, DERIVATION_PATH);
  byId("me").textContent = short(signer.address);
  byId("me").title = signer.address;
  setStatus("Connecting to the node…");
  try {
    const config = (await (await fetch("/config")).json()) as NodeConfig;
    if (await elsewhere(signer.address)) return;
    const rpcUrl = `${location.origin}/wallet/rpc`;
    const provider = new JsonRpcProvider(rpcUrl, config.chainId, { staticNetwork: true });
    const client = await ConnextClient.connect({
      signer,
      nodeUrl: location.origin,
      ethRpcUrl: rpcUrl,
      store,
      messagingUrl: messagingUrl(config),
    });
    const assets = await Promise.all(
      config.supportedAssets.map((id) => describeAsset(id, provider, config)),
    );
    const history = await History.load(store, signer.address, () => renderHistory());
    wallet = { client, signer, phrase, provider, assets, history };
    listen(wallet);
    setStatus("");
    byId("connection").textContent =
      `Node ${short(config.nodeIdentifier)} · chain ${config.chainId}`;
    fillAssetSelects(assets);
    show(byId("wallet"));
    renderBalances();
    renderHistory();
    renderDeposit();
    bindForms();
    route();
    window.addEventListener("hashchange", route);
    void syncHistory();
    // Every 30 s, and every 3 s while a payment is pending.
    let lastSync = Date.now();
    setInterval(() => {
      const pending = wallet?.history.list().some((e) => e.status === "pending");
      if (!pending && Date.now() - lastSync < 30_000) return;
      lastSync = Date.now();
      void syncHistory();
    }, 3_000);
    setInterval(renderBalances, 2_000);
    setInterval(() => {
      if (!byId("deposit-qr").closest("article")?.hidden) void renderOnchain();
    }, 5_000);
  } catch (error) {
    setStatus(`Could not open the wallet: ${describeError(error)}`, "error");
    show(byId("wallet"), false);
  }
}

/**
 * Whether the node signs users in for another origin (its PUBLIC_URL): the client would refuse
 * that sign-in, so the page says where to open the wallet instead.
 */
async function elsewhere(address: string): Promise<boolean> {
  const response = await fetch(`/auth/${address}`).catch(() => undefined);
  if (!response?.ok) return false;
  const { message } = (await response.json()) as { message?: string };
  const uri = message?.match(/^URI: (.+)$/m)?.[1];
  if (!uri) return false;
  let site: URL;
  try {
    site = new URL(uri);
  } catch {
    return false;
  }
  if (site.origin === location.origin || !/^https?:$/.test(site.protocol)) return false;
  const link = el("a", `${site.origin}/wallet`, { href: `${site.origin}/wallet` });
  statusLine.replaceChildren(
    "This node signs users in at another address. Open the wallet at ",
    link,
  );
  statusLine.dataset.kind = "error";
  return true;
}

/** The node's WebSocket messaging on this page's origin: wss:// under https://. */
function messagingUrl(config: NodeConfig): string {
  const path = config.messagingWsUrl ? new URL(config.messagingWsUrl).pathname : "/messaging";
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${path}`;
}

async function describeAsset(
  id: string,
  provider: JsonRpcProvider,
  config: NodeConfig,
): Promise<Asset> {
  if (id === ZeroAddress) return { id, symbol: "ETH", decimals: 18 };
  const token = new Contract(
    id,
    ["function symbol() view returns (string)", "function decimals() view returns (uint8)"],
    provider,
  );
  const [symbol, decimals] = await Promise.all([
    (token.getFunction("symbol")() as Promise<string>).catch(() => undefined),
    (token.getFunction("decimals")() as Promise<bigint>).catch(() => 18n),
  ]);
  const fallback =
    id.toLowerCase() === config.contractAddresses.testToken?.toLowerCase() ? "TEST" : short(id);
  // A token's symbol is the chain's data: shown as text, and kept short.
  return { id, symbol: (symbol ?? fallback).slice(0, 12), decimals: Number(decimals) };
}

function assetOf(id: string): Asset {
  const asset = wallet?.assets.find((a) => a.id.toLowerCase() === id.toLowerCase());
  return asset ?? { id, symbol: short(id), decimals: 18 };
}

function listen({ client, history }: Wallet): void {
  const refresh = () => renderBalances();
  client.on("transfer.received", (payment) => {
    history.upsert({
      id: payment.paymentId,
      kind: "received",
      counterparty: payment.sender,
      assetId: payment.assetId,
      amount: payment.amount.toString(),
      status: "pending",
    });
    refresh();
  });
  client.on("transfer.resolved", (resolved) => {
    if (resolved.paymentId && history.has(resolved.paymentId)) {
      history.upsert({
        id: resolved.paymentId,
        status: resolved.cancelled ? "cancelled" : "completed",
      });
    }
    refresh();
  });
  client.on("transfer.refused", (refused) => {
    if (history.has(refused.paymentId))
      history.upsert({ id: refused.paymentId, status: "cancelled" });
    refresh();
  });
  client.on("deposit.confirmed", refresh);
  client.on("collateral.received", refresh);
  client.on("withdraw.confirmed", refresh);
}

/** The node's token for GET /payments (the wallet signs in itself, beside the client). */
let paymentsToken: string | undefined;

/**
 * Merges the node's records of our payments (GET /payments) into the history: payments made or
 * received while this page was closed, or before the wallet was imported here. Their status is
 * the node's word; the page's own outcomes (from the channel) are not downgraded by it.
 */
async function syncHistory(): Promise<void> {
  if (!wallet) return;
  const { signer, history } = wallet;
  try {
    paymentsToken ??= await signIn(signer);
    let response = await fetch("/payments", {
      headers: { Authorization: `Bearer ${paymentsToken}` },
    });
    if (response.status === 401) {
      paymentsToken = await signIn(signer);
      response = await fetch("/payments", {
        headers: { Authorization: `Bearer ${paymentsToken}` },
      });
    }
    if (!response.ok) return;
    const payments = (await response.json()) as NodePayment[];
    for (const payment of payments.slice().reverse()) {
      const sent = payment.sender.toLowerCase() === signer.address.toLowerCase();
      const status = (["pending", "completed", "cancelled", "failed"] as const).find(
        (s) => s === payment.status,
      );
      if (!status || !/^\d+$/.test(payment.amount)) continue;
      history.upsert({
        id: payment.paymentId,
        kind: sent ? "sent" : "received",
        counterparty: sent ? payment.recipient : payment.sender,
        assetId: payment.assetId,
        amount: payment.amount,
        status,
        at: Date.parse(payment.createdAt) || Date.now(),
      });
    }
  } catch {
    // The history from this page's own events stands; the next sync tries again.
  }
}

interface NodePayment {
  paymentId: string;
  sender: string;
  recipient: string;
  assetId: string;
  amount: string;
  status: string;
  createdAt: string;
}

/** Signs in to the node (EIP-4361) for a bearer token, as the client does. */
async function signIn(signer: HDNodeWallet): Promise<string> {
  const { message } = (await (await fetch(`/auth/${signer.address}`)).json()) as {
    message: string;
  };
  const signature = await signer.signMessage(message);
  const response = await fetch("/auth", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ address: signer.address, message, signature }),
  });
  const body = (await response.json()) as { token?: string; message?: string };
  if (!response.ok || !body.token)
    throw new Error(body.message ?? `sign-in: HTTP ${response.status}`);
  return body.token;
}

function fillAssetSelects(assets: Asset[]): void {
  for (const select of document.querySelectorAll<HTMLSelectElement>("select.asset-select")) {
    select.replaceChildren(...assets.map((a) => el("option", a.symbol, { value: a.id })));
  }
}

function renderBalances(): void {
  if (!wallet) return;
  const rows = wallet.assets.map((asset) => {
    const { user } = wallet?.client.getBalance(asset.id) ?? { user: 0n };
    const row = el("tr", undefined, { "data-asset": asset.id });
    row.append(el("td", asset.symbol), el("td", amountText(user, asset), { class: "amount" }));
    return row;
  });
  byId("balance-rows").replaceChildren(...rows);
}

function renderHistory(): void {
  if (!wallet) return;
  const entries = wallet.history.list();
  show(byId("history-empty"), entries.length === 0);
  byId("history-list").replaceChildren(...entries.map(historyItem));
}

const KIND_LABEL: Record<HistoryEntry["kind"], string> = {
  sent: "Sent",
  received: "Received",
  deposit: "Deposit",
  withdrawal: "Withdrawal",
};

function historyItem(entry: HistoryEntry): HTMLLIElement {
  const asset = assetOf(entry.assetId);
  const item = el("li", undefined, {
    "data-id": entry.id,
    "data-kind": entry.kind,
    "data-status": entry.status,
  });
  const sign = entry.kind === "received" || entry.kind === "deposit" ? "+" : "−";
  const top = el("div", undefined, { class: "line" });
  top.append(
    el("span", KIND_LABEL[entry.kind], { class: "what" }),
    el("span", `${sign}${amountText(BigInt(entry.amount), asset)}`, { class: "amount" }),
  );
  const bottom = el("div", undefined, { class: "line muted" });
  const party =
    entry.counterparty === undefined
      ? ""
      : `${entry.kind === "received" ? "from" : "to"} ${short(entry.counterparty)}`;
  bottom.append(
    el("small", `${new Date(entry.at).toLocaleString()} ${party}`.trim()),
    el("small", entry.status, { class: `badge ${entry.status}` }),
  );
  item.append(top, bottom);
  return item;
}

// ---- tabs and the request link ----

function route(): void {
  const hash = location.hash.slice(1);
  if (hash.startsWith("pay?")) {
    prefillPayment(new URLSearchParams(hash.slice(4)));
    window.history.replaceState(null, "", "#send");
    showTab("send");
    return;
  }
  showTab((TABS as readonly string[]).includes(hash) ? (hash as Tab) : "send");
}

function showTab(tab: Tab): void {
  for (const article of document.querySelectorAll<HTMLElement>("[data-tab]")) {
    article.hidden = article.dataset.tab !== tab;
  }
  for (const link of document.querySelectorAll<HTMLElement>("[data-tab-link]")) {
    if (link.dataset.tabLink === tab) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  if (tab === "deposit") void renderOnchain();
  if (tab === "withdraw") void renderWithdrawTerms();
}

/** `#pay?to=<address>&asset=<asset>&amount=<decimal>`: a request link, pre-filling Send. */
function prefillPayment(params: URLSearchParams): void {
  const to = params.get("to") ?? "";
  const amount = params.get("amount") ?? "";
  const assetId = params.get("asset") ?? ZeroAddress;
  const notice = byId("send-request");
  if (
    !isAddress(to) ||
    !/^\d+(\.\d+)?$/.test(amount) ||
    !wallet?.assets.some((a) => a.id.toLowerCase() === assetId.toLowerCase())
  ) {
    notice.textContent = "This payment link is not valid.";
    notice.dataset.kind = "error";
    show(notice);
    return;
  }
  const asset = assetOf(assetId);
  byId<HTMLInputElement>("send-to").value = getAddress(to);
  byId<HTMLInputElement>("send-amount").value = amount;
  byId<HTMLSelectElement>("send-asset").value = asset.id;
  notice.textContent = `Payment request: ${amount} ${asset.symbol} to ${getAddress(to)}`;
  notice.dataset.kind = "ok";
  show(notice);
}

// ---- forms ----

function bindForms(): void {
  const sendForm = byId<HTMLFormElement>("send-form");
  sendForm.addEventListener("submit", (event) => {
    event.preventDefault();
    void busy(sendForm, send);
  });
  const requestForm = byId<HTMLFormElement>("request-form");
  requestForm.addEventListener("submit", (event) => {
    event.preventDefault();
    makeRequest();
  });
  byId("request-copy").addEventListener("click", () => {
    void navigator.clipboard
      ?.writeText(byId<HTMLInputElement>("request-link").value)
      .catch(() => {});
  });
  const depositForm = byId<HTMLFormElement>("deposit-form");
  depositForm.addEventListener("submit", (event) => {
    event.preventDefault();
    void busy(depositForm, deposit);
  });
  const faucet = byId<HTMLButtonElement>("faucet");
  show(faucet, document.body.dataset.devFunding === "on");
  faucet.addEventListener("click", () => void busy(faucet, getTestFunds));
  const withdrawForm = byId<HTMLFormElement>("withdraw-form");
  withdrawForm.addEventListener("submit", (event) => {
    event.preventDefault();
    void busy(withdrawForm, withdraw);
  });
  byId("withdraw-asset").addEventListener("change", () => void renderWithdrawTerms());
  byId("show-phrase").addEventListener("click", () => {
    const words = byId("settings-words");
    if (words.hidden && wallet) fillWords(words, wallet.phrase);
    show(words, Boolean(words.hidden));
    byId("show-phrase").textContent = words.hidden ? "Show my recovery phrase" : "Hide it";
  });
  byId("burn").addEventListener("click", () => show(byId("burn-confirm")));
  byId("burn-no").addEventListener("click", () => show(byId("burn-confirm"), false));
  byId("burn-yes").addEventListener("click", () => void burn());
}

/** The amount field as base units of `asset`, or an error message. */
function readAmount(input: string, asset: Asset): bigint | string {
  const text = input.trim();
  if (!/^\d+(\.\d+)?$/.test(text)) return "Enter an amount such as 0.1";
  try {
    const amount = parseUnits(text, asset.decimals);
    return amount > 0n ? amount : "The amount must be more than 0";
  } catch {
    return `${asset.symbol} has ${asset.decimals} decimals at most`;
  }
}

function readAddress(input: string): string | undefined {
  const text = input.trim();
  return isAddress(text) ? getAddress(text) : undefined;
}

async function send(): Promise<void> {
  if (!wallet) return;
  const out = byId("send-result");
  delete out.dataset.status;
  const recipient = readAddress(byId<HTMLInputElement>("send-to").value);
  const asset = assetOf(byId<HTMLSelectElement>("send-asset").value);
  const amount = readAmount(byId<HTMLInputElement>("send-amount").value, asset);
  if (!recipient) return result(out, "error", "Enter the payee's address (0x…)");
  if (typeof amount === "string") return result(out, "error", amount);
  result(out, "busy", "Sending…");
  try {
    const payment = await wallet.client.transfer({ recipient, assetId: asset.id, amount });
    wallet.history.upsert({
      id: payment.paymentId,
      kind: "sent",
      counterparty: recipient,
      assetId: asset.id,
      amount: amount.toString(),
      status: payment.status,
    });
    out.dataset.status = payment.status;
    result(
      out,
      payment.status === "completed" ? "ok" : "pending",
      payment.status === "completed"
        ? `Sent ${amountText(amount, asset)}: completed`
        : `Sent ${amountText(amount, asset)}: ${payment.status} (the payee gets it when they are back online)`,
    );
    byId<HTMLInputElement>("send-amount").value = "";
    show(byId("send-request"), false);
  } catch (error) {
    result(out, "error", `Not sent: ${describeError(error)}`);
  }
  renderBalances();
}

function makeRequest(): void {
  if (!wallet) return;
  const asset = assetOf(byId<HTMLSelectElement>("request-asset").value);
  const text = byId<HTMLInputElement>("request-amount").value.trim();
  const amount = readAmount(text, asset);
  if (typeof amount === "string") {
    byId<HTMLInputElement>("request-amount").setCustomValidity(amount);
    byId<HTMLInputElement>("request-amount").reportValidity();
    return;
  }
  byId<HTMLInputElement>("request-amount").setCustomValidity("");
  const params = new URLSearchParams({
    to: wallet.signer.address,
    asset: asset.id,
    amount: formatUnits(amount, asset.decimals).replace(/\.0$/, ""),
  });
  const link = `${location.origin}/wallet#pay?${params}`;
  byId<HTMLInputElement>("request-link").value = link;
  showQr(byId("request-qr"), link, "QR code of the payment link");
  show(byId("request-out"));
}

function renderDeposit(): void {
  if (!wallet) return;
  const channel = wallet.client.channelAddress;
  byId("channel-address").textContent = channel;
  byId("signer-address").textContent = wallet.signer.address;
  showQr(byId("deposit-qr"), channel, "QR code of the channel's address");
}

async function onchainBalance(asset: Asset, address: string): Promise<bigint> {
  if (!wallet) return 0n;
  if (asset.id === ZeroAddress) return wallet.provider.getBalance(address);
  const token = new Contract(
    asset.id,
    ["function balanceOf(address) view returns (uint256)"],
    wallet.provider,
  );
  return (await token.getFunction("balanceOf")(address)) as bigint;
}

async function renderOnchain(): Promise<void> {
  if (!wallet) return;
  const address = wallet.signer.address;
  const rows = await Promise.all(
    wallet.assets.map(async (asset) => {
      const balance = await onchainBalance(asset, address).catch(() => undefined);
      const row = el("tr", undefined, { "data-asset": asset.id });
      row.append(
        el("td", asset.symbol),
        el("td", balance === undefined ? "?" : amountText(balance, asset), { class: "amount" }),
      );
      return row;
    }),
  );
  byId("onchain-rows").replaceChildren(...rows);
}

async function getTestFunds(): Promise<void> {
  if (!wallet) return;
  const out = byId("deposit-result");
  result(out, "busy", "Asking the dev node for test funds…");
  try {
    const response = await fetch("/dev/fund", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ address: wallet.signer.address }),
    });
    const body = (await response.json()) as { message?: string };
    if (!response.ok) throw new Error(body.message ?? `HTTP ${response.status}`);
    result(out, "ok", "Test funds received in this wallet's account: deposit them below.");
  } catch (error) {
    result(out, "error", `No test funds: ${describeError(error)}`);
  }
  await renderOnchain();
}

async function deposit(): Promise<void> {
  if (!wallet) return;
  const out = byId("deposit-result");
  const asset = assetOf(byId<HTMLSelectElement>("deposit-asset").value);
  const amount = readAmount(byId<HTMLInputElement>("deposit-amount").value, asset);
  if (typeof amount === "string") return result(out, "error", amount);
  result(out, "busy", "Depositing: waiting for the chain…");
  try {
    const { transactionHash } = await wallet.client.deposit({ assetId: asset.id, amount });
    wallet.history.upsert({
      id: transactionHash,
      kind: "deposit",
      assetId: asset.id,
      amount: amount.toString(),
      status: "completed",
      transactionHash,
    });
    result(out, "ok", `Deposited ${amountText(amount, asset)}`);
    byId<HTMLInputElement>("deposit-amount").value = "";
  } catch (error) {
    result(out, "error", `Not deposited: ${describeError(error)}`);
  }
  renderBalances();
  await renderOnchain();
}

async function renderWithdrawTerms(): Promise<void> {
  if (!wallet) return;
  const asset = assetOf(byId<HTMLSelectElement>("withdraw-asset").value);
  const terms = await wallet.client.getWithdrawalTerms(asset.id).catch(() => undefined);
  const out = byId("withdraw-terms");
  if (!terms) out.textContent = "";
  else if (terms.fee === 0n && terms.minimum === 0n) out.textContent = "The node charges no fee.";
  else {
    out.textContent = `The node's fee: ${amountText(terms.fee, asset)} on top · at least ${amountText(terms.minimum, asset)}`;
  }
}

async function withdraw(): Promise<void> {
  if (!wallet) return;
  const out = byId("withdraw-result");
  const recipient = readAddress(byId<HTMLInputElement>("withdraw-to").value);
  const asset = assetOf(byId<HTMLSelectElement>("withdraw-asset").value);
  const amount = readAmount(byId<HTMLInputElement>("withdraw-amount").value, asset);
  if (!recipient) return result(out, "error", "Enter the address to withdraw to (0x…)");
  if (typeof amount === "string") return result(out, "error", amount);
  result(out, "busy", "Withdrawing: waiting for the chain…");
  try {
    const { transactionHash } = await wallet.client.withdraw({
      assetId: asset.id,
      amount,
      recipient,
    });
    wallet.history.upsert({
      id: transactionHash,
      kind: "withdrawal",
      counterparty: recipient,
      assetId: asset.id,
      amount: amount.toString(),
      status: "completed",
      transactionHash,
    });
    out.dataset.transaction = transactionHash;
    result(out, "ok", `Withdrew ${amountText(amount, asset)} to ${short(recipient)}`);
    byId<HTMLInputElement>("withdraw-amount").value = "";
  } catch (error) {
    result(out, "error", `Not withdrawn: ${describeError(error)}`);
  }
  renderBalances();
}

async function burn(): Promise<void> {
  setStatus("Burning the wallet…");
  await wallet?.client.close().catch(() => {});
  await store.close().catch(() => {});
  await new Promise<void>((resolve) => {
    const request = indexedDB.deleteDatabase(STORE_NAME);
    request.onsuccess = request.onerror = request.onblocked = () => resolve();
  });
  location.replace("/wallet");
}

// ---- formatting ----

function short(address: string): string {
  return `${address.slice(0, 6)}…${address.slice(-4)}`;
}

function amountText(amount: bigint, asset: Asset): string {
  const [whole, fraction = ""] = formatUnits(amount, asset.decimals).split(".");
  const trimmed = fraction.slice(0, 6).replace(/0+$/, "");
  return `${whole}${trimmed ? `.${trimmed}` : ""} ${asset.symbol}`;
}

main().catch((error) => setStatus(`The wallet failed: ${describeError(error)}`, "error"));

/** Where the page finds its script and styles (versioned paths). */
export interface WalletPageAssets {
  script: string;
  pico: string;
  styles: string;
}

/**
 * The wallet's one page: static markup only (no data of anyone's in it), filled in by the
 * script, which writes every value with textContent. No inline script, style or handler, so
 * it runs under WALLET_CSP.
 */
export function walletPage(assets: WalletPageAssets, options: { devFunding: boolean }): string {
  return `<!doctype html>
<html lang="en" data-theme="light">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>connext card</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${assets.pico}">
<link rel="stylesheet" href="${assets.styles}">
<script type="module" src="${assets.script}"></script>
</head>
<body data-dev-funding="${options.devFunding ? "on" : "off"}">
<header class="container">
  <nav>
    <ul><li><strong class="brand">connext card</strong></li></ul>
    <ul><li><small id="me" class="mono"></small></li></ul>
  </nav>
</header>
<main class="container">
  <p id="status" role="status" aria-live="polite"></p>
  <p id="loading">Loading the wallet…</p>

  <section id="onboarding" hidden>
    <article>
      <header><h2>Welcome</h2></header>
      <p>This wallet keeps its key in this browser. Create a new one, or bring yours back with its recovery phrase.</p>
      <button id="create" type="button">Create a new wallet</button>
      <details>
        <summary>Import from a recovery phrase</summary>
        <form id="import-form">
          <label for="import-phrase">Recovery phrase (12 or 24 words)</label>
          <textarea id="import-phrase" name="phrase" rows="3" autocomplete="off" autocapitalize="none" spellcheck="false" required></textarea>
          <small id="import-error" class="error"></small>
          <button type="submit" class="secondary">Import</button>
        </form>
      </details>
    </article>
  </section>

  <section id="backup" hidden>
    <article>
      <header><h2>Your recovery phrase</h2></header>
      <p class="warning"><strong>Write these words down and keep them safe.</strong> They are the only way to get this wallet back if this browser's data is lost. Anyone who has them can spend its money.</p>
      <ol id="backup-words" class="words"></ol>
      <label><input id="backup-saved" type="checkbox"> I have saved my recovery phrase</label>
      <button id="backup-done" type="button" disabled>Open my wallet</button>
    </article>
  </section>

  <section id="wallet" hidden>
    <article id="balances">
      <header><h2>Balance</h2></header>
      <table class="balances">
        <thead><tr><th scope="col">Asset</th><th scope="col" class="amount">In the channel</th></tr></thead>
        <tbody id="balance-rows"></tbody>
      </table>
      <small id="connection" class="muted"></small>
    </article>

    <nav class="tabs" aria-label="Wallet">
      <a href="#send" data-tab-link="send">Send</a>
      <a href="#request" data-tab-link="request">Request</a>
      <a href="#deposit" data-tab-link="deposit">Deposit</a>
      <a href="#history" data-tab-link="history">History</a>
      <a href="#withdraw" data-tab-link="withdraw">Withdraw</a>
      <a href="#settings" data-tab-link="settings">Settings</a>
    </nav>

    <article data-tab="send">
      <header><h3>Send</h3></header>
      <p id="send-request" class="notice" hidden></p>
      <form id="send-form">
        <label for="send-to">To (address)</label>
        <input id="send-to" name="to" placeholder="0x…" autocomplete="off" autocapitalize="none" spellcheck="false" required>
        <div class="grid">
          <label>Asset <select id="send-asset" name="asset" class="asset-select"></select></label>
          <label>Amount <input id="send-amount" name="amount" inputmode="decimal" placeholder="0.0" autocomplete="off" required></label>
        </div>
        <button type="submit">Send</button>
      </form>
      <p id="send-result" class="result" hidden></p>
    </article>

    <article data-tab="request" hidden>
      <header><h3>Request a payment</h3></header>
      <form id="request-form">
        <div class="grid">
          <label>Asset <select id="request-asset" name="asset" class="asset-select"></select></label>
          <label>Amount <input id="request-amount" name="amount" inputmode="decimal" placeholder="0.0" autocomplete="off" required></label>
        </div>
        <button type="submit">Make a payment link</button>
      </form>
      <div id="request-out" hidden>
        <p>Share this link or let the payer scan the code:</p>
        <div class="qr" id="request-qr"></div>
        <input id="request-link" readonly aria-label="Payment link">
        <button id="request-copy" type="button" class="secondary">Copy link</button>
      </div>
    </article>

    <article data-tab="deposit" hidden>
      <header><h3>Deposit</h3></header>
      <p>Your channel's address: send coins or tokens here from any wallet, or deposit from this wallet's own account below.</p>
      <div class="qr" id="deposit-qr"></div>
      <p class="mono break" id="channel-address"></p>
      <h4>This wallet's account on-chain</h4>
      <p class="mono break" id="signer-address"></p>
      <table>
        <thead><tr><th scope="col">Asset</th><th scope="col" class="amount">On-chain</th></tr></thead>
        <tbody id="onchain-rows"></tbody>
      </table>
      <button id="faucet" type="button" class="secondary" hidden>Get test funds</button>
      <form id="deposit-form">
        <div class="grid">
          <label>Asset <select id="deposit-asset" name="asset" class="asset-select"></select></label>
          <label>Amount <input id="deposit-amount" name="amount" inputmode="decimal" placeholder="0.0" autocomplete="off" required></label>
        </div>
        <button type="submit">Deposit into the channel</button>
      </form>
      <p id="deposit-result" class="result" hidden></p>
    </article>

    <article data-tab="history" hidden>
      <header><h3>History</h3></header>
      <p id="history-empty" class="muted">No payments yet.</p>
      <ul id="history-list" class="history"></ul>
    </article>

    <article data-tab="withdraw" hidden>
      <header><h3>Withdraw</h3></header>
      <form id="withdraw-form">
        <label for="withdraw-to">To (address)</label>
        <input id="withdraw-to" name="to" placeholder="0x…" autocomplete="off" autocapitalize="none" spellcheck="false" required>
        <div class="grid">
          <label>Asset <select id="withdraw-asset" name="asset" class="asset-select"></select></label>
          <label>Amount <input id="withdraw-amount" name="amount" inputmode="decimal" placeholder="0.0" autocomplete="off" required></label>
        </div>
        <small id="withdraw-terms" class="muted"></small>
        <button type="submit">Withdraw</button>
      </form>
      <p id="withdraw-result" class="result" hidden></p>
    </article>

    <article data-tab="settings" hidden>
      <header><h3>Settings</h3></header>
      <h4>Recovery phrase</h4>
      <button id="show-phrase" type="button" class="secondary">Show my recovery phrase</button>
      <ol id="settings-words" class="words" hidden></ol>
      <h4>Burn this wallet</h4>
      <p>Removes the key and the channel from this browser. Without the recovery phrase, its money is gone.</p>
      <button id="burn" type="button" class="contrast">Burn wallet</button>
      <div id="burn-confirm" hidden>
        <p class="warning">Sure? This cannot be undone here.</p>
        <button id="burn-yes" type="button" class="danger">Yes, burn it</button>
        <button id="burn-no" type="button" class="secondary">Keep it</button>
      </div>
    </article>
  </section>
</main>
</body>
</html>
`;
}

/**
 * The page's Content-Security-Policy: scripts and styles from the node only (no inline code),
 * requests to the node only (HTTP and its WebSocket messaging), never framed. `data:` images
 * are Pico's icons.
 */
export const WALLET_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

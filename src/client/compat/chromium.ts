import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The Debian package that provides it; .ci/run installs it. */
export const CHROMIUM_PACKAGE = "chromium";

/** A Chromium-family browser on this machine: $CHROMIUM_BIN, else the first one on PATH. */
export const CHROMIUM_BIN =
  process.env.CHROMIUM_BIN ??
  ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]
    .map((name) => Bun.which(name))
    .find((path) => path !== null);

export interface Page {
  /** What the page logged and threw, in order ("log: …", "error: …", "exception: …"). */
  readonly console: string[];
  navigate(url: string): Promise<void>;
}

export interface Chromium {
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

interface CdpMessage {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
  sessionId?: string;
}

/**
 * Starts headless Chromium with a temporary profile and drives it over the Chrome DevTools
 * Protocol (a WebSocket on --remote-debugging-port): enough to open pages and hear their
 * console, no driver package needed.
 */
export async function launchChromium(bin = CHROMIUM_BIN): Promise<Chromium> {
  if (!bin) throw new Error(`no Chromium: install the Debian package ${CHROMIUM_PACKAGE}`);
  const profile = await mkdtemp(join(tmpdir(), "connext-chromium-"));
  const browser = Bun.spawn(
    [
      bin,
      "--headless=new",
      "--no-sandbox", // CI runs as root, where Chromium's sandbox refuses to start
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--no-first-run",
      "--no-default-browser-check",
      "--disable-extensions",
      "--disable-background-networking",
      `--user-data-dir=${profile}`,
      "--remote-debugging-address=127.0.0.1",
      "--remote-debugging-port=0",
      "about:blank",
    ],
    { stdout: "ignore", stderr: "pipe" },
  );
  try {
    const endpoint = await devToolsEndpoint(browser.stderr);
    const cdp = await connectCdp(endpoint);
    return {
      async newPage() {
        const { targetId } = await cdp.send("Target.createTarget", { url: "about:blank" });
        const { sessionId } = await cdp.send("Target.attachToTarget", { targetId, flatten: true });
        const page = sessionId as string;
        const lines: string[] = [];
        cdp.listen(page, (method, params) => {
          if (method === "Runtime.consoleAPICalled") {
            const args = (params.args as { value?: unknown; description?: string }[]) ?? [];
            const text = args.map((a) => a.description ?? JSON.stringify(a.value)).join(" ");
            lines.push(`${params.type}: ${text}`);
          } else if (method === "Runtime.exceptionThrown") {
            const details = params.exceptionDetails as {
              text: string;
              exception?: { description?: string };
            };
            lines.push(`exception: ${details.exception?.description ?? details.text}`);
          } else if (method === "Log.entryAdded") {
            const entry = params.entry as { level: string; text: string; url?: string };
            lines.push(`${entry.level}: ${entry.text}${entry.url ? ` (${entry.url})` : ""}`);
          }
        });
        await cdp.send("Runtime.enable", {}, page);
        await cdp.send("Log.enable", {}, page);
        await cdp.send("Page.enable", {}, page);
        return {
          console: lines,
          async navigate(url) {
            const { errorText } = await cdp.send("Page.navigate", { url }, page);
            if (errorText) throw new Error(`Chromium could not open ${url}: ${errorText}`);
          },
        };
      },
      async close() {
        await cdp.send("Browser.close").catch(() => {});
        cdp.close();
        const exited = await Promise.race([browser.exited, Bun.sleep(5_000).then(() => null)]);
        if (exited === null) browser.kill("SIGKILL");
        await browser.exited;
        await rm(profile, { recursive: true, force: true });
      },
    };
  } catch (error) {
    browser.kill("SIGKILL");
    await browser.exited;
    await rm(profile, { recursive: true, force: true });
    throw error;
  }
}

/** Chromium prints "DevTools listening on ws://…" on stderr once it is ready. */
async function devToolsEndpoint(stderr: ReadableStream<Uint8Array>): Promise<string> {
  const decoder = new TextDecoder();
  let seen = "";
  const reader = stderr.getReader();
  const timeout = setTimeout(() => reader.cancel(), 20_000);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`Chromium did not start:\n${seen}`);
      seen += decoder.decode(value, { stream: true });
      const match = seen.match(/DevTools listening on (ws:\/\/\S+)/);
      if (match) return match[1] as string;
    }
  } finally {
    clearTimeout(timeout);
    reader.releaseLock();
    // Keep draining stderr so that a chatty browser never blocks on a full pipe.
    stderr.pipeTo(new WritableStream()).catch(() => {});
  }
}

async function connectCdp(url: string) {
  const socket = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    socket.onopen = () => resolve();
    socket.onerror = () => reject(new Error(`cannot reach Chromium's DevTools at ${url}`));
  });
  let nextId = 1;
  const pending = new Map<number, { resolve(r: CdpMessage): void; reject(e: Error): void }>();
  const listeners = new Map<string, (method: string, params: Record<string, unknown>) => void>();
  socket.onmessage = (event) => {
    const message = JSON.parse(String(event.data)) as CdpMessage;
    if (message.id !== undefined) {
      const waiter = pending.get(message.id);
      pending.delete(message.id);
      if (message.error) waiter?.reject(new Error(`CDP: ${message.error.message}`));
      else waiter?.resolve(message);
    } else if (message.method && message.sessionId) {
      listeners.get(message.sessionId)?.(message.method, message.params ?? {});
    }
  };
  socket.onclose = () => {
    for (const waiter of pending.values()) waiter.reject(new Error("Chromium closed DevTools"));
    pending.clear();
  };
  return {
    // biome-ignore lint/suspicious/noExplicitAny: CDP results are untyped JSON
    send(method: string, params: object = {}, sessionId?: string): Promise<Record<string, any>> {
      const id = nextId++;
      socket.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve: (message) => resolve(message.result ?? {}), reject });
      });
    },
    listen(sessionId: string, listener: (method: string, params: Record<string, unknown>) => void) {
      listeners.set(sessionId, listener);
    },
    close() {
      socket.close();
    },
  };
}

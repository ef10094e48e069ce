import { describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { DEV_MNEMONIC, devAccount } from "../../contracts-bindings";
import { DEFAULTS, loadConfig, redactCredentials, requireSetting } from "./config";
import { ConfigError } from "./errors";
import { SETTINGS } from "./settingTable";

const KEY = devAccount(1).privateKey;
const TOKEN = "0x5FbDB2315678afecb367f032d93F642f64180aa3";

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

describe("defaults", () => {
  test("every setting has its default when nothing is given", () => {
    const config = loadConfig("dev", {}, {});
    expect(config).toEqual({
      host: "127.0.0.1",
      port: 3000,
      trustProxy: false,
      dataDir: resolve(".connext"),
      databaseUrl: undefined,
      natsUrl: undefined,
      natsPort: 4222,
      ethRpcUrl: undefined,
      privateKey: undefined,
      addressBookPath: undefined,
      adminToken: undefined,
      nodeUrl: "http://127.0.0.1:3000",
      logLevel: "info",
      confirmations: 1,
      collateral: undefined,
    });
    expect(DEFAULTS.port).toBe(3000);
  });

  test("an empty environment variable counts as unset", () => {
    const config = loadConfig("start", {}, { PORT: "", ETH_RPC_URL: "", LOG_LEVEL: "" });
    expect(config.port).toBe(3000);
    expect(config.ethRpcUrl).toBeUndefined();
    expect(config.logLevel).toBe("info");
  });
});

describe("values", () => {
  test("every setting is read from the environment", () => {
    const config = loadConfig(
      "start",
      {},
      {
        PORT: "8080",
        HOST: "0.0.0.0",
        PUBLIC_URL: "https://Node.Example/connext/",
        TRUST_PROXY: "true",
        DATA_DIR: "/var/lib/connext",
        DATABASE_URL: "postgres://connext:pw@db:5432/connext",
        NATS_URL: "nats://a:4222,tls://b:4222",
        NATS_PORT: "0",
        ETH_RPC_URL: "wss://rpc.example/ws",
        NODE_PRIVATE_KEY: KEY.slice(2).toUpperCase(),
        ADDRESS_BOOK: "book.json",
        ADMIN_TOKEN: "a-long-admin-token-123",
        METRICS_TOKEN: "a-long-metrics-token-123",
        LOG_LEVEL: "debug",
        CONFIRMATIONS: "3",
        COLLATERAL_IDLE_SECONDS: "3600",
        COLLATERAL_REQUEST_INTERVAL_SECONDS: "0",
        COLLATERAL: JSON.stringify({
          eth: { target: "10", reclaimThreshold: "20" },
          [TOKEN]: { target: "1000", reclaimThreshold: "1000" },
        }),
        WITHDRAWALS: JSON.stringify({
          ETH: { minimum: "1000000000000000", fee: "100000000000000" },
          [TOKEN]: { minimum: "5", fee: "0" },
        }),
        WITHDRAWALS_PER_HOUR: "0",
      },
    );
    expect(config).toEqual({
      host: "0.0.0.0",
      port: 8080,
      publicUrl: "https://node.example/connext",
      trustProxy: true,
      dataDir: "/var/lib/connext",
      databaseUrl: "postgres://connext:pw@db:5432/connext",
      natsUrl: "nats://a:4222,tls://b:4222",
      natsPort: 0,
      ethRpcUrl: "wss://rpc.example/ws",
      privateKey: KEY,
      addressBookPath: resolve("book.json"),
      adminToken: "a-long-admin-token-123",
      nodeUrl: "http://127.0.0.1:3000",
      metricsToken: "a-long-metrics-token-123",
      logLevel: "debug",
      confirmations: 3,
      collateral: {
        "0x0000000000000000000000000000000000000000": { target: 10n, reclaimThreshold: 20n },
        [TOKEN.toLowerCase()]: { target: 1000n, reclaimThreshold: 1000n },
      },
      collateralIdleSeconds: 3600,
      collateralRequestIntervalSeconds: 0,
      withdrawals: {
        "0x0000000000000000000000000000000000000000": {
          minimum: 1_000_000_000_000_000n,
          fee: 100_000_000_000_000n,
        },
        [TOKEN.toLowerCase()]: { minimum: 5n, fee: 0n },
      },
      withdrawalsPerHour: 0,
    });
  });

  test("a flag wins over its environment variable", () => {
    const env = { PORT: "8080", HOST: "0.0.0.0", LOG_LEVEL: "debug", ETH_RPC_URL: "http://a:1" };
    const flags = {
      port: "9090",
      host: "localhost",
      "log-level": "warn",
      "eth-rpc-url": "http://b:2",
    };
    const config = loadConfig("dev", flags, env);
    expect([config.port, config.host, config.logLevel, config.ethRpcUrl]).toEqual([
      9090,
      "localhost",
      "warn",
      "http://b:2",
    ]);
  });

  test("a mnemonic gives its account 0's key", () => {
    const config = loadConfig(
      "deploy",
      {},
      { NODE_MNEMONIC: `  ${DEV_MNEMONIC.replaceAll(" ", "\n ")} ` },
    );
    expect(config.privateKey).toBe(devAccount(0).privateKey);
  });

  test("settings another command reads are not looked at", () => {
    const config = loadConfig(
      "migrate",
      {},
      { PORT: "not a port", ETH_RPC_URL: "foo", DATA_DIR: "x" },
    );
    expect(config.port).toBe(3000);
    expect(config.ethRpcUrl).toBeUndefined();
    expect(config.dataDir).toBe(resolve("x"));
  });
});

describe("the node's key", () => {
  test("a key and a mnemonic together are refused", () => {
    const error = configError(() =>
      loadConfig("start", {}, { NODE_PRIVATE_KEY: KEY, NODE_MNEMONIC: DEV_MNEMONIC }),
    );
    expect(error.code).toBe("CONFLICTING_SETTINGS");
    expect(error.message).toBe(
      "NODE_PRIVATE_KEY, NODE_MNEMONIC: give the node's key one way, not both",
    );
  });

  test("as flags too", () => {
    const flags = { "private-key": KEY, mnemonic: DEV_MNEMONIC };
    const error = configError(() => loadConfig("start", flags, {}));
    expect(error.message).toBe("--private-key, --mnemonic: give the node's key one way, not both");
  });

  test("a key flag overrides a mnemonic in the environment, and the other way round", () => {
    expect(
      loadConfig("start", { "private-key": KEY }, { NODE_MNEMONIC: DEV_MNEMONIC }).privateKey,
    ).toBe(KEY);
    const fromMnemonic = loadConfig("start", { mnemonic: DEV_MNEMONIC }, { NODE_PRIVATE_KEY: KEY });
    expect(fromMnemonic.privateKey).toBe(devAccount(0).privateKey);
  });
});

describe("a wrong setting is one line naming it", () => {
  const cases: [env: string, value: string, message: string][] = [
    ["PORT", "http", 'PORT: must be a port number from 0 to 65535, got "http"'],
    ["PORT", "65536", 'PORT: must be a port number from 0 to 65535, got "65536"'],
    ["HOST", "http://x", 'HOST: must be a host name or IP address, got "http://x"'],
    [
      "PUBLIC_URL",
      "node.example",
      'PUBLIC_URL: must be an http(s) URL with a host and no credentials, query or fragment, got "node.example"',
    ],
    [
      "PUBLIC_URL",
      "https://u:secret@node.example",
      'PUBLIC_URL: must be an http(s) URL with a host and no credentials, query or fragment, got "https://u:***@node.example"',
    ],
    ["TRUST_PROXY", "yes", 'TRUST_PROXY: must be true or false (or 1 or 0), got "yes"'],
    [
      "DATABASE_URL",
      "mysql://u:secret@h/db",
      'DATABASE_URL: must be a postgres:// or postgresql:// URL, got "mysql://u:***@h/db"',
    ],
    [
      "NATS_URL",
      "nats://a:4222,http://b",
      'NATS_URL: must be nats:// or tls:// URLs, comma-separated, got "nats://a:4222,http://b"',
    ],
    ["NATS_PORT", "-1", 'NATS_PORT: must be a port number from 0 to 65535, got "-1"'],
    ["ETH_RPC_URL", "foo", 'ETH_RPC_URL: must be an http(s) or ws(s) URL, got "foo"'],
    ["ETH_RPC_URL", "ftp://x", 'ETH_RPC_URL: must be an http(s) or ws(s) URL, got "ftp://x"'],
    [
      "NODE_PRIVATE_KEY",
      "0x1234",
      "NODE_PRIVATE_KEY: must be 32 bytes as 64 hex digits (value not shown)",
    ],
    [
      "NODE_PRIVATE_KEY",
      `0x${"0".repeat(64)}`,
      "NODE_PRIVATE_KEY: is not a valid secp256k1 private key (value not shown)",
    ],
    [
      "NODE_MNEMONIC",
      "test test test",
      "NODE_MNEMONIC: must be a valid BIP-39 mnemonic (value not shown)",
    ],
    [
      "ADMIN_TOKEN",
      "short",
      "ADMIN_TOKEN: must be at least 16 characters, no spaces (value not shown)",
    ],
    [
      "METRICS_TOKEN",
      "short",
      "METRICS_TOKEN: must be at least 16 characters, no spaces (value not shown)",
    ],
    [
      "LOG_LEVEL",
      "verbose",
      'LOG_LEVEL: must be one of trace, debug, info, warn, error, fatal, silent, got "verbose"',
    ],
    [
      "CONFIRMATIONS",
      "0",
      'CONFIRMATIONS: must be a whole number of blocks from 1 to 1000, got "0"',
    ],
    [
      "CONFIRMATIONS",
      "1.5",
      'CONFIRMATIONS: must be a whole number of blocks from 1 to 1000, got "1.5"',
    ],
    ["COLLATERAL", "{nope", 'COLLATERAL: must be JSON, got "{nope"'],
    ["COLLATERAL", "[]", 'COLLATERAL: must be a JSON object keyed by asset, got "[]"'],
    [
      "COLLATERAL",
      '{"0x12": {"target": "1", "reclaimThreshold": "2"}}',
      'COLLATERAL: 0x12: must be an asset address (or "ETH")',
    ],
    [
      "COLLATERAL",
      '{"ETH": {"target": 1, "reclaimThreshold": "2"}}',
      "COLLATERAL: ETH.target: must be a decimal string of wei",
    ],
    [
      "COLLATERAL",
      '{"ETH": {"target": "5", "reclaimThreshold": "2"}}',
      "COLLATERAL: ETH: reclaimThreshold must be at least target",
    ],
    [
      "COLLATERAL",
      '{"ETH": {"target": "5"}}',
      "COLLATERAL: ETH.reclaimThreshold: must be a decimal string of wei",
    ],
    [
      "COLLATERAL",
      '{"ETH": {"target": "5", "reclaimThreshold": "6", "x": 1}}',
      "COLLATERAL: ETH: must be { target, reclaimThreshold }",
    ],
    [
      "COLLATERAL_IDLE_SECONDS",
      "1d",
      'COLLATERAL_IDLE_SECONDS: must be a whole number of seconds from 0 to 31536000, got "1d"',
    ],
    [
      "COLLATERAL_REQUEST_INTERVAL_SECONDS",
      "86401",
      'COLLATERAL_REQUEST_INTERVAL_SECONDS: must be a whole number of seconds from 0 to 86400, got "86401"',
    ],
    ["WITHDRAWALS", "{nope", 'WITHDRAWALS: must be JSON, got "{nope"'],
    ["WITHDRAWALS", '"ETH"', 'WITHDRAWALS: must be a JSON object keyed by asset, got "\\"ETH\\""'],
    [
      "WITHDRAWALS",
      '{"BTC": {"minimum": "1", "fee": "0"}}',
      'WITHDRAWALS: BTC: must be an asset address (or "ETH")',
    ],
    [
      "WITHDRAWALS",
      '{"ETH": {"minimum": "0.001", "fee": "0"}}',
      "WITHDRAWALS: ETH.minimum: must be a decimal string of wei",
    ],
    [
      "WITHDRAWALS",
      '{"ETH": {"minimum": "1000"}}',
      "WITHDRAWALS: ETH.fee: must be a decimal string of wei",
    ],
    [
      "WITHDRAWALS",
      '{"ETH": {"minimum": "1000", "fee": "-1"}}',
      "WITHDRAWALS: ETH.fee: must be a decimal string of wei",
    ],
    [
      "WITHDRAWALS",
      '{"ETH": {"minimum": "1000", "fee": "1", "max": "5"}}',
      "WITHDRAWALS: ETH: must be { minimum, fee }",
    ],
    [
      "WITHDRAWALS_PER_HOUR",
      "ten",
      'WITHDRAWALS_PER_HOUR: must be a whole number of withdrawals from 0 to 100000, got "ten"',
    ],
    [
      "WITHDRAWALS_PER_HOUR",
      "100001",
      'WITHDRAWALS_PER_HOUR: must be a whole number of withdrawals from 0 to 100000, got "100001"',
    ],
  ];

  for (const [env, value, message] of cases) {
    test(`${env}=${value}`, () => {
      const error = configError(() => loadConfig("start", {}, { [env]: value }));
      expect(error.message).toBe(message);
      expect(error.message).not.toContain("\n");
      expect(error.code).toBe("INVALID_SETTING");
      expect(error.setting).toBe(env);
    });
  }

  test("an empty DATA_DIR flag names the flag", () => {
    const error = configError(() => loadConfig("migrate", { "data-dir": "" }, {}));
    expect(error.message).toBe('--data-dir: must be a directory path, got ""');
    expect(error.setting).toBe("DATA_DIR");
  });

  test("a secret is never echoed", () => {
    const secret = `0x${"z".repeat(64)}`;
    const error = configError(() => loadConfig("start", { "private-key": secret }, {}));
    expect(error.message).toBe(
      "--private-key: must be 32 bytes as 64 hex digits (value not shown)",
    );
  });

  test("every setting in the table is covered above", () => {
    const covered = new Set(cases.map(([env]) => env));
    covered.add("DATA_DIR");
    covered.add("ADDRESS_BOOK"); // any path is accepted; its content is checked when read
    covered.add("NODE_URL"); // read by `dispute` only: its own test below
    expect([...covered].sort()).toEqual(
      Object.values(SETTINGS)
        .map((spec) => spec.env)
        .sort(),
    );
  });
});

describe("dispute's settings", () => {
  test("NODE_URL: an http(s) URL, the local node by default; ADMIN_TOKEN read too", () => {
    expect(loadConfig("dispute", {}, {}).nodeUrl).toBe("http://127.0.0.1:3000");
    const config = loadConfig(
      "dispute",
      { "node-url": "https://node.example" },
      { ADMIN_TOKEN: "a-long-admin-token-123" },
    );
    expect(config.nodeUrl).toBe("https://node.example");
    expect(config.adminToken).toBe("a-long-admin-token-123");
    const error = configError(() => loadConfig("dispute", {}, { NODE_URL: "nats://x" }));
    expect(error.message).toBe('NODE_URL: must be an http(s) URL, got "nats://x"');
    expect(error.code).toBe("INVALID_SETTING");
  });
});

describe("requireSetting", () => {
  test("names the missing setting and its flag", () => {
    const config = loadConfig("start", {}, {});
    const rpc = configError(() => requireSetting(config, "ethRpcUrl", "start"));
    expect(rpc.message).toBe('ETH_RPC_URL: "start" needs it (or --eth-rpc-url)');
    expect(rpc.code).toBe("MISSING_SETTING");
    const key = configError(() => requireSetting(config, "privateKey", "deploy"));
    expect(key.message).toBe(
      'NODE_PRIVATE_KEY or NODE_MNEMONIC: "deploy" needs the node\'s key (or --private-key / --mnemonic)',
    );
    const book = configError(() => requireSetting(config, "addressBookPath", "start"));
    expect(book.message).toBe('ADDRESS_BOOK: "start" needs it (or --address-book)');
  });

  test("returns the value when it is there", () => {
    const config = loadConfig("start", {}, { ETH_RPC_URL: "http://127.0.0.1:8545" });
    expect(requireSetting(config, "ethRpcUrl", "start")).toBe("http://127.0.0.1:8545");
  });
});

test("redactCredentials hides the password of every URL in a value", () => {
  expect(redactCredentials("postgres://u:p@h/db")).toBe("postgres://u:***@h/db");
  expect(redactCredentials("nats://a:b@x:1,nats://c:d@y:2")).toBe(
    "nats://a:***@x:1,nats://c:***@y:2",
  );
  expect(redactCredentials("https://rpc.example/v3/key")).toBe("https://rpc.example/v3/key");
});

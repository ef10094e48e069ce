import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { Wallet } from "ethers";
import { natsKeysFromPrivateKey } from "../../auth/natsKeys";
import { natsServerConfig } from "../../auth/natsServerConfig";
import type { Command } from "../command";
import { requireSetting } from "../config";
import { UsageError } from "../errors";

export const natsConfigCommand: Command = {
  name: "nats-config",
  summary: "write a nats-server configuration that accepts only the node's users",
  details: [
    "Writes a configuration for `nats-server -c <file>` in operator mode: the operator and",
    "account JWTs derived from the node's key, preloaded (resolver: MEMORY). nats-server then",
    "accepts only user JWTs the node issues (its own processes', and each client's at sign-in)",
    "and enforces each one's permissions, as the embedded broker does. Nothing in it is secret;",
    "run it again with the same key and it describes the same account. Point NATS_URL at it.",
  ],
  options: {
    out: {
      type: "string",
      placeholder: "<file>",
      defaultText: "stdout",
      description: "Where to write the configuration.",
    },
    "listen-host": {
      type: "string",
      placeholder: "<address>",
      defaultText: "127.0.0.1",
      description: "Address nats-server listens on (clients, WebSocket, cluster).",
    },
    "listen-port": {
      type: "string",
      placeholder: "<port>",
      defaultText: "4222",
      description: "nats-server's client port.",
    },
    "websocket-port": {
      type: "string",
      placeholder: "<port>",
      defaultText: "none",
      description: "Also a WebSocket listener for browsers (plain ws: put TLS in front).",
    },
    "server-name": {
      type: "string",
      placeholder: "<name>",
      defaultText: "nats-server's own",
      description: "server_name; each server of a cluster needs a different one.",
    },
    "cluster-port": {
      type: "string",
      placeholder: "<port>",
      defaultText: "none",
      description: "A cluster listener on this port: the server joins a cluster.",
    },
    routes: {
      type: "string",
      placeholder: "<host:port,...>",
      defaultText: "none",
      description: "With --cluster-port: the other servers' cluster listeners, comma-separated.",
    },
  },
  async run({ config, flags, print }) {
    const privateKey = requireSetting(config, "privateKey", "nats-config");
    const node = new Wallet(privateKey).address;
    const routes = stringFlag(flags.routes, "routes");
    const clusterPort = portFlag(flags["cluster-port"], "cluster-port");
    if (routes !== undefined && clusterPort === undefined) {
      throw new UsageError("BAD_ARGUMENT", "--routes: needs --cluster-port");
    }
    const text = await natsServerConfig(natsKeysFromPrivateKey(privateKey), {
      node,
      host: stringFlag(flags["listen-host"], "listen-host"),
      port: portFlag(flags["listen-port"], "listen-port"),
      websocketPort: portFlag(flags["websocket-port"], "websocket-port"),
      serverName: stringFlag(flags["server-name"], "server-name"),
      clusterPort,
      routes: routes
        ?.split(",")
        .map((route) => route.trim())
        .filter((route) => route !== ""),
    });
    if (typeof flags.out !== "string") {
      print(text.trimEnd());
      return 0;
    }
    const out = resolve(flags.out);
    await writeFile(out, text);
    print(out);
    return 0;
  },
};

function stringFlag(value: string | boolean | undefined, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value.trim() === "") {
    throw new UsageError("BAD_ARGUMENT", `--${name}: needs a value`);
  }
  if (/[\s"\\{}]/.test(value)) {
    throw new UsageError("BAD_ARGUMENT", `--${name}: no spaces, quotes, backslashes or braces`);
  }
  return value;
}

function portFlag(value: string | boolean | undefined, name: string): number | undefined {
  const text = stringFlag(value, name);
  if (text === undefined) return undefined;
  const port = Number(text);
  if (!/^\d{1,5}$/.test(text) || port < 1 || port > 65_535) {
    throw new UsageError("BAD_ARGUMENT", `--${name}: must be a port number from 1 to 65535`);
  }
  return port;
}

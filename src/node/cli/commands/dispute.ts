import { isAddress } from "ethers";
import type { Command } from "../command";
import { requireSetting } from "../config";
import { CommandError, ConfigError, UsageError } from "../errors";

export const disputeCommand: Command = {
  name: "dispute",
  summary: "start a channel's unilateral exit on the running node, or show where it stands",
  details: [
    "Asks the node at NODE_URL (with ADMIN_TOKEN) to put its latest doubly-signed state of the",
    "channel on-chain: from then on the node signs nothing on it and carries the exit through on",
    "its own (defund, transfers, its exit), then resumes the channel once the dispute has run its",
    "course. With --status, prints where the channel's dispute stands instead.",
  ],
  options: {
    channel: {
      type: "string",
      placeholder: "<address>",
      description: "The channel to exit (required).",
    },
    status: {
      type: "boolean",
      description: "Show the channel's dispute and the node's transactions for it; start nothing.",
    },
  },
  async run({ config, flags, print }) {
    const channel = flags.channel;
    if (typeof channel !== "string" || !isAddress(channel)) {
      throw new UsageError("BAD_ARGUMENT", "--channel: the channel's 0x address is required");
    }
    const token = requireSetting(config, "adminToken", "dispute");
    const url = `${config.nodeUrl.replace(/\/+$/, "")}/admin/channels/${channel}/dispute`;
    let response: Response;
    try {
      response = await fetch(url, {
        method: flags.status ? "GET" : "POST",
        headers: { authorization: `Bearer ${token}` },
      });
    } catch (cause) {
      throw new CommandError(
        "NODE_UNREACHABLE",
        `NODE_URL: ${config.nodeUrl} did not answer (${(cause as Error).message})`,
        { cause },
      );
    }
    const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    if (response.status === 401) {
      throw new ConfigError("INVALID_SETTING", "ADMIN_TOKEN", "ADMIN_TOKEN: the node refused it");
    }
    if (!response.ok) {
      throw new CommandError(
        "DISPUTE_REFUSED",
        `${String(body.code ?? response.status)}: ${String(body.message ?? "refused")}`,
      );
    }
    print(JSON.stringify(body));
    return 0;
  },
};

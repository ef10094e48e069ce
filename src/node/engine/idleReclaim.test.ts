import { describe, expect, test } from "bun:test";
import pino from "pino";
import { NodeError } from "./errors";
import { type IdleChannel, IdleReclaim } from "./idleReclaim";

const ETH = "0x0000000000000000000000000000000000000000";
const TOKEN = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const OTHER = "0x00000000000000000000000000000000000000D2";
const DAY = 86_400;
const INTERVAL_MS = 600_000;

interface FakeChannel extends IdleChannel {
  /** Last update, ms since the epoch. */
  updatedAt: number;
  /** Whether the user answers the node's proposal. */
  online: boolean;
}

/** Channels in memory, a moving clock, and a record of the reclaims proposed. */
function world(channels: FakeChannel[], keep: Record<string, bigint> = {}) {
  let now = 1_800_000_000_000;
  const proposed: [user: string, asset: string, keep: bigint][] = [];
  const attempts: string[] = [];
  const befores: Date[] = [];
  const reclaimer = new IdleReclaim({
    idleChannels: async (before) => {
      befores.push(before);
      return channels.filter((c) => c.updatedAt < before.getTime());
    },
    keep: async (user, asset) => keep[`${user}:${asset}`] ?? 0n,
    reclaim: async (user, asset, kept) => {
      attempts.push(user);
      const channel = channels.find((c) => c.bob === user) as FakeChannel;
      if (!channel.online) throw new NodeError("PEER_UNAVAILABLE", `${user} did not answer`);
      proposed.push([user, asset, kept]);
      channel.nodeBalances[asset] = kept;
      channel.updatedAt = now;
      return true;
    },
    policies: {
      [ETH]: { target: 1_000n, reclaimThreshold: 5_000n },
      [TOKEN.toLowerCase()]: { target: 100n, reclaimThreshold: 500n },
    },
    idleSeconds: DAY,
    intervalMs: INTERVAL_MS,
    clock: () => now,
    logger: pino({ level: "silent" }),
  });
  return {
    reclaimer,
    proposed,
    attempts,
    befores,
    advance: (ms: number) => (now += ms),
    now: () => now,
  };
}

const START = 1_800_000_000_000;
function channel(
  bob: string,
  nodeBalances: Record<string, bigint>,
  options: { ageMs?: number; online?: boolean } = {},
): FakeChannel {
  return {
    channelAddress: `0xC${bob.slice(3)}`,
    bob,
    nodeBalances,
    updatedAt: START - (options.ageMs ?? 2 * DAY * 1000),
    online: options.online ?? true,
  };
}

const user = (n: number) => `0x${String(n).padStart(40, "0")}`;

describe("idle collateral reclaim", () => {
  test("channels idle longer than the setting give back what demand does not justify", async () => {
    const w = world(
      [
        channel(user(1), { [ETH]: 800n }),
        channel(user(2), { [ETH]: 800n }, { ageMs: 3_600_000 }), // active an hour ago
        channel(user(3), { [ETH]: 900n, [TOKEN]: 60n }),
      ],
      { [`${user(3)}:${ETH}`]: 300n },
    );
    await w.reclaimer.tick();
    expect(w.befores[0]?.getTime()).toBe(START - DAY * 1000);
    expect(w.proposed).toEqual([
      [user(1), ETH, 0n],
      [user(3), ETH, 300n],
      [user(3), TOKEN, 0n],
    ]);
  });

  test("dust and assets the node no longer carries are left alone", async () => {
    const w = world([channel(user(1), { [ETH]: 99n, [OTHER]: 1_000_000n })]);
    await w.reclaimer.tick();
    expect(w.proposed).toEqual([]);
  });

  test("a user who never answers costs a log line and a back-off that doubles", async () => {
    const w = world([
      channel(user(1), { [ETH]: 800n }, { online: false }),
      channel(user(2), { [ETH]: 800n }),
    ]);
    await w.reclaimer.tick();
    expect(w.attempts).toEqual([user(1), user(2)]);
    expect(w.reclaimer.backingOff()).toEqual([`0xC${user(1).slice(3)}`]);

    // Within the back-off: not asked again. The online user was served and is busy now.
    w.advance(INTERVAL_MS - 1);
    await w.reclaimer.tick();
    expect(w.attempts).toEqual([user(1), user(2)]);

    // After one interval: asked again, refused again; now two intervals.
    w.advance(1);
    await w.reclaimer.tick();
    expect(w.attempts).toEqual([user(1), user(2), user(1)]);
    w.advance(2 * INTERVAL_MS - 1);
    await w.reclaimer.tick();
    expect(w.attempts.length).toBe(3);
    w.advance(1);
    await w.reclaimer.tick();
    expect(w.attempts.length).toBe(4);
  });

  test("the back-off never exceeds the idle period, and ends when the user answers", async () => {
    const channels = [channel(user(1), { [ETH]: 800n }, { online: false })];
    const w = world(channels);
    for (let i = 0; i < 12; i++) {
      await w.reclaimer.tick();
      w.advance(DAY * 1000);
    }
    // 10 min, 20, 40, ... capped at a day: one attempt per day once capped.
    expect(w.attempts.length).toBe(12);
    (channels[0] as FakeChannel).online = true;
    await w.reclaimer.tick();
    expect(w.proposed).toEqual([[user(1), ETH, 0n]]);
    expect(w.reclaimer.backingOff()).toEqual([]);
  });

  test("the timer ticks on its own, stops cleanly, and is off with an idle setting of 0", async () => {
    let passes = 0;
    const options = {
      idleChannels: async () => {
        passes++;
        return [];
      },
      keep: async () => 0n,
      reclaim: async () => false,
      policies: {},
      idleSeconds: DAY,
      intervalMs: 5,
      clock: Date.now,
      logger: pino({ level: "silent" }),
    };
    const timer = new IdleReclaim(options);
    timer.start();
    const deadline = Date.now() + 5_000;
    while (passes < 2 && Date.now() < deadline) await Bun.sleep(5);
    await timer.stop();
    const stoppedAt = passes;
    expect(stoppedAt).toBeGreaterThanOrEqual(2);
    await Bun.sleep(30);
    expect(passes).toBe(stoppedAt);

    passes = 0;
    const off = new IdleReclaim({ ...options, idleSeconds: 0 });
    off.start();
    await Bun.sleep(30);
    await off.stop();
    expect(passes).toBe(0);
  });
});

import { describe, expect, test } from "bun:test";
import { type DisputeStep, disputeStepKey } from "../../protocol/disputes";
import { MemoryStore } from "../store/memory";
import { type AttemptState, DisputeProgress, nextMove, type SentStep } from "./progress";

const KEY = "dispute:node:user";

function attempt(overrides: Partial<SentStep> = {}): SentStep {
  return {
    key: "exit:0x0000000000000000000000000000000000000000:1:100",
    instance: 1,
    step: "exit",
    hash: `0x${"ab".repeat(32)}`,
    nonce: 7,
    raw: "0x02",
    sentAt: 1_000,
    status: "sent",
    ...overrides,
  };
}

describe("nextMove: never the same step twice", () => {
  const cases: [
    string,
    SentStep | undefined,
    AttemptState | undefined,
    ReturnType<typeof nextMove>,
  ][] = [
    ["never sent: send it", undefined, undefined, { move: "send", instance: 1 }],
    [
      "mined after the plan was read: the plan is stale, nothing to send",
      attempt(),
      { state: "mined", block: 11 },
      { move: "skip" },
    ],
    [
      "mined before the plan was read and still asked for: the chain needs it again",
      attempt({ instance: 2 }),
      { state: "mined", block: 10 },
      { move: "send", instance: 3 },
    ],
    ["pending: wait", attempt(), { state: "pending" }, { move: "wait" }],
    ["reverted: send again", attempt(), { state: "reverted" }, { move: "send", instance: 1 }],
    [
      "unknown, its nonce taken by another transaction: send again",
      attempt(),
      { state: "unknown", nonceUsed: true, ageMs: 0 },
      { move: "send", instance: 1 },
    ],
    [
      "unknown for a moment: broadcast the same transaction again",
      attempt(),
      { state: "unknown", nonceUsed: false, ageMs: 5_000 },
      { move: "rebroadcast" },
    ],
    [
      "unknown for a long while: a fresh transaction with the same nonce (only one can be mined)",
      attempt(),
      { state: "unknown", nonceUsed: false, ageMs: 200_000 },
      { move: "send", instance: 1, nonce: 7 },
    ],
  ];
  for (const [name, last, state, expected] of cases) {
    test(name, () => {
      expect(nextMove(last, state, 10, 120_000)).toEqual(expected);
    });
  }
});

describe("step keys", () => {
  const transfer = { transferId: `0x${"CD".repeat(32)}` } as Extract<
    DisputeStep,
    { step: "disputeTransfer" }
  >["transfer"];
  const at = {
    round: 3n,
    nonce: 12,
    exitable: new Map([["0x00000000000000000000000000000000000000aa", 5n]]),
  };

  test("are stable and name what makes a step different", () => {
    expect(disputeStepKey({ step: "disputeChannel" }, at)).toBe("disputeChannel:12");
    expect(
      disputeStepKey(
        {
          step: "defundChannel",
          assetIds: ["0x00000000000000000000000000000000000000AA"],
          indices: [0],
        },
        at,
      ),
    ).toBe("defundChannel:3:0x00000000000000000000000000000000000000aa");
    expect(disputeStepKey({ step: "disputeTransfer", transfer, proof: [] }, at)).toBe(
      `disputeTransfer:0x${"cd".repeat(32)}`,
    );
    expect(disputeStepKey({ step: "defundTransfer", transfer }, at)).toBe(
      `defundTransfer:0x${"cd".repeat(32)}`,
    );
    expect(
      disputeStepKey({ step: "exit", assetId: "0x00000000000000000000000000000000000000AA" }, at),
    ).toBe("exit:0x00000000000000000000000000000000000000aa:3:5");
  });

  test("an exit of another amount, or in another round, is another step", () => {
    const exit = { step: "exit", assetId: "0x00000000000000000000000000000000000000aa" } as const;
    const keys = new Set([
      disputeStepKey(exit, at),
      disputeStepKey(exit, { ...at, round: 4n }),
      disputeStepKey(exit, {
        ...at,
        exitable: new Map([["0x00000000000000000000000000000000000000aa", 6n]]),
      }),
    ]);
    expect(keys.size).toBe(3);
  });
});

describe("DisputeProgress in the client's store", () => {
  test("a client started again on the same store finds every step it sent", async () => {
    const store = new MemoryStore();
    const progress = await DisputeProgress.load(store, KEY);
    await progress.setRecipient("0x00000000000000000000000000000000000000bb");
    await progress.beginDispute({ startedByUs: true });
    await progress.recordSent(attempt({ key: "disputeChannel:4", step: "disputeChannel" }));
    await progress.tagDispute({ consensusExpiry: 5_000, round: 1, cursor: 20 });
    await progress.recordSent(attempt({ hash: `0x${"cd".repeat(32)}`, nonce: 8 }));
    await progress.updateSent(`0x${"cd".repeat(32)}`, { status: "mined", block: 31 });

    const again = await DisputeProgress.load(store, KEY);
    expect(again.record).toEqual(progress.record);
    expect(again.recipient).toBe("0x00000000000000000000000000000000000000bb");
    expect(again.current).toMatchObject({
      consensusExpiry: 5_000,
      round: 1,
      cursor: 20,
      startedByUs: true,
    });
    expect(again.latest("disputeChannel:4")?.status).toBe("sent");
    expect(again.latest(attempt().key)).toMatchObject({ status: "mined", block: 31, nonce: 8 });
    expect(again.latest("defundChannel:1:0x0")).toBeUndefined();
  });

  test("the latest attempt of a key is the one looked at", async () => {
    const progress = await DisputeProgress.load(new MemoryStore(), KEY);
    await progress.recordSent(attempt({ status: "reverted" }));
    await progress.recordSent(attempt({ hash: `0x${"ef".repeat(32)}`, nonce: 9 }));
    expect(progress.latest(attempt().key)?.nonce).toBe(9);
  });

  test("a new dispute forgets the previous one's steps; a resume is remembered apart", async () => {
    const progress = await DisputeProgress.load(new MemoryStore(), KEY);
    await progress.beginDispute({ startedByUs: false, consensusExpiry: 100, round: 1 });
    await progress.recordSent(attempt());
    await progress.markResumed({ round: 1, consensusExpiry: 100 });
    await progress.beginDispute({ startedByUs: false, consensusExpiry: 900, round: 2 });
    expect(progress.current?.steps).toEqual([]);
    expect(progress.record.resumed).toEqual({ round: 1, consensusExpiry: 100 });
  });

  test("a start that sent nothing is forgotten; one that sent something is kept", async () => {
    const progress = await DisputeProgress.load(new MemoryStore(), KEY);
    await progress.beginDispute({ startedByUs: true });
    await progress.abandonStart();
    expect(progress.current).toBeUndefined();
    await progress.beginDispute({ startedByUs: true });
    await progress.recordSent(attempt({ step: "disputeChannel", key: "disputeChannel:3" }));
    await progress.abandonStart();
    expect(progress.current?.steps).toHaveLength(1);
  });

  test("a failed write changes nothing in memory", async () => {
    const store = new MemoryStore();
    const progress = await DisputeProgress.load(store, KEY);
    await store.close();
    await expect(progress.recordSent(attempt())).rejects.toThrow();
    expect(progress.current).toBeUndefined();
  });

  test("a damaged record is refused, not taken for an empty one", async () => {
    const store = new MemoryStore();
    await store.set(KEY, JSON.stringify({ version: 1, current: { steps: [{ key: 1 }] } }));
    await expect(DisputeProgress.load(store, KEY)).rejects.toThrow();
  });
});

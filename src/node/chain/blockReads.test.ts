import { expect, test } from "bun:test";
import { BlockReads } from "./blockReads";

test("concurrent callers share one head read, and one read per key and block", async () => {
  let heads = 0;
  let reads = 0;
  let head = 10;
  const blockReads = new BlockReads(async () => {
    heads++;
    return head;
  });
  const read = async () => {
    const block = await blockReads.headBlock();
    return blockReads.at("deposits:0xabc", block, async () => {
      reads++;
      return block * 2;
    });
  };
  expect(await Promise.all(Array.from({ length: 100 }, read))).toEqual(Array(100).fill(20));
  expect(heads).toBe(1);
  expect(reads).toBe(1);
  // The next round trip asks for the head again; the same block reuses the result.
  expect(await read()).toBe(20);
  expect([heads, reads]).toEqual([2, 1]);
  // A new block is read afresh.
  head = 11;
  expect(await read()).toBe(22);
  expect([heads, reads]).toEqual([3, 2]);
});

test("a failed read is not kept, and old blocks make room", async () => {
  const blockReads = new BlockReads(async () => 1, 2);
  await expect(blockReads.at("k", 1, () => Promise.reject(new Error("rpc down")))).rejects.toThrow(
    "rpc down",
  );
  expect(await blockReads.at("k", 1, async () => "ok")).toBe("ok");
  await blockReads.at("k", 2, async () => "two");
  await blockReads.at("k", 3, async () => "three");
  // Block 1's result was dropped (capacity 2): it is read again.
  expect(await blockReads.at("k", 1, async () => "again")).toBe("again");
});

import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { bytesToHex, hexToBytes } from "./bytes";
import { EMPTY_ROOT, hashPair, MerkleTree, verifyProof } from "./merkle";

/** The plain construction, rebuilt from scratch: the reference the incremental tree must match. */
function rebuildRoot(leaves: string[]): string {
  if (leaves.length === 0) return EMPTY_ROOT;
  let level = leaves.map(hexToBytes);
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const right = level[i + 1];
      next.push(right ? hashPair(level[i] as Uint8Array, right) : (level[i] as Uint8Array));
    }
    level = next;
  }
  return bytesToHex(level[0] as Uint8Array);
}

const leafArb = fc.uint8Array({ minLength: 32, maxLength: 32 }).map(bytesToHex);

describe("MerkleTree", () => {
  test("empty tree has the zero root; one leaf is its own root with an empty proof", () => {
    const tree = new MerkleTree();
    expect(tree.root()).toBe(EMPTY_ROOT);
    const leaf = bytesToHex(new Uint8Array(32).fill(7));
    tree.insert(leaf);
    expect(tree.root()).toBe(leaf);
    expect(tree.proof(leaf)).toEqual([]);
  });

  test("random inserts and removes match a full rebuild, and every proof verifies", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), leafArb, fc.nat()), { minLength: 1, maxLength: 60 }),
        (operations) => {
          const tree = new MerkleTree();
          const reference: string[] = [];
          for (const [insert, leaf, pick] of operations) {
            if (insert || reference.length === 0) {
              if (reference.includes(leaf)) continue;
              tree.insert(leaf);
              reference.push(leaf);
            } else {
              const index = pick % reference.length;
              const removed = reference[index] as string;
              tree.remove(removed);
              // The last leaf takes the freed slot.
              const last = reference.pop() as string;
              if (index < reference.length) reference[index] = last;
            }
            expect(tree.root()).toBe(rebuildRoot(reference));
            expect(tree.leafHashes).toEqual(reference);
          }
          for (const leaf of reference)
            expect(verifyProof(tree.proof(leaf), tree.root(), leaf)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  test("refuses duplicates and unknown leaves with codes", () => {
    const leaf = bytesToHex(new Uint8Array(32).fill(1));
    const tree = new MerkleTree([leaf]);
    expect(() => tree.insert(leaf)).toThrow(
      expect.objectContaining({ code: "DUPLICATE_TRANSFER" }),
    );
    const other = bytesToHex(new Uint8Array(32).fill(2));
    expect(() => tree.remove(other)).toThrow(expect.objectContaining({ code: "UNKNOWN_TRANSFER" }));
    expect(() => tree.proof(other)).toThrow(expect.objectContaining({ code: "UNKNOWN_TRANSFER" }));
  });

  test("a proof does not verify another leaf or another root", () => {
    const leaves = Array.from({ length: 5 }, (_, i) => bytesToHex(new Uint8Array(32).fill(i + 1)));
    const tree = new MerkleTree(leaves);
    const proof = tree.proof(leaves[2] as string);
    expect(verifyProof(proof, tree.root(), leaves[3] as string)).toBe(false);
    expect(verifyProof(proof, rebuildRoot(leaves.slice(1)), leaves[2] as string)).toBe(false);
  });
});

test("a clone changes independently of its original", () => {
  const leaves = Array.from({ length: 7 }, (_, i) => bytesToHex(new Uint8Array(32).fill(i + 1)));
  const tree = new MerkleTree(leaves);
  const root = tree.root();
  const copy = tree.clone();
  copy.remove(leaves[3] as string);
  copy.insert(bytesToHex(new Uint8Array(32).fill(99)));
  expect(tree.root()).toBe(root);
  expect(tree.leafHashes).toEqual(leaves);
  expect(copy.root()).not.toBe(root);
});

import { bytesToHex, hexToBytes, keccak256 } from "./bytes";
import { ProtocolError } from "./errors";
import type { Bytes32 } from "./types";

/**
 * The channel's merkle tree of active transfers: sorted-pair hashing, as OpenZeppelin's
 * MerkleProof verifies on-chain (DESIGN §4.2).
 *
 * Leaves keep their insertion order, and an odd node at the end of a level is carried up
 * unchanged. Inserting appends a leaf; removing moves the last leaf into the freed slot. Both
 * touch only the nodes on one or two paths to the root: O(log n) hashes per update, not a
 * rebuild. Both parties apply the same updates in the same order, so their trees agree; a
 * party restoring from a list of transfers must keep the list's order.
 */
export const EMPTY_ROOT: Bytes32 = `0x${"0".repeat(64)}`;

export class MerkleTree {
  /** levels[0] holds the leaves; the last level holds the root alone. */
  private readonly levels: Uint8Array[][] = [[]];
  private readonly positions = new Map<string, number>();

  constructor(leaves: readonly Bytes32[] = []) {
    for (const leaf of leaves) this.insert(leaf);
  }

  /**
   * A copy that shares the (immutable) node hashes: updates validate against a copy, and the
   * shell adopts it only once the new state is stored.
   */
  clone(): MerkleTree {
    const copy = new MerkleTree();
    copy.levels.length = 0;
    for (const level of this.levels) copy.levels.push(level.slice());
    for (const [key, position] of this.positions) copy.positions.set(key, position);
    return copy;
  }

  get size(): number {
    return this.leaves.length;
  }

  /** The leaves, in tree order. */
  get leafHashes(): Bytes32[] {
    return this.leaves.map(bytesToHex);
  }

  has(leaf: Bytes32): boolean {
    return this.positions.has(leaf.toLowerCase());
  }

  root(): Bytes32 {
    if (this.leaves.length === 0) return EMPTY_ROOT;
    return bytesToHex(this.levels[this.levels.length - 1]?.[0] as Uint8Array);
  }

  insert(leaf: Bytes32): void {
    const key = leaf.toLowerCase();
    if (this.positions.has(key)) {
      throw new ProtocolError("DUPLICATE_TRANSFER", `leaf ${leaf} is already in the tree`);
    }
    const position = this.leaves.length;
    this.leaves.push(hexToBytes(leaf));
    this.positions.set(key, position);
    this.resize();
    this.recomputePath(position);
  }

  remove(leaf: Bytes32): void {
    const key = leaf.toLowerCase();
    const position = this.positions.get(key);
    if (position === undefined)
      throw new ProtocolError("UNKNOWN_TRANSFER", `leaf ${leaf} is not in the tree`);
    const last = this.leaves.length - 1;
    const moved = this.leaves[last] as Uint8Array;
    this.positions.delete(key);
    if (position !== last) {
      this.leaves[position] = moved;
      this.positions.set(bytesToHex(moved), position);
    }
    this.leaves.pop();
    this.resize();
    if (position < this.leaves.length) this.recomputePath(position);
    if (this.leaves.length > 0) this.recomputePath(this.leaves.length - 1);
  }

  /** The sibling hashes from `leaf` up to the root, as MerkleProof.verify takes them. */
  proof(leaf: Bytes32): Bytes32[] {
    let index = this.positions.get(leaf.toLowerCase());
    if (index === undefined)
      throw new ProtocolError("UNKNOWN_TRANSFER", `leaf ${leaf} is not in the tree`);
    const path: Bytes32[] = [];
    for (let level = 0; level < this.levels.length - 1; level++) {
      const sibling = this.levels[level]?.[index ^ 1];
      if (sibling) path.push(bytesToHex(sibling));
      index >>= 1;
    }
    return path;
  }

  private get leaves(): Uint8Array[] {
    return this.levels[0] as Uint8Array[];
  }

  /** Gives every level above the leaves its length, ceil(previous / 2), up to a single root. */
  private resize(): void {
    let level = 1;
    for (; (this.levels[level - 1] as Uint8Array[]).length > 1; level++) {
      const want = Math.ceil((this.levels[level - 1] as Uint8Array[]).length / 2);
      const nodes = this.levels[level] ?? [];
      this.levels[level] = nodes;
      // New slots are filled by the path recomputation that follows every resize.
      if (nodes.length > want) nodes.length = want;
      while (nodes.length < want) nodes.push(EMPTY_NODE);
    }
    this.levels.length = level;
  }

  private recomputePath(position: number): void {
    let index = position;
    for (let level = 1; level < this.levels.length; level++) {
      index >>= 1;
      const below = this.levels[level - 1] as Uint8Array[];
      const left = below[2 * index] as Uint8Array;
      const right = below[2 * index + 1];
      (this.levels[level] as Uint8Array[])[index] = right ? hashPair(left, right) : left;
    }
  }
}

const EMPTY_NODE = new Uint8Array(32);

/** keccak256 of the two nodes, smaller first. */
export function hashPair(a: Uint8Array, b: Uint8Array): Uint8Array {
  const pair = new Uint8Array(64);
  if (compare(a, b) <= 0) {
    pair.set(a, 0);
    pair.set(b, 32);
  } else {
    pair.set(b, 0);
    pair.set(a, 32);
  }
  return keccak256(pair);
}

/** What MerkleProof.verify computes on-chain: whether `proof` links `leaf` to `root`. */
export function verifyProof(proof: readonly Bytes32[], root: Bytes32, leaf: Bytes32): boolean {
  let node = hexToBytes(leaf);
  for (const sibling of proof) node = hashPair(node, hexToBytes(sibling));
  return bytesToHex(node) === root.toLowerCase();
}

function compare(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < 32; i++) {
    const diff = (a[i] as number) - (b[i] as number);
    if (diff !== 0) return diff;
  }
  return 0;
}

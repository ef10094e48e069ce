import { hasWildcard, subjectMatches } from "./subjects";

/**
 * The subscription index: a trie by subject token with `*` and `>` branches (nats-server's
 * sublist), and a cache of match results by subject. Publishing is the hot path, so a cached
 * subject costs one Map lookup; a subscribe or unsubscribe evicts only the cached subjects it
 * can match.
 */

export interface Indexed {
  readonly subject: string;
  readonly queue: string | null;
}

/** Members of one queue group that a subject reaches; one of them gets each message. */
export interface QueueGroup<S> {
  readonly name: string;
  readonly members: readonly S[];
  /** Round-robin cursor, advanced by the router. */
  next: number;
}

export interface MatchResult<S> {
  readonly plain: readonly S[];
  readonly groups: readonly QueueGroup<S>[];
}

const EMPTY: MatchResult<never> = Object.freeze({ plain: [], groups: [] });

/** nats-server's cache size; past it the oldest quarter is swept out. */
const CACHE_MAX = 1024;

class TrieNode<S> {
  next: Level<S> | undefined;
  plain: S[] = [];
  queues: Map<string, S[]> | undefined;

  isEmpty(): boolean {
    return this.next === undefined && this.plain.length === 0 && this.queues === undefined;
  }
}

class Level<S> {
  readonly literal = new Map<string, TrieNode<S>>();
  star: TrieNode<S> | undefined;
  gt: TrieNode<S> | undefined;

  isEmpty(): boolean {
    return this.literal.size === 0 && this.star === undefined && this.gt === undefined;
  }
}

export class Sublist<S extends Indexed> {
  private readonly root = new Level<S>();
  private readonly cache = new Map<string, MatchResult<S>>();
  private count = 0;

  /** Number of subscriptions held. */
  get size(): number {
    return this.count;
  }

  /** Adds `sub`; its subject must already be valid (see `isValidSubscribeSubject`). */
  insert(sub: S): void {
    const tokens = sub.subject.split(".");
    let level = this.root;
    let node: TrieNode<S> | undefined;
    for (let i = 0; i < tokens.length; i++) {
      node = childFor(level, tokens[i] as string);
      if (i < tokens.length - 1) {
        node.next ??= new Level<S>();
        level = node.next;
      }
    }
    const leaf = node as TrieNode<S>;
    if (sub.queue === null) {
      leaf.plain.push(sub);
    } else {
      leaf.queues ??= new Map();
      const members = leaf.queues.get(sub.queue);
      if (members === undefined) leaf.queues.set(sub.queue, [sub]);
      else members.push(sub);
    }
    this.count++;
    this.evict(sub.subject, tokens);
  }

  /** Removes `sub`; returns whether it was held. Prunes branches left empty. */
  remove(sub: S): boolean {
    const tokens = sub.subject.split(".");
    const levels: Level<S>[] = [];
    const nodes: TrieNode<S>[] = [];
    let level: Level<S> | undefined = this.root;
    for (const token of tokens) {
      if (level === undefined) return false;
      const node: TrieNode<S> | undefined = childOf(level, token);
      if (node === undefined) return false;
      levels.push(level);
      nodes.push(node);
      level = node.next;
    }
    if (!removeFrom(nodes[nodes.length - 1] as TrieNode<S>, sub)) return false;
    this.count--;
    prune(levels, nodes, tokens);
    this.evict(sub.subject, tokens);
    return true;
  }

  /** Subscriptions a literal subject reaches. The result is shared: do not mutate it. */
  match(subject: string): MatchResult<S> {
    const cached = this.cache.get(subject);
    if (cached !== undefined) return cached;
    const result = this.collect(subject);
    this.cache.set(subject, result);
    if (this.cache.size > CACHE_MAX) sweepOldest(this.cache, CACHE_MAX / 4);
    return result;
  }

  private collect(subject: string): MatchResult<S> {
    const tokens = subject.split(".");
    // nats-server matches nothing for a subject with an empty token.
    for (const token of tokens) if (token.length === 0) return EMPTY;
    const found = new Collector<S>();
    matchLevel(this.root, tokens, 0, found);
    return found.result();
  }

  /** Drops cached results that a subscription on `pattern` changes. */
  private evict(pattern: string, tokens: readonly string[]): void {
    if (!hasWildcard(pattern)) {
      this.cache.delete(pattern);
      return;
    }
    for (const subject of this.cache.keys()) {
      if (subjectMatches(subject, tokens)) this.cache.delete(subject);
    }
  }
}

/**
 * Deletes the `count` oldest entries in one pass. Evicting one at a time costs a fresh
 * iterator per miss, and JSC's iterator walks past every earlier deletion: a reply subject is
 * unique per request, so that would be paid on nearly every reply.
 */
export function sweepOldest(map: Map<string, unknown>, count: number): void {
  let left = count;
  for (const key of map.keys()) {
    map.delete(key);
    if (--left === 0) return;
  }
}

function childFor<S>(level: Level<S>, token: string): TrieNode<S> {
  if (token === "*") {
    level.star ??= new TrieNode<S>();
    return level.star;
  }
  if (token === ">") {
    level.gt ??= new TrieNode<S>();
    return level.gt;
  }
  let node = level.literal.get(token);
  if (node === undefined) {
    node = new TrieNode<S>();
    level.literal.set(token, node);
  }
  return node;
}

function childOf<S>(level: Level<S>, token: string): TrieNode<S> | undefined {
  if (token === "*") return level.star;
  if (token === ">") return level.gt;
  return level.literal.get(token);
}

function removeFrom<S extends Indexed>(node: TrieNode<S>, sub: S): boolean {
  if (sub.queue === null) return removeItem(node.plain, sub);
  const members = node.queues?.get(sub.queue);
  if (members === undefined || !removeItem(members, sub)) return false;
  if (members.length === 0) {
    node.queues?.delete(sub.queue);
    if (node.queues?.size === 0) node.queues = undefined;
  }
  return true;
}

function removeItem<S>(list: S[], item: S): boolean {
  const at = list.indexOf(item);
  if (at === -1) return false;
  list.splice(at, 1);
  return true;
}

/** Walks back from the leaf, detaching nodes and levels that hold nothing any more. */
function prune<S>(levels: Level<S>[], nodes: TrieNode<S>[], tokens: readonly string[]): void {
  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i] as TrieNode<S>;
    if (node.next?.isEmpty()) node.next = undefined;
    if (!node.isEmpty()) return;
    const level = levels[i] as Level<S>;
    const token = tokens[i] as string;
    if (token === "*") level.star = undefined;
    else if (token === ">") level.gt = undefined;
    else level.literal.delete(token);
  }
}

/** nats-server's matchLevel: `>` at each level, `*` recursively, then the literal token. */
function matchLevel<S>(
  start: Level<S>,
  tokens: readonly string[],
  from: number,
  found: Collector<S>,
): void {
  let level: Level<S> | undefined = start;
  let node: TrieNode<S> | undefined;
  let star: TrieNode<S> | undefined;
  for (let i = from; i < tokens.length; i++) {
    if (level === undefined) return;
    if (level.gt !== undefined) found.add(level.gt);
    star = level.star;
    if (star?.next !== undefined) matchLevel(star.next, tokens, i + 1, found);
    node = level.literal.get(tokens[i] as string);
    level = node?.next;
  }
  if (node !== undefined) found.add(node);
  if (star !== undefined) found.add(star);
}

class Collector<S> {
  private readonly plain: S[] = [];
  private queues: Map<string, S[]> | undefined;

  add(node: TrieNode<S>): void {
    for (const sub of node.plain) this.plain.push(sub);
    if (node.queues === undefined) return;
    this.queues ??= new Map();
    for (const [name, members] of node.queues) {
      const merged = this.queues.get(name);
      if (merged === undefined) this.queues.set(name, members.slice());
      else for (const sub of members) merged.push(sub);
    }
  }

  result(): MatchResult<S> {
    if (this.plain.length === 0 && this.queues === undefined) return EMPTY;
    const groups: QueueGroup<S>[] = [];
    if (this.queues !== undefined) {
      for (const [name, members] of this.queues) groups.push({ name, members, next: 0 });
    }
    return { plain: this.plain, groups };
  }
}

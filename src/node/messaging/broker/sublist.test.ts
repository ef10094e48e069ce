import { describe, expect, test } from "bun:test";
import { type MatchResult, Sublist } from "./sublist";

interface Sub {
  subject: string;
  queue: string | null;
  name: string;
}

const sub = (name: string, subject: string, queue: string | null = null): Sub => ({
  name,
  subject,
  queue,
});

function names(result: MatchResult<Sub>): string[] {
  const plain = result.plain.map((s) => s.name);
  const queued = result.groups.flatMap((g) => g.members.map((s) => `${g.name}:${s.name}`));
  return [...plain, ...queued].sort();
}

describe("sublist: matching", () => {
  const list = new Sublist<Sub>();
  for (const s of [
    sub("literal", "a.b.c"),
    sub("star-mid", "a.*.c"),
    sub("star-end", "a.b.*"),
    sub("gt", "a.>"),
    sub("all", ">"),
    sub("two", "*.*"),
    sub("other", "x.y"),
  ]) {
    list.insert(s);
  }

  test("literal, `*` and `>` subscriptions", () => {
    expect(names(list.match("a.b.c"))).toEqual(["all", "gt", "literal", "star-end", "star-mid"]);
    expect(names(list.match("a.x.c"))).toEqual(["all", "gt", "star-mid"]);
    expect(names(list.match("a.b"))).toEqual(["all", "gt", "two"]);
    expect(names(list.match("a"))).toEqual(["all"]);
    expect(names(list.match("x.y"))).toEqual(["all", "other", "two"]);
    expect(names(list.match("a.b.c.d"))).toEqual(["all", "gt"]);
    expect(list.size).toBe(7);
  });

  test("a subject with an empty token matches nothing (as nats-server)", () => {
    expect(names(list.match("a..c"))).toEqual([]);
    expect(names(list.match("a.b."))).toEqual([]);
  });

  test("results are cached: the same object until the index changes", () => {
    const first = list.match("a.b.c");
    expect(list.match("a.b.c")).toBe(first);
  });
});

describe("sublist: queue groups", () => {
  test("members of one queue name are grouped, across patterns", () => {
    const list = new Sublist<Sub>();
    list.insert(sub("q1", "jobs.*", "workers"));
    list.insert(sub("q2", "jobs.run", "workers"));
    list.insert(sub("q3", "jobs.run", "auditors"));
    list.insert(sub("plain", "jobs.run"));
    const result = list.match("jobs.run");
    expect(result.plain.map((s) => s.name)).toEqual(["plain"]);
    const groups = Object.fromEntries(
      result.groups.map((g) => [g.name, g.members.map((s) => s.name).sort()]),
    );
    expect(groups).toEqual({ workers: ["q1", "q2"], auditors: ["q3"] });
  });
});

describe("sublist: removal and cache invalidation", () => {
  test("a new subscription is seen by a cached subject", () => {
    const list = new Sublist<Sub>();
    list.insert(sub("one", "a.b"));
    expect(names(list.match("a.b"))).toEqual(["one"]);
    list.insert(sub("wild", "a.*"));
    expect(names(list.match("a.b"))).toEqual(["one", "wild"]);
    list.insert(sub("lit", "a.b"));
    expect(names(list.match("a.b"))).toEqual(["lit", "one", "wild"]);
  });

  test("a removed subscription is gone from cached results", () => {
    const list = new Sublist<Sub>();
    const wild = sub("wild", "a.>");
    const q = sub("q", "a.b", "g");
    list.insert(wild);
    list.insert(q);
    expect(names(list.match("a.b"))).toEqual(["g:q", "wild"]);
    expect(list.remove(wild)).toBe(true);
    expect(names(list.match("a.b"))).toEqual(["g:q"]);
    expect(list.remove(q)).toBe(true);
    expect(names(list.match("a.b"))).toEqual([]);
    expect(list.remove(q)).toBe(false);
    expect(list.size).toBe(0);
  });

  test("an unrelated subscription leaves other cached results alone", () => {
    const list = new Sublist<Sub>();
    list.insert(sub("one", "a.b"));
    const cached = list.match("a.b");
    list.insert(sub("other", "x.*"));
    expect(list.match("a.b")).toBe(cached);
  });

  test("removing prunes empty branches, so unique inbox subjects do not pile up", () => {
    const list = new Sublist<Sub>();
    const keep = sub("keep", "_INBOX.keep");
    list.insert(keep);
    for (let i = 0; i < 1000; i++) {
      const s = sub(`r${i}`, `_INBOX.req${i}.reply`);
      list.insert(s);
      list.remove(s);
    }
    // Internals: the `_INBOX` level holds only `keep` again.
    const root = (
      list as unknown as {
        root: { literal: Map<string, { next: { literal: Map<string, unknown> } }> };
      }
    ).root;
    expect(root.literal.get("_INBOX")?.next.literal.size).toBe(1);
    expect(names(list.match("_INBOX.keep"))).toEqual(["keep"]);
  });

  test("the cache stays bounded", () => {
    const list = new Sublist<Sub>();
    list.insert(sub("all", ">"));
    for (let i = 0; i < 5000; i++) list.match(`s.${i}`);
    const cache = (list as unknown as { cache: Map<string, unknown> }).cache;
    expect(cache.size).toBeLessThanOrEqual(1024);
    expect(names(list.match("s.1"))).toEqual(["all"]);
  });
});

import { describe, expect, test } from "bun:test";
import {
  hasWildcard,
  isSubsetOf,
  isValidLiteralSubject,
  isValidSubscribeSubject,
  subjectMatches,
} from "./subjects";

describe("subject validation", () => {
  test("subscription subjects: tokens non-empty, `>` only last", () => {
    for (const ok of ["a", "a.b", "a.*", "*.b", ">", "a.>", "*.*.>", "a.a*b", "a.>b", "_INBOX.x"]) {
      expect(isValidSubscribeSubject(ok)).toBe(true);
    }
    for (const bad of ["", ".", "a.", ".a", "a..b", ">.a", "a.>.b", "a.>.>"]) {
      expect(isValidSubscribeSubject(bad)).toBe(false);
    }
  });

  test("literal (publish) subjects: no wildcard token, no empty token", () => {
    for (const ok of ["a", "a.b", "a.a*b", "a.>b", "connext.0xabc.0xdef.create"]) {
      expect(isValidLiteralSubject(ok)).toBe(true);
    }
    for (const bad of ["", "a.*", "*", ">", "a.>", "a..b", "a."]) {
      expect(isValidLiteralSubject(bad)).toBe(false);
    }
  });

  test("hasWildcard looks for whole `*` and `>` tokens only", () => {
    expect(hasWildcard("a.*")).toBe(true);
    expect(hasWildcard(">")).toBe(true);
    expect(hasWildcard("a.b*")).toBe(false);
    expect(hasWildcard("a.b")).toBe(false);
  });
});

describe("matching", () => {
  const matches = (subject: string, pattern: string) => subjectMatches(subject, pattern.split("."));

  test("literal subjects against patterns", () => {
    expect(matches("a.b", "a.b")).toBe(true);
    expect(matches("a.b", "a.*")).toBe(true);
    expect(matches("a.b", "*.*")).toBe(true);
    expect(matches("a.b", ">")).toBe(true);
    expect(matches("a.b.c", "a.>")).toBe(true);
    expect(matches("a", "a.>")).toBe(false);
    expect(matches("a.b.c", "a.*")).toBe(false);
    expect(matches("a", "a.*")).toBe(false);
    expect(matches("a.b", "a")).toBe(false);
    expect(matches("a.bc", "a.b")).toBe(false);
    expect(matches("ab.c", "a.*")).toBe(false);
    expect(matches("a..b", "a.*.b")).toBe(false);
  });

  test("isSubsetOf: a subscription is allowed only if the pattern covers all it can name", () => {
    const subset = (subject: string, pattern: string) =>
      isSubsetOf(subject.split("."), pattern.split("."));
    expect(subset("a.b", "a.*")).toBe(true);
    expect(subset("a.*", "a.*")).toBe(true);
    expect(subset("a.*", "a.>")).toBe(true);
    expect(subset("a.b.>", "a.>")).toBe(true);
    expect(subset("a.>", "a.>")).toBe(true);
    expect(subset("a.>", "a.*")).toBe(false);
    expect(subset("a.*", "a.b")).toBe(false);
    expect(subset(">", "a.>")).toBe(false);
    expect(subset("*.b", "a.*")).toBe(false);
    expect(subset("a", "a.>")).toBe(false);
    expect(subset("a..b", "a.*.b")).toBe(false);
  });
});

import { describe, expect, test } from "bun:test";
import { MAX_RESPONSE_GRANTS, ResponseGrants, responseRule } from "./permissions";

describe("responseRule: allowResponses read as nats-server reads allow_responses", () => {
  test("true: once within 2 minutes; off: undefined", () => {
    expect(responseRule(true)).toEqual({ max: 1, expiresMs: 120_000 });
    expect(responseRule(false)).toBeUndefined();
    expect(responseRule(undefined)).toBeUndefined();
  });

  test("an object: 0 or absent is the default, negative is no limit", () => {
    expect(responseRule({})).toEqual({ max: 1, expiresMs: 120_000 });
    expect(responseRule({ max: 3, expiresMs: 1000 })).toEqual({ max: 3, expiresMs: 1000 });
    expect(responseRule({ max: 0, expiresMs: 0 })).toEqual({ max: 1, expiresMs: 120_000 });
    expect(responseRule({ max: -1, expiresMs: -1 })).toEqual({ max: 0, expiresMs: 0 });
  });

  test("anything else is refused (null)", () => {
    for (const bad of [{ max: 1.5 }, { max: Number.NaN }, { expiresMs: Number.NaN }, "yes", 1]) {
      expect(responseRule(bad as never)).toBeNull();
    }
  });
});

describe("ResponseGrants", () => {
  const clock = () => {
    const c = { t: 0, now: () => c.t };
    return c;
  };

  test("max responses per delivery; a new delivery renews the grant", () => {
    const grants = new ResponseGrants({ max: 2, expiresMs: 0 });
    expect(grants.allows("r")).toBe(false);
    grants.grant("r");
    for (let i = 0; i < 2; i++) {
      expect(grants.allows("r")).toBe(true);
      grants.use("r");
    }
    expect(grants.allows("r")).toBe(false);
    expect(grants.size).toBe(0);
    grants.grant("r");
    expect(grants.allows("r")).toBe(true);
  });

  test("max 0: any number; allows() alone uses nothing", () => {
    const grants = new ResponseGrants({ max: 0, expiresMs: 0 });
    grants.grant("r");
    for (let i = 0; i < 100; i++) {
      expect(grants.allows("r")).toBe(true);
      grants.use("r");
    }
    const once = new ResponseGrants({ max: 1, expiresMs: 0 });
    once.grant("r");
    expect(once.allows("r")).toBe(true);
    expect(once.allows("r")).toBe(true);
  });

  test("expiry: strictly after expiresMs, checked when used, no timers", () => {
    const c = clock();
    const grants = new ResponseGrants({ max: 1, expiresMs: 1000 }, c.now);
    grants.grant("r");
    c.t = 1000;
    expect(grants.allows("r")).toBe(true);
    c.t = 1001;
    expect(grants.allows("r")).toBe(false);
    expect(grants.size).toBe(0);
  });

  test("expired grants at the front are dropped as new ones come; renewal moves a grant back", () => {
    const c = clock();
    const grants = new ResponseGrants({ max: 1, expiresMs: 1000 }, c.now);
    grants.grant("a");
    grants.grant("b");
    c.t = 900;
    grants.grant("a"); // renewed: now the newest
    c.t = 1500;
    grants.grant("c"); // b (at 0) expired and is first: dropped; a (at 900) stays
    expect(grants.size).toBe(2);
    expect(grants.allows("a")).toBe(true);
    expect(grants.allows("b")).toBe(false);
  });

  test(`at most ${MAX_RESPONSE_GRANTS} grants: the oldest go`, () => {
    const grants = new ResponseGrants({ max: 1, expiresMs: 0 });
    for (let i = 0; i < MAX_RESPONSE_GRANTS + 10; i++) grants.grant(`r.${i}`);
    expect(grants.size).toBe(MAX_RESPONSE_GRANTS);
    expect(grants.allows("r.9")).toBe(false);
    expect(grants.allows("r.10")).toBe(true);
    expect(grants.allows(`r.${MAX_RESPONSE_GRANTS + 9}`)).toBe(true);
    grants.clear();
    expect(grants.size).toBe(0);
  });
});

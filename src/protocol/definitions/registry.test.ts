import { describe, expect, test } from "bun:test";
import { hashlock, withdraw } from ".";
import { assertRegistrationMatches, definitionRegistry, lookupDefinition } from "./registry";
import { expectCode } from "./testUtils";

const HASHLOCK_AT = "0xAbCdEf0123456789abcdef0123456789ABCDEF01";
const WITHDRAW_AT = "0x00000000000000000000000000000000000000aa";

describe("definition registry", () => {
  const registry = definitionRegistry([
    { address: HASHLOCK_AT, rules: hashlock },
    { address: WITHDRAW_AT, rules: withdraw },
  ]);

  test("keys are lowercase addresses; lookups work in any case", () => {
    expect([...registry.keys()]).toEqual([HASHLOCK_AT.toLowerCase(), WITHDRAW_AT]);
    expect(lookupDefinition(registry, HASHLOCK_AT.toUpperCase().replace("0X", "0x"))).toBe(
      hashlock,
    );
    expect(lookupDefinition(registry, WITHDRAW_AT)).toBe(withdraw);
  });

  test("an unregistered definition is UNKNOWN_DEFINITION", () => {
    const message = expectCode(
      () => lookupDefinition(registry, `0x${"1".repeat(40)}`),
      "UNKNOWN_DEFINITION",
    );
    expect(message).toContain("not registered");
    expectCode(
      () => lookupDefinition(registry, undefined as unknown as string),
      "UNKNOWN_DEFINITION",
    );
  });

  test("a malformed or repeated address is refused", () => {
    expectCode(() => definitionRegistry([{ address: "0x12", rules: hashlock }]), "INVALID_ADDRESS");
    expectCode(
      () =>
        definitionRegistry([
          { address: WITHDRAW_AT, rules: withdraw },
          { address: WITHDRAW_AT.toUpperCase().replace("0X", "0x"), rules: hashlock },
        ]),
      "MALFORMED_MESSAGE",
    );
  });

  test("the type-erased form runs the typed rules", () => {
    const definition = lookupDefinition(registry, HASHLOCK_AT);
    const balance = {
      to: [HASHLOCK_AT, WITHDRAW_AT] as [string, string],
      amount: [1n, 0n] as [bigint, bigint],
    };
    expectCode(
      () => definition.createEncoded(balance, `0x${"0".repeat(128)}`, 0),
      "TRANSFER_REJECTED",
    );
  });
});

describe("registration check", () => {
  const registered = {
    name: hashlock.name,
    definition: HASHLOCK_AT,
    stateEncoding: hashlock.stateEncoding,
    resolverEncoding: hashlock.resolverEncoding,
    encodedCancel: hashlock.encodedCancel,
  };

  test("accepts the registration the mirror was written for", () => {
    assertRegistrationMatches(hashlock, registered);
  });

  test.each([
    ["name", { name: "Withdraw" }],
    ["stateEncoding", { stateEncoding: "tuple(bytes32 lockHash)" }],
    ["resolverEncoding", { resolverEncoding: "tuple(bytes preImage)" }],
    ["encodedCancel", { encodedCancel: "0x01" }],
  ])("refuses a different %s as UNKNOWN_DEFINITION", (field, change) => {
    const message = expectCode(
      () => assertRegistrationMatches(hashlock, { ...registered, ...change }),
      "UNKNOWN_DEFINITION",
    );
    expect(message).toContain(field);
  });
});

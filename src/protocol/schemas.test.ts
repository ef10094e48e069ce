import { describe, expect, test } from "bun:test";
import { decodeUpdateMessage, encodeMessage, MAX_MESSAGE_BYTES, PROTOCOL_VERSION } from "./schemas";
import { expectCode } from "./testing/expectations";
import { context, exchange, party, setupChannel } from "./testing/twoParties";

async function signedUpdate() {
  const node = party(`0x${"11".repeat(32)}`);
  const user = party(`0x${"22".repeat(32)}`);
  await setupChannel(node, user);
  return exchange(
    user,
    node,
    { type: "deposit", assetId: "0x0000000000000000000000000000000000000000" },
    {
      chainDeposits: { totalDepositsAlice: 2n ** 200n, totalDepositsBob: 5n },
    },
  );
}

describe("wire messages", () => {
  test("round trip: big numbers travel as decimal strings and come back as bigint", async () => {
    const update = await signedUpdate();
    const raw = encodeMessage({ protocolVersion: PROTOCOL_VERSION, update });
    expect(raw).toContain(`"${(2n ** 200n).toString()}"`);
    expect(decodeUpdateMessage(raw).update).toEqual(update);
    expect(context().network.chainId).toBe(1337);
  });

  test("refuses oversized, non-JSON, other versions, unknown fields and bad numbers with codes", async () => {
    const update = await signedUpdate();
    const raw = encodeMessage({ protocolVersion: PROTOCOL_VERSION, update });
    expectCode(
      () => decodeUpdateMessage(`${raw}${" ".repeat(MAX_MESSAGE_BYTES)}`),
      "MESSAGE_TOO_LARGE",
    );
    expectCode(() => decodeUpdateMessage("{not json"), "MALFORMED_MESSAGE");
    expectCode(
      () => decodeUpdateMessage(raw.replace(`"protocolVersion":"1"`, `"protocolVersion":"2"`)),
      "UNSUPPORTED_PROTOCOL_VERSION",
    );
    const message = expectCode(
      () => decodeUpdateMessage(raw.replace(`"update":{`, `"update":{"extra":1,`)),
      "MALFORMED_MESSAGE",
    );
    expect(message).toContain("update");
    const negative = JSON.parse(raw);
    negative.update.details.totalDepositsBob = "-5";
    expectCode(() => decodeUpdateMessage(JSON.stringify(negative)), "MALFORMED_MESSAGE");
    const tooBig = JSON.parse(raw);
    tooBig.update.details.totalDepositsBob = (2n ** 256n).toString();
    expectCode(() => decodeUpdateMessage(JSON.stringify(tooBig)), "MALFORMED_MESSAGE");
    const asNumber = JSON.parse(raw);
    asNumber.update.details.totalDepositsBob = 5;
    expectCode(() => decodeUpdateMessage(JSON.stringify(asNumber)), "MALFORMED_MESSAGE");
  });
});

import { z } from "zod";
import { bytes32, decodeMessage, encodeWire, signature, uint256 } from "../../schemas";
import type { SignedThreadVoucher } from "./voucher";

/**
 * A voucher on the wire (DESIGN §5: `connext.<payee>.<payer>.voucher`): JSON, the amount as a
 * decimal string, the signature 65 bytes of hex. Parsing gives lowercase hex and a bigint; it
 * checks the shape only, never the signature (`assertVoucherSigner` does).
 */
export const threadVoucherSchema = z.strictObject({
  threadId: bytes32,
  amount: uint256,
  signature,
});

/**
 * The JSON of a signed voucher.
 *
 * @example
 * publish(subject, encodeThreadVoucher(await signThreadVoucher(voucher, deployment, signer)));
 */
export function encodeThreadVoucher(voucher: SignedThreadVoucher): string {
  return encodeWire({
    threadId: voucher.threadId,
    amount: voucher.amount,
    signature: voucher.signature,
  });
}

/**
 * Parses a voucher message; MALFORMED_MESSAGE (or MESSAGE_TOO_LARGE) for anything else.
 *
 * @example
 * const voucher = decodeThreadVoucher(message.data);
 */
export function decodeThreadVoucher(raw: string | Uint8Array): SignedThreadVoucher {
  return decodeMessage<SignedThreadVoucher>(threadVoucherSchema, raw);
}

import { bytesToHex, keccak256, utf8, writeBytes32, writeUint } from "../../bytes";
import { ProtocolError } from "../../errors";
import { eip712Digest, eip712Domain } from "../../hashing";
import { type ChannelSigner, recoverSigner } from "../../signatures";
import type { Address, Bytes32, HexString } from "../../types";
import type { DefinitionDeployment } from "../types";
import { checkAddress, checkBytes32, checkUint, malformed } from "../validate";

/**
 * A thread's vouchers (DESIGN §4.5): the payer's signature on the cumulative amount it has paid
 * the payee in a thread, over the EIP-712 domain of the ThreadTransfer contract. Byte for byte
 * what the contract's `voucherDigest` computes; no typed-data walker.
 */

/** What the payer signs: the thread and the cumulative amount paid in it so far. */
export interface ThreadVoucher {
  threadId: Bytes32;
  amount: bigint;
}

/** A voucher with the payer's 65-byte signature on its digest. */
export interface SignedThreadVoucher extends ThreadVoucher {
  signature: HexString;
}

export const THREAD_DOMAIN_NAME = "ThreadTransfer";
export const THREAD_DOMAIN_VERSION = "1";
export const THREAD_VOUCHER_TYPE = "Voucher(bytes32 threadId,uint256 amount)";

const VOUCHER_TYPEHASH = keccak256(utf8(THREAD_VOUCHER_TYPE));
// A party meets few deployments: keep their domain separators.
const threadDomain = eip712Domain(THREAD_DOMAIN_NAME, THREAD_DOMAIN_VERSION, 64);

function checkDeployment(deployment: DefinitionDeployment): void {
  const chainId = deployment?.chainId;
  const valid =
    (typeof chainId === "number" && Number.isSafeInteger(chainId) && chainId >= 0) ||
    typeof chainId === "bigint";
  if (!valid) throw malformed("deployment.chainId", "a chain id", chainId);
  if (typeof chainId === "bigint") checkUint(chainId, "deployment.chainId");
  checkAddress(deployment.definition, "deployment.definition");
}

/**
 * The EIP-712 digest the payer signs for `voucher`: `keccak256(0x1901 ‖ domainSeparator ‖
 * keccak256(VOUCHER_TYPEHASH ‖ threadId ‖ amount))`, the domain being the ThreadTransfer
 * contract's at `deployment`. Throws MALFORMED_MESSAGE for a malformed voucher or deployment.
 *
 * @example
 * const digest = threadVoucherDigest({ threadId, amount: 5n }, { chainId: 1337, definition });
 */
export function threadVoucherDigest(
  voucher: ThreadVoucher,
  deployment: DefinitionDeployment,
): Bytes32 {
  checkBytes32(voucher?.threadId, "voucher.threadId");
  checkUint(voucher.amount, "voucher.amount");
  checkDeployment(deployment);
  const struct = new Uint8Array(96);
  struct.set(VOUCHER_TYPEHASH, 0);
  writeBytes32(voucher.threadId, struct, 32);
  writeUint(voucher.amount, struct, 64);
  const separator = threadDomain(deployment.chainId, deployment.definition);
  return bytesToHex(eip712Digest(separator, keccak256(struct)));
}

/**
 * Who signed `voucher`: INVALID_SIGNATURE for a signature the contract's `ECDSA.tryRecover`
 * refuses (not 65 bytes, v not 27/28, high s, not on the curve).
 *
 * @example
 * if (recoverVoucherSigner(voucher, signature, deployment) !== payer) refuse();
 */
export function recoverVoucherSigner(
  voucher: ThreadVoucher,
  signature: HexString,
  deployment: DefinitionDeployment,
): Address {
  return recoverSigner(threadVoucherDigest(voucher, deployment), signature);
}

/**
 * The payer's voucher for the cumulative `amount` of a thread, signed with its key.
 *
 * @example
 * const signed = await signThreadVoucher({ threadId, amount: paidSoFar }, deployment, signer);
 */
export async function signThreadVoucher(
  voucher: ThreadVoucher,
  deployment: DefinitionDeployment,
  signer: Pick<ChannelSigner, "signDigest">,
): Promise<SignedThreadVoucher> {
  const digest = threadVoucherDigest(voucher, deployment);
  const signature = await signer.signDigest(digest);
  return { threadId: voucher.threadId.toLowerCase(), amount: voucher.amount, signature };
}

/**
 * Checks that `expected` (the thread's payer) signed `voucher`: INVALID_SIGNATURE for a
 * signature the contract refuses, WRONG_SIGNER for anyone else's.
 *
 * @example
 * assertVoucherSigner(voucher, signed.signature, deployment, state.payer);
 */
export function assertVoucherSigner(
  voucher: ThreadVoucher,
  signature: HexString,
  deployment: DefinitionDeployment,
  expected: Address,
): void {
  const signer = recoverVoucherSigner(voucher, signature, deployment);
  if (signer.toLowerCase() !== expected.toLowerCase()) {
    throw new ProtocolError(
      "WRONG_SIGNER",
      `expected the payer ${expected} to sign the voucher, got ${signer}`,
      { expected, signer },
    );
  }
}

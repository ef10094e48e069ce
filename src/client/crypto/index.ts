/** Encryption to a payee's key, payments' signed terms, and hashlock pre-images. Browser-safe. */
export { decryptWithPrivateKey, encryptToPublicKey, publicKeyMatchesAddress } from "./ecies";
export { CRYPTO_ERROR_CODES, CryptoError, type CryptoErrorCode, isCryptoError } from "./errors";
export {
  decodePaymentTerms,
  encodePaymentTerms,
  MAX_SEALED_PAYMENT_TERMS_BYTES,
  NO_META_HASH,
  openPaymentTerms,
  PAYMENT_TERMS_BYTES,
  PAYMENT_TERMS_VERSION,
  PAYMENT_TERMS_WITH_PRE_IMAGE_BYTES,
  type PaymentTerms,
  paymentMetaHash,
  sealPaymentTerms,
  type TermsSigner,
} from "./paymentTerms";
export { lockHashOf, randomPreImage } from "./preImage";

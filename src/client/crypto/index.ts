/** Encryption of pre-images to a payee's key, and hashlock pre-images. Browser-safe. */
export { decryptWithPrivateKey, encryptToPublicKey, publicKeyMatchesAddress } from "./ecies";
export { CRYPTO_ERROR_CODES, CryptoError, type CryptoErrorCode, isCryptoError } from "./errors";
export { lockHashOf, randomPreImage } from "./preImage";

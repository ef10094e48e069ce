// `bun src/client/crypto/paymentTerms.bench.ts`: what a routed payment costs in client crypto,
// per side, before and after the payer's signed terms (issue 11). Before: the payer encrypted
// the bare pre-image, the payee decrypted it. After: the payer signs and encrypts the terms
// (one signature, one ECIES), the payee decrypts and checks them (one ECIES, one recovery).
import { Wallet } from "ethers";
import { bench, do_not_optimize, group, run, summary } from "mitata";
import { hexToBytes } from "../../protocol/bytes";
import { decryptWithPrivateKey, encryptToPublicKey } from "./ecies";
import { NO_META_HASH, openPaymentTerms, paymentMetaHash, sealPaymentTerms } from "./paymentTerms";
import { lockHashOf, randomPreImage } from "./preImage";

const payer = Wallet.createRandom();
const payee = Wallet.createRandom();
const payeeKey = payee.signingKey.publicKey;
const preImage = randomPreImage();
const terms = {
  paymentId: `0x${"ab".repeat(32)}`,
  recipient: payee.address,
  assetId: "0x0000000000000000000000000000000000000000",
  amount: 10n ** 14n,
  lockHash: lockHashOf(preImage),
  expiry: 1_800_000_000,
  metaHash: NO_META_HASH,
  preImage,
};
const key = { address: payer.address, privateKey: payer.privateKey };
const sealedPreImage = encryptToPublicKey(payeeKey, hexToBytes(preImage));
const sealedTerms = sealPaymentTerms(terms, key, payeeKey);

group("payer, per payment", () => {
  summary(() => {
    bench("before: ECIES of the pre-image", () =>
      do_not_optimize(encryptToPublicKey(payeeKey, hexToBytes(preImage))),
    );
    bench("after: sign + ECIES of the terms", () =>
      do_not_optimize(sealPaymentTerms(terms, key, payeeKey)),
    );
    bench("after, with a meta hash (1 KiB of meta)", () =>
      do_not_optimize(
        sealPaymentTerms(
          { ...terms, metaHash: paymentMetaHash({ note: "x".repeat(1000) }) },
          key,
          payeeKey,
        ),
      ),
    );
  });
});

group("payee, per payment", () => {
  summary(() => {
    bench("before: decrypt the pre-image", () =>
      do_not_optimize(decryptWithPrivateKey(payee.privateKey, sealedPreImage)),
    );
    bench("after: decrypt + recover the terms", () =>
      do_not_optimize(openPaymentTerms(sealedTerms, payee.privateKey)),
    );
  });
});

await run();

import { describe, expect, test } from "bun:test";
import { recoverAddress, SigningKey, Wallet } from "ethers";
import {
  type ChannelView,
  type FullTransferState,
  hashlock,
  MerkleTree,
  withdraw,
} from "../../protocol";
import { lockHashOf, NO_META_HASH, randomPreImage, sealPaymentTerms } from "../crypto";
import { CLAIM_MARGIN_SECONDS, disputeResolvers } from "./resolvers";

/** The resolvers a client defunds its transfers with on-chain (issue 10 §1). */
const HASHLOCK = "0x00000000000000000000000000000000000000A1";
const WITHDRAW = "0x00000000000000000000000000000000000000A2";
const me = new Wallet(`0x${"22".repeat(32)}`);
const node = new Wallet(`0x${"11".repeat(32)}`);
const payer = new Wallet(`0x${"33".repeat(32)}`);
const NOW = 1_800_000_000;

let counter = 0;
function transfer(fields: Partial<FullTransferState>): FullTransferState {
  counter++;
  return {
    channelAddress: "0x00000000000000000000000000000000000000C1",
    transferId: `0x${counter.toString(16).padStart(64, "0")}`,
    transferDefinition: HASHLOCK,
    initiator: node.address,
    responder: me.address,
    assetId: "0x0000000000000000000000000000000000000000",
    balance: { to: [node.address, me.address], amount: [10n, 0n] },
    transferTimeout: 3600,
    initialStateHash: `0x${"00".repeat(32)}`,
    transferState: "0x",
    ...fields,
  } as FullTransferState;
}

/** A payment to us; `encrypted`: with its payer's terms (for `termsAmount`, default 10). */
function payment(
  preImage: string,
  expiry: number,
  options: { encrypted?: boolean; termsAmount?: bigint } = {},
) {
  const paymentId = `0x${"33".repeat(32)}`;
  const terms = {
    paymentId,
    recipient: me.address,
    assetId: "0x0000000000000000000000000000000000000000",
    amount: options.termsAmount ?? 10n,
    lockHash: lockHashOf(preImage),
    expiry,
    metaHash: NO_META_HASH,
    preImage,
  };
  return transfer({
    transferState: hashlock.encodeState({ lockHash: lockHashOf(preImage), expiry: BigInt(expiry) }),
    ...(options.encrypted
      ? {
          meta: {
            routing: {
              paymentId,
              sender: payer.address,
              encryptedTerms: sealPaymentTerms(terms, payer, me.signingKey.publicKey),
            },
          },
        }
      : {}),
  });
}

function view(...transfers: FullTransferState[]): ChannelView {
  return {
    state: undefined,
    transfers: new Map(transfers.map((t) => [t.transferId, t])),
    tree: new MerkleTree(),
  };
}

const sources = (revealed: Record<string, string> = {}) => ({
  wallet: me,
  hashlockAddress: HASHLOCK,
  withdrawAddress: WITHDRAW,
  revealed: async (id: string) => revealed[id],
});

describe("disputeResolvers", () => {
  test("a payment to us: the pre-image decrypted from its routing meta, or the one we revealed", async () => {
    const encrypted = payment(randomPreImage(), NOW + 3600, { encrypted: true });
    const revealedPreImage = randomPreImage();
    const revealed = payment(revealedPreImage, NOW + 3600);
    const unknown = payment(randomPreImage(), NOW + 3600);
    const resolvers = await disputeResolvers(
      view(encrypted, revealed, unknown),
      NOW,
      sources({ [revealed.transferId]: revealedPreImage }),
    );
    expect([...resolvers.keys()]).toEqual([encrypted.transferId, revealed.transferId]);
    expect(hashlock.decodeResolver(resolvers.get(revealed.transferId) as string).preImage).toBe(
      revealedPreImage,
    );
    const { lockHash } = hashlock.decodeState(encrypted.transferState);
    const decrypted = hashlock.decodeResolver(resolvers.get(encrypted.transferId) as string);
    expect(lockHashOf(decrypted.preImage)).toBe(lockHash.toLowerCase());
  });

  test("no resolver from terms the mirror does not pay (the node forwarded less)", async () => {
    const skimmed = payment(randomPreImage(), NOW + 3600, {
      encrypted: true,
      termsAmount: 10n ** 18n,
    });
    expect((await disputeResolvers(view(skimmed), NOW, sources())).size).toBe(0);
  });

  test("no resolver for a hashlock about to expire on the chain's clock, or a wrong pre-image", async () => {
    const preImage = randomPreImage();
    const late = payment(preImage, NOW + CLAIM_MARGIN_SECONDS);
    const wrong = payment(randomPreImage(), NOW + 3600);
    const resolvers = await disputeResolvers(
      view(late, wrong),
      NOW,
      sources({ [late.transferId]: preImage, [wrong.transferId]: randomPreImage() }),
    );
    expect(resolvers.size).toBe(0);
  });

  test("nothing for transfers we initiated: only the responder decides", async () => {
    const preImage = randomPreImage();
    const ours = transfer({
      initiator: me.address,
      responder: node.address,
      transferState: hashlock.encodeState({ lockHash: lockHashOf(preImage), expiry: 0n }),
    });
    const resolvers = await disputeResolvers(
      view(ours),
      NOW,
      sources({ [ours.transferId]: preImage }),
    );
    expect(resolvers.size).toBe(0);
  });

  test("the node's withdrawal we co-sign: our signature on its commitment", async () => {
    const data = `0x${"5a".repeat(32)}`;
    const reclaim = transfer({
      transferDefinition: WITHDRAW,
      transferState: withdraw.encodeState({
        initiatorSignature: new SigningKey(node.privateKey).sign(data).serialized,
        initiator: node.address,
        responder: me.address,
        data,
        nonce: 1n,
        fee: 0n,
      }),
    });
    const resolvers = await disputeResolvers(view(reclaim), NOW, sources());
    const { responderSignature } = withdraw.decodeResolver(
      resolvers.get(reclaim.transferId) as string,
    );
    expect(recoverAddress(data, responderSignature)).toBe(me.address);
  });
});

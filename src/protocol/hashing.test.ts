import { describe, expect, test } from "bun:test";
import { getAddress, hexlify, randomBytes, TypedDataEncoder, Wallet } from "ethers";
import { channelStateDigest, transferStateHash, withdrawDigest } from "./hashing";
import { assertSigner, privateKeySigner, recoverSigner, toChecksumAddress } from "./signatures";
import {
  randomAddress,
  randomBalance,
  randomBytes32,
  randomChannelState,
  randomUint,
} from "./testing/random";
import type { CoreTransferState } from "./types";

const BALANCE = [
  { name: "to", type: "address[2]" },
  { name: "amount", type: "uint256[2]" },
];
const CHANNEL_TYPES = {
  Balance: BALANCE,
  CoreChannelState: [
    { name: "channelAddress", type: "address" },
    { name: "alice", type: "address" },
    { name: "bob", type: "address" },
    { name: "assetIds", type: "address[]" },
    { name: "balances", type: "Balance[]" },
    { name: "processedDepositsA", type: "uint256[]" },
    { name: "processedDepositsB", type: "uint256[]" },
    { name: "defundNonces", type: "uint256[]" },
    { name: "timeout", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "merkleRoot", type: "bytes32" },
  ],
};
const TRANSFER_TYPES = {
  Balance: BALANCE,
  CoreTransferState: [
    { name: "channelAddress", type: "address" },
    { name: "transferId", type: "bytes32" },
    { name: "transferDefinition", type: "address" },
    { name: "initiator", type: "address" },
    { name: "responder", type: "address" },
    { name: "assetId", type: "address" },
    { name: "balance", type: "Balance" },
    { name: "transferTimeout", type: "uint256" },
    { name: "initialStateHash", type: "bytes32" },
  ],
};

const randomState = (assets: number) => randomChannelState(assets);

describe("EIP-712 hashes agree with ethers' reference encoder", () => {
  test("channel state digests, 0 to 5 assets", () => {
    for (let assets = 0; assets <= 5; assets++) {
      const state = randomState(assets);
      const domain = {
        name: "Connext",
        version: "2",
        chainId: 1337,
        verifyingContract: state.channelAddress,
      };
      expect(channelStateDigest(state, 1337)).toBe(
        TypedDataEncoder.hash(domain, CHANNEL_TYPES, state),
      );
    }
  });

  test("transfer state struct hashes", () => {
    const transfer: CoreTransferState = {
      channelAddress: randomAddress(),
      transferId: randomBytes32(),
      transferDefinition: randomAddress(),
      initiator: randomAddress(),
      responder: randomAddress(),
      assetId: randomAddress(),
      balance: randomBalance(),
      transferTimeout: 86_400,
      initialStateHash: randomBytes32(),
    };
    const encoder = TypedDataEncoder.from(TRANSFER_TYPES);
    expect(transferStateHash(transfer)).toBe(encoder.hashStruct("CoreTransferState", transfer));
  });

  test("withdrawal digests", () => {
    const data = {
      channelAddress: randomAddress(),
      assetId: randomAddress(),
      recipient: randomAddress(),
      amount: randomUint(),
      nonce: 9n,
    };
    const types = {
      WithdrawData: [
        { name: "channelAddress", type: "address" },
        { name: "assetId", type: "address" },
        { name: "recipient", type: "address" },
        { name: "amount", type: "uint256" },
        { name: "nonce", type: "uint256" },
      ],
    };
    const domain = {
      name: "Connext",
      version: "2",
      chainId: 5,
      verifyingContract: data.channelAddress,
    };
    expect(withdrawDigest(data, 5)).toBe(TypedDataEncoder.hash(domain, types, data));
  });
});

describe("signatures", () => {
  test("sign and recover round trip, and match ethers' signatures", async () => {
    const wallet = Wallet.createRandom();
    const signer = privateKeySigner(wallet.privateKey);
    expect(signer.address).toBe(wallet.address);
    const digest = randomBytes32();
    const signature = await signer.signDigest(digest);
    expect(signature).toBe(wallet.signingKey.sign(digest).serialized);
    expect(recoverSigner(digest, signature)).toBe(wallet.address);
    expect(() => assertSigner(digest, signature, randomAddress(), "alice")).toThrow(
      /expected alice/,
    );
  });

  test("refuses malformed, high-s and wrong-v signatures", async () => {
    const signer = privateKeySigner(Wallet.createRandom().privateKey);
    const digest = randomBytes32();
    const signature = await signer.signDigest(digest);
    const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    const s = BigInt(`0x${signature.slice(66, 130)}`);
    const highS = `${signature.slice(0, 66)}${(n - s).toString(16).padStart(64, "0")}${signature.endsWith("1b") ? "1c" : "1b"}`;
    for (const bad of [
      signature.slice(0, 130),
      `${signature}00`,
      `${signature.slice(0, 130)}1d`,
      highS,
      "0xzz",
    ]) {
      expect(() => recoverSigner(digest, bad)).toThrow(
        expect.objectContaining({ code: "INVALID_SIGNATURE" }),
      );
    }
  });

  test("checksums addresses as EIP-55", () => {
    const raw = hexlify(randomBytes(20));
    expect(toChecksumAddress(raw)).toBe(getAddress(raw));
  });
});

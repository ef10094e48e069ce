// `npm run bench:protocol`: the protocol core's hot path on this machine, as a table.
// keccak-256 (noble) and secp256k1 dominate every figure; signing, recovery and the cycle are
// measured with each secp256k1 backend this machine has: noble (pure JavaScript) and native
// libsecp256k1 (Debian's libsecp256k1-1, through bun:ffi) when installed.
import { TypedDataEncoder } from "ethers";
import { bench, do_not_optimize, group, run, summary } from "mitata";
import { loadNativeSecp256k1 } from "../crypto/nativeSecp256k1";
import { hashlock, hashlockLockHash } from "./definitions";
import { channelStateDigest, TYPE_STRINGS } from "./hashing";
import { nobleSecp256k1, type Secp256k1Backend, setSecp256k1Backend } from "./secp256k1";
import { recoverSigner } from "./signatures";
import {
  context,
  ETH,
  exchange,
  HASHLOCK_ADDRESS,
  party,
  setupChannel,
} from "./testing/twoParties";
import type { Balance, CoreChannelState, FullChannelState } from "./types";

const native = await loadNativeSecp256k1();
const backends: Secp256k1Backend[] = [nobleSecp256k1];
if ("backend" in native) backends.push(native.backend);
else console.log(`secp256k1: noble only (${native.reason})`);

const node = party(`0x${"11".repeat(32)}`);
const user = party(`0x${"22".repeat(32)}`);
await setupChannel(node, user);
await exchange(
  user,
  node,
  { type: "deposit", assetId: ETH },
  {
    chainDeposits: { totalDepositsAlice: 10n ** 30n, totalDepositsBob: 10n ** 30n },
  },
);
const ctx = context();

function stateWithAssets(assets: number): CoreChannelState {
  const base = node.view.state as FullChannelState;
  const balance: Balance = { to: [base.alice, base.bob], amount: [10n ** 24n, 10n ** 23n] };
  const list = <T>(value: T) => Array.from({ length: assets }, () => value);
  return {
    ...base,
    assetIds: Array.from(
      { length: assets },
      (_, i) => `0x${(i + 1).toString(16).padStart(40, "0")}`,
    ),
    balances: list(balance),
    processedDepositsA: list(10n ** 24n),
    processedDepositsB: list(10n ** 23n),
    defundNonces: list(1n),
  };
}

const oneAsset = stateWithAssets(1);
const fiveAssets = stateWithAssets(5);
const digest = channelStateDigest(oneAsset, ctx.network.chainId);
const domain = {
  name: "Connext",
  version: "2",
  chainId: 1337,
  verifyingContract: oneAsset.channelAddress,
};
// The same types, parsed back out of the EIP-712 type strings the contracts hash.
const ETHERS_TYPES = {
  Balance: fields(TYPE_STRINGS.Balance),
  CoreChannelState: fields(TYPE_STRINGS.CoreChannelState),
};

function fields(typeString: string) {
  const body = typeString.slice(typeString.indexOf("(") + 1, typeString.indexOf(")"));
  return body.split(",").map((field) => {
    const [type, name] = field.split(" ");
    return { name: name as string, type: type as string };
  });
}
const signature = await node.signer.signDigest(digest);
const preImage = `0x${"5a".repeat(32)}`;
const lockedState = hashlock.encodeState({ lockHash: hashlockLockHash(preImage), expiry: 0n });
const resolver = hashlock.encodeResolver({ preImage });

group("hashing and signatures", () => {
  summary(() => {
    bench("channel state digest, 1 asset", () =>
      do_not_optimize(channelStateDigest(oneAsset, 1337)),
    );
    bench("channel state digest, 1 asset, with ethers (reference)", () =>
      do_not_optimize(TypedDataEncoder.hash(domain, ETHERS_TYPES, oneAsset)),
    );
    bench("channel state digest, 5 assets", () =>
      do_not_optimize(channelStateDigest(fiveAssets, 1337)),
    );
    for (const backend of backends) {
      bench(`sign a digest (${backend.name})`, async () => {
        setSecp256k1Backend(backend);
        do_not_optimize(await node.signer.signDigest(digest));
      });
      bench(`recover a signer (${backend.name})`, () => {
        setSecp256k1Backend(backend);
        do_not_optimize(recoverSigner(digest, signature));
      });
    }
  });
});

group("updates, both sides (propose, validate + countersign, accept)", () => {
  for (const backend of backends) {
    bench(`hashlock create + resolve cycle (${backend.name})`, async () => {
      setSecp256k1Backend(backend);
      await cycle();
    });
  }
});

async function cycle(): Promise<void> {
  const created = await exchange(user, node, {
    type: "create",
    assetId: ETH,
    amount: 1n,
    transferDefinition: HASHLOCK_ADDRESS,
    transferInitialState: lockedState,
    transferTimeout: 3600,
  });
  const transferId = (created.details as { transferId: string }).transferId;
  await exchange(node, user, { type: "resolve", transferId, transferResolver: resolver });
}

await run({ colors: false });

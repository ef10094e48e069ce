// `npm run bench:node-path`: the node's side of a routed payment without the network, to
// measure the storage and protocol work per payment apart from messaging and other processes.
// The node's routing as the engine wires it (routingHub: ChannelService, DefinitionEffects,
// PaymentRouter over the real stores), its users in-memory parties in the same process: each
// payment is the payer's create, the node's mirror to the payee, the payee's claim and the
// node's resolve of the payer, with every signature made and checked.
//
// Printed per store: payments/s one at a time, and CPU ms per payment (this process's CPU over
// the run: the node's work and both parties', the same in every row, so rows compare).
// Environment: BENCH_PAYMENTS (default 500), BENCH_STORES (default "memory,disk,postgres").
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { useFastestSecp256k1 } from "../crypto/nativeSecp256k1";
import { bytes32, lockOf, type RoutingHub, routingHub } from "../node/engine/testing/routingHub";
import { type Database, openDatabase } from "../node/store/database";
import { postgresAvailable, startPostgres } from "../node/store/testing/postgresServer";
import { hashlock } from "../protocol";
import { machine } from "./configurations";

const PAYMENTS = Number(process.env.BENCH_PAYMENTS ?? 500);
const STORES = (process.env.BENCH_STORES ?? "memory,disk,postgres").split(",");

interface Store {
  name: string;
  open(): Promise<{ database: Database; stop(): Promise<void> }>;
}

const STORE_KINDS: Store[] = [
  {
    name: "memory",
    open: async () => {
      const database = await openDatabase();
      return { database, stop: () => database.close() };
    },
  },
  {
    name: "disk",
    open: async () => {
      const dir = await mkdtemp(join(tmpdir(), "connext-node-path-"));
      const database = await openDatabase({ dataDir: dir });
      return {
        database,
        stop: async () => {
          await database.close();
          await rm(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: "postgres",
    open: async () => {
      const server = await startPostgres();
      const database = await openDatabase({ databaseUrl: server.url });
      return {
        database,
        stop: async () => {
          await database.close();
          await server.stop();
        },
      };
    },
  },
];

/** One routed payment, start to end: create, mirror, claim, the payer's resolve. */
async function payOnce(
  hub: RoutingHub,
  payer: Awaited<ReturnType<RoutingHub["user"]>>,
  payee: typeof payer,
  n: number,
) {
  const preImage = bytes32(1_000_000 + n);
  await hub.pay(payer, payee, { paymentId: bytes32(n), amount: 1n, preImage });
  await hub.settled();
  const mirror = [...payee.party.view.transfers.values()].find(
    (t) => hashlock.decodeState(t.transferState).lockHash === lockOf(preImage),
  );
  if (!mirror) throw new Error(`payment ${n}: no mirror reached the payee`);
  await hub.propose(payee, {
    type: "resolve",
    transferId: mirror.transferId,
    transferResolver: hashlock.encodeResolver({ preImage }),
  });
  await hub.settled();
}

async function run(store: Store): Promise<string> {
  const { database, stop } = await store.open();
  try {
    const hub = await routingHub(database);
    const payer = await hub.user(0, { deposit: 10n ** 18n });
    const payee = await hub.user(1, { collateral: 10n ** 18n });
    for (let n = 1; n <= 20; n++) await payOnce(hub, payer, payee, n); // warm-up
    const cpu = process.cpuUsage();
    const started = performance.now();
    for (let n = 21; n <= 20 + PAYMENTS; n++) await payOnce(hub, payer, payee, n);
    const wallMs = performance.now() - started;
    const used = process.cpuUsage(cpu);
    const cpuMs = (used.user + used.system) / 1000;
    return [
      store.name.padEnd(9),
      String(PAYMENTS).padEnd(9),
      ((PAYMENTS * 1000) / wallMs).toFixed(1).padEnd(11),
      (cpuMs / PAYMENTS).toFixed(2),
    ].join("  ");
  } finally {
    await stop();
  }
}

const secp = await useFastestSecp256k1();
console.log(`${machine()}; secp256k1: ${secp.backend.name}`);
console.log("store      payments   payments/s   CPU ms/payment (node + both parties, one process)");
for (const store of STORE_KINDS.filter((s) => STORES.includes(s.name))) {
  if (store.name === "postgres" && !postgresAvailable()) {
    console.log("postgres   SKIPPED: PostgreSQL's server binaries are not installed");
    continue;
  }
  console.log(await run(store));
}

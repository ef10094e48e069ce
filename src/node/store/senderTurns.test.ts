import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import postgres, { type Sql } from "postgres";
import { openDatabase } from "./database";
import { postgresSenderTurns } from "./senderTurns";
import {
  POSTGRES_MISSING,
  type PostgresServer,
  postgresAvailable,
  startPostgres,
} from "./testing/postgresServer";

/**
 * Sender turns (DESIGN §3.1) on their own: one turn per account at a time across processes,
 * the next nonce handed from turn to turn, and a turn's outcome reported as it was.
 */
const available = postgresAvailable();
if (!available) console.warn(`\n!!! ${POSTGRES_MISSING}\n`);

describe.skipIf(!available)("sender turns on PostgreSQL", () => {
  let server: PostgresServer;
  const clients: Sql[] = [];

  function nodeProcess() {
    const client = postgres(server.url, { max: 3, onnotice: () => {} });
    clients.push(client);
    return { client, turns: postgresSenderTurns(client) };
  }

  beforeAll(async () => {
    server = await startPostgres();
    await (await openDatabase({ databaseUrl: server.url })).close(); // migrates
  }, 60_000);

  afterAll(async () => {
    await Promise.allSettled(clients.map((client) => client.end({ timeout: 1 })));
    await server?.stop();
  });

  test("one turn at a time across processes, each given the nonce the last one left", async () => {
    const [a, b] = [nodeProcess(), nodeProcess()];
    let inTurn = 0;
    let most = 0;
    const seen: (number | undefined)[] = [];
    const turn = (process: typeof a) =>
      process.turns.take("0xAcc1", async (next) => {
        inTurn += 1;
        most = Math.max(most, inTurn);
        seen.push(next);
        await Bun.sleep(20);
        inTurn -= 1;
        return { result: next, nextNonce: (next ?? 100) + 1 };
      });
    await Promise.all(Array.from({ length: 8 }, (_, i) => turn(i % 2 ? a : b)));
    expect(most).toBe(1);
    expect(seen).toEqual([undefined, 101, 102, 103, 104, 105, 106, 107]);
  });

  test("a turn that throws leaves no nonce: the next asks the chain", async () => {
    const { turns } = nodeProcess();
    await turns.take("0xAcc2", async () => ({ result: 1, nextNonce: 7 }));
    await expect(
      turns.take("0xAcc2", async () => {
        throw new Error("broadcast refused");
      }),
    ).rejects.toThrow("broadcast refused");
    expect(await turns.take("0xAcc2", async (next) => ({ result: next, nextNonce: 1 }))).toBe(
      undefined,
    );
  });

  test("a turn cut off after its work (its session ended) still reports the work done", async () => {
    const { turns } = nodeProcess();
    const watcher = nodeProcess().client;
    const result = await turns.take("0xAcc3", async () => {
      // PostgreSQL ends the turn's session (as after 60 s idle): its commit never comes.
      await watcher`
        select pg_terminate_backend(pid) from pg_stat_activity
        where state = 'idle in transaction' and pid <> pg_backend_pid()`;
      return { result: "broadcast", nextNonce: 9 };
    });
    expect(result).toBe("broadcast");
  });
});

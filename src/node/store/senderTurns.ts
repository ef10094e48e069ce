import type { Sql } from "postgres";

/**
 * Turns at sending from one account, across every node process on the database (DESIGN §3):
 * while `work` runs, no other process picks a nonce for the account or broadcasts from it.
 * `work` gets the nonce the previous turn (of any process) left, undefined for "ask the chain",
 * and returns the one it leaves; a turn that throws leaves undefined (its nonce may be used).
 */
export interface SenderTurns {
  take<T>(
    address: string,
    work: (nextNonce: number | undefined) => Promise<{ result: T; nextNonce: number | undefined }>,
  ): Promise<T>;
}

/**
 * A turn holds no more than this between statements; PostgreSQL then ends its session and its
 * turn, so a process frozen mid-turn stops the others for no longer (a dead one's connection
 * closes at once). A broadcast's retries take far less.
 */
const TURN_IDLE_LIMIT = "60s";

/**
 * Turns as the row lock on the account's row in `transaction_senders`, held by one database
 * transaction per turn: waiting processes queue in PostgreSQL, and a process that dies
 * mid-turn loses the lock with its connection. The row carries the next nonce, so a turn
 * needs no look-up on the chain after another process's turn.
 */
export function postgresSenderTurns(client: Sql): SenderTurns {
  return {
    async take<T>(
      address: string,
      work: (
        nextNonce: number | undefined,
      ) => Promise<{ result: T; nextNonce: number | undefined }>,
    ): Promise<T> {
      const key = address.toLowerCase();
      let failure: { error: unknown } | undefined;
      let done: { value: T } | undefined;
      try {
        await client.begin(async (tx) => {
          await tx.unsafe(`set local idle_in_transaction_session_timeout = '${TURN_IDLE_LIMIT}'`);
          // One statement both creates the row the first time and locks it until the turn ends.
          const [row] = await tx<{ next_nonce: number | null }[]>`
            insert into transaction_senders (address) values (${key})
            on conflict (address) do update set updated_at = now()
            returning next_nonce`;
          let next: number | undefined;
          try {
            const turn = await work(row?.next_nonce ?? undefined);
            done = { value: turn.result };
            next = turn.nextNonce;
          } catch (error) {
            failure = { error };
            next = undefined;
          }
          await tx`update transaction_senders set next_nonce = ${next ?? null}, updated_at = now()
            where address = ${key}`;
        });
      } catch (error) {
        // The turn's work is done (a transaction may be out): losing the nonce it left only
        // costs the next turn a re-read of the chain after a conflict; never report it failed.
        if (!done) throw failure?.error ?? error;
      }
      if (failure) throw failure.error;
      return (done as { value: T }).value;
    },
  };
}

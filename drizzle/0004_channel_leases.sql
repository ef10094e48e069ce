-- UNLOGGED: a lease lives seconds, so it needs no WAL and no fsync on its hot path; a PostgreSQL
-- crash empties the table, as it drops every advisory lock (src/node/engine/channelLocks.ts).
CREATE UNLOGGED TABLE "channel_leases" (
	"channel_key" text PRIMARY KEY NOT NULL,
	"owner" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);

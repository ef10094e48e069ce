CREATE TABLE "pending_withdrawals" (
	"transfer_id" text PRIMARY KEY NOT NULL,
	"channel_address" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "pending_withdrawals_next_attempt_idx" ON "pending_withdrawals" USING btree ("next_attempt_at");--> statement-breakpoint
-- Withdrawals resolved before this table existed: sent again unless the chain says executed.
INSERT INTO "pending_withdrawals" ("transfer_id", "channel_address")
SELECT "transfer_id", "channel_address" FROM "transfers"
WHERE "status" = 'resolved' AND ("meta" -> 'withdraw') IS NOT NULL
ON CONFLICT DO NOTHING;

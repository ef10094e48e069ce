CREATE TABLE "transaction_senders" (
	"address" text PRIMARY KEY NOT NULL,
	"next_nonce" integer,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "onchain_transactions" ADD COLUMN "raw_transaction" text;--> statement-breakpoint
CREATE INDEX "onchain_transactions_unconfirmed_idx" ON "onchain_transactions" USING btree ("from_address") WHERE "onchain_transactions"."status" = 'pending' and "onchain_transactions"."raw_transaction" is not null;
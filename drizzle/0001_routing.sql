CREATE TABLE "identities" (
	"address" text PRIMARY KEY NOT NULL,
	"public_key" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "onchain_transactions" ADD COLUMN "from_address" text;--> statement-breakpoint
ALTER TABLE "onchain_transactions" ADD COLUMN "nonce" integer;--> statement-breakpoint
ALTER TABLE "onchain_transactions" ADD COLUMN "attempts" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "payments" ADD COLUMN "lock_hash" text NOT NULL;--> statement-breakpoint
ALTER TABLE "payments" ADD COLUMN "expiry" bigint NOT NULL;--> statement-breakpoint
ALTER TABLE "payments" ADD COLUMN "error" text;--> statement-breakpoint
CREATE INDEX "payments_sender_transfer_idx" ON "payments" USING btree ("sender_transfer_id");--> statement-breakpoint
CREATE INDEX "payments_recipient_transfer_idx" ON "payments" USING btree ("recipient_transfer_id");
CREATE TABLE "chain_cursors" (
	"name" text PRIMARY KEY NOT NULL,
	"block" bigint NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "channel_disputes" (
	"channel_address" text PRIMARY KEY NOT NULL,
	"first_block" bigint NOT NULL,
	"resumed_round" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "payments" ADD COLUMN "mirror_nonce" integer;--> statement-breakpoint
ALTER TABLE "payments" ADD COLUMN "mirror_expiry" bigint;--> statement-breakpoint
ALTER TABLE "payments" ADD COLUMN "pre_image" text;--> statement-breakpoint
CREATE INDEX "payments_recipient_asset_idx" ON "payments" USING btree ("recipient","asset_id");
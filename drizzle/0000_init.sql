CREATE TABLE "channel_updates" (
	"channel_address" text NOT NULL,
	"nonce" integer NOT NULL,
	"type" text NOT NULL,
	"update" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "channel_updates_channel_address_nonce_pk" PRIMARY KEY("channel_address","nonce")
);
--> statement-breakpoint
CREATE TABLE "channels" (
	"address" text PRIMARY KEY NOT NULL,
	"alice" text NOT NULL,
	"bob" text NOT NULL,
	"chain_id" bigint NOT NULL,
	"latest_nonce" integer NOT NULL,
	"latest_state" jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "collateral_settings" (
	"asset_id" text PRIMARY KEY NOT NULL,
	"target" numeric(78, 0) NOT NULL,
	"threshold" numeric(78, 0) NOT NULL,
	"reclaim_threshold" numeric(78, 0) NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "onchain_transactions" (
	"id" serial PRIMARY KEY NOT NULL,
	"channel_address" text,
	"purpose" text NOT NULL,
	"transaction_hash" text,
	"status" text NOT NULL,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "payments" (
	"payment_id" text PRIMARY KEY NOT NULL,
	"sender_transfer_id" text NOT NULL,
	"recipient_transfer_id" text,
	"sender" text NOT NULL,
	"recipient" text NOT NULL,
	"asset_id" text NOT NULL,
	"amount" numeric(78, 0) NOT NULL,
	"status" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "transfers" (
	"transfer_id" text PRIMARY KEY NOT NULL,
	"channel_address" text NOT NULL,
	"transfer_definition" text NOT NULL,
	"initiator" text NOT NULL,
	"responder" text NOT NULL,
	"asset_id" text NOT NULL,
	"initiator_amount" numeric(78, 0) NOT NULL,
	"responder_amount" numeric(78, 0) NOT NULL,
	"state" jsonb NOT NULL,
	"resolver" text,
	"status" text NOT NULL,
	"position" integer,
	"created_nonce" integer NOT NULL,
	"resolved_nonce" integer,
	"meta" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"resolved_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "channel_updates" ADD CONSTRAINT "channel_updates_channel_address_channels_address_fk" FOREIGN KEY ("channel_address") REFERENCES "public"."channels"("address") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "transfers" ADD CONSTRAINT "transfers_channel_address_channels_address_fk" FOREIGN KEY ("channel_address") REFERENCES "public"."channels"("address") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "onchain_transactions_channel_idx" ON "onchain_transactions" USING btree ("channel_address");--> statement-breakpoint
CREATE INDEX "payments_status_idx" ON "payments" USING btree ("status");--> statement-breakpoint
CREATE INDEX "transfers_active_idx" ON "transfers" USING btree ("channel_address","position") WHERE "transfers"."status" = 'active';
DROP INDEX "payments_recipient_asset_idx";--> statement-breakpoint
ALTER TABLE "channel_updates" ALTER COLUMN "update" SET DATA TYPE json;--> statement-breakpoint
ALTER TABLE "channels" ALTER COLUMN "latest_state" SET DATA TYPE json;--> statement-breakpoint
ALTER TABLE "transfers" ALTER COLUMN "state" SET DATA TYPE json;--> statement-breakpoint
ALTER TABLE "transfers" ALTER COLUMN "meta" SET DATA TYPE json;--> statement-breakpoint
CREATE INDEX "payments_waiting_idx" ON "payments" USING btree ("recipient","asset_id") WHERE "payments"."status" = 'pending' and "payments"."recipient_transfer_id" is null;--> statement-breakpoint
CREATE INDEX "payments_recipient_asset_idx" ON "payments" USING btree ("recipient","asset_id","updated_at");
DROP INDEX "payments_recipient_asset_idx";--> statement-breakpoint
CREATE INDEX "payments_waiting_idx" ON "payments" USING btree ("recipient","asset_id") WHERE "payments"."status" = 'pending' and "payments"."recipient_transfer_id" is null;--> statement-breakpoint
CREATE INDEX "payments_recipient_asset_idx" ON "payments" USING btree ("recipient","asset_id","updated_at");
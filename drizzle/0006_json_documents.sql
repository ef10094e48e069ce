ALTER TABLE "channel_updates" ALTER COLUMN "update" SET DATA TYPE json;--> statement-breakpoint
ALTER TABLE "channels" ALTER COLUMN "latest_state" SET DATA TYPE json;--> statement-breakpoint
ALTER TABLE "transfers" ALTER COLUMN "state" SET DATA TYPE json;--> statement-breakpoint
ALTER TABLE "transfers" ALTER COLUMN "meta" SET DATA TYPE json;
-- Channel states, updates and transfers are 1-3 KB of json written on every update: stored
-- inline and uncompressed up to a page (instead of compressed or moved out of line past
-- 2 KB), which saves PostgreSQL a compression attempt per write and a decompression per read.
ALTER TABLE "channels" SET (toast_tuple_target = 8160);--> statement-breakpoint
ALTER TABLE "channel_updates" SET (toast_tuple_target = 8160);--> statement-breakpoint
ALTER TABLE "transfers" SET (toast_tuple_target = 8160);

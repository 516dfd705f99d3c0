ALTER TABLE "media_assets" ADD COLUMN "duration_seconds" double precision;--> statement-breakpoint
ALTER TABLE "media_assets" ADD COLUMN "average_bitrate_kbps" integer;--> statement-breakpoint
ALTER TABLE "media_assets" ADD COLUMN "codecs" text;--> statement-breakpoint
ALTER TABLE "media_assets" ADD COLUMN "frame_rate" double precision;--> statement-breakpoint
ALTER TABLE "media_assets" ADD COLUMN "hls_segment_count" integer;--> statement-breakpoint
ALTER TABLE "media_assets" ADD COLUMN "hls_target_duration" smallint;--> statement-breakpoint
ALTER TABLE "media_assets" ADD COLUMN "hls_media_path" text;--> statement-breakpoint
ALTER TABLE "media_assets" ADD CONSTRAINT "media_assets_duration_check" CHECK ("media_assets"."duration_seconds" is null or "media_assets"."duration_seconds" >= 0);
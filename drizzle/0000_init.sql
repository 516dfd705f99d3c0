CREATE TYPE "public"."asset_kind" AS ENUM('ORIGINAL', 'DOWNLOAD', 'VIDEO', 'HLS', 'AUDIO', 'SUBTITLE', 'ARTWORK');--> statement-breakpoint
CREATE TYPE "public"."asset_lifecycle" AS ENUM('standard', 'archive');--> statement-breakpoint
CREATE TYPE "public"."bundle_source" AS ENUM('rebuild', 'upload');--> statement-breakpoint
CREATE TYPE "public"."bundle_status" AS ENUM('building', 'ready', 'failed', 'expired');--> statement-breakpoint
CREATE TYPE "public"."hdr_format" AS ENUM('none', 'hdr10', 'hdr10plus', 'dolby_vision', 'hlg');--> statement-breakpoint
CREATE TYPE "public"."title_kind" AS ENUM('movie', 'series');--> statement-breakpoint
CREATE TYPE "public"."title_status" AS ENUM('draft', 'published', 'archived');--> statement-breakpoint
CREATE TYPE "public"."upload_state" AS ENUM('pending', 'uploaded', 'finalized');--> statement-breakpoint
CREATE TABLE "admin_users" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"email" text NOT NULL,
	"password_hash" text NOT NULL,
	"totp_secret_enc" text,
	"last_totp_step" bigint,
	"disabled" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "admin_users_email_unique" UNIQUE("email")
);
--> statement-breakpoint
CREATE TABLE "audit_logs" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor" text NOT NULL,
	"action" text NOT NULL,
	"resource_type" text NOT NULL,
	"resource_id" text,
	"request_id" text,
	"ip" text,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "bundles" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"title_id" uuid NOT NULL,
	"season_number" integer NOT NULL,
	"storage_key" text NOT NULL,
	"manifest_key" text,
	"size_bytes" bigint,
	"sha256" text,
	"item_count" integer,
	"label" text,
	"status" "bundle_status" DEFAULT 'building' NOT NULL,
	"source" "bundle_source" DEFAULT 'rebuild' NOT NULL,
	"expires_at" timestamp with time zone,
	"created_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "episodes" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"title_id" uuid NOT NULL,
	"season_number" integer NOT NULL,
	"episode_number" integer NOT NULL,
	"name" text,
	"overview" text,
	"runtime_minutes" integer,
	"air_date" date,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "episodes_season_episode_unique" UNIQUE("title_id","season_number","episode_number"),
	CONSTRAINT "episodes_number_check" CHECK ("episodes"."episode_number" >= 1)
);
--> statement-breakpoint
CREATE TABLE "media_assets" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"title_id" uuid NOT NULL,
	"episode_id" uuid,
	"kind" "asset_kind" NOT NULL,
	"storage_key" text NOT NULL,
	"filename" text NOT NULL,
	"content_type" text,
	"size_bytes" bigint,
	"sha256" text,
	"crc32" bigint,
	"container" text,
	"video_codec" text,
	"audio_codec" text,
	"width" integer,
	"height" integer,
	"hdr" "hdr_format" DEFAULT 'none' NOT NULL,
	"stereoscopic" boolean DEFAULT false NOT NULL,
	"channels" smallint,
	"bitrate_kbps" integer,
	"language" text,
	"label" text,
	"stream_tier" smallint,
	"is_streamable" boolean DEFAULT false NOT NULL,
	"is_default" boolean DEFAULT false NOT NULL,
	"is_forced" boolean DEFAULT false NOT NULL,
	"upload_state" "upload_state" DEFAULT 'pending' NOT NULL,
	"multipart_upload_id" text,
	"lifecycle" "asset_lifecycle" DEFAULT 'standard' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "media_assets_storage_key_unique" UNIQUE("storage_key"),
	CONSTRAINT "media_assets_stream_tier_check" CHECK ("media_assets"."stream_tier" is null or ("media_assets"."stream_tier" in (480, 720, 1080) and "media_assets"."kind" = 'HLS')),
	CONSTRAINT "media_assets_size_check" CHECK ("media_assets"."size_bytes" is null or "media_assets"."size_bytes" >= 0),
	CONSTRAINT "media_assets_sha256_check" CHECK ("media_assets"."sha256" is null or "media_assets"."sha256" ~ '^[0-9a-f]{64}$')
);
--> statement-breakpoint
CREATE TABLE "seasons" (
	"title_id" uuid NOT NULL,
	"number" integer NOT NULL,
	"name" text,
	"overview" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "seasons_title_id_number_pk" PRIMARY KEY("title_id","number"),
	CONSTRAINT "seasons_number_check" CHECK ("seasons"."number" >= 0)
);
--> statement-breakpoint
CREATE TABLE "titles" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"kind" "title_kind" NOT NULL,
	"slug" text NOT NULL,
	"name" text NOT NULL,
	"original_name" text,
	"overview" text,
	"year" smallint,
	"release_date" date,
	"genres" text[] DEFAULT '{}'::text[] NOT NULL,
	"languages" text[] DEFAULT '{}'::text[] NOT NULL,
	"age_rating" text,
	"runtime_minutes" integer,
	"status" "title_status" DEFAULT 'draft' NOT NULL,
	"popularity" real DEFAULT 0 NOT NULL,
	"search" "tsvector" GENERATED ALWAYS AS (setweight(to_tsvector('simple', coalesce(name, '')), 'A') || setweight(to_tsvector('simple', coalesce(original_name, '')), 'B') || setweight(to_tsvector('english', coalesce(overview, '')), 'C')) STORED,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "titles_slug_unique" UNIQUE("slug")
);
--> statement-breakpoint
ALTER TABLE "bundles" ADD CONSTRAINT "bundles_title_id_titles_id_fk" FOREIGN KEY ("title_id") REFERENCES "public"."titles"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "episodes" ADD CONSTRAINT "episodes_title_id_titles_id_fk" FOREIGN KEY ("title_id") REFERENCES "public"."titles"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "episodes" ADD CONSTRAINT "episodes_title_id_season_number_seasons_title_id_number_fk" FOREIGN KEY ("title_id","season_number") REFERENCES "public"."seasons"("title_id","number") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "media_assets" ADD CONSTRAINT "media_assets_title_id_titles_id_fk" FOREIGN KEY ("title_id") REFERENCES "public"."titles"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "media_assets" ADD CONSTRAINT "media_assets_episode_id_episodes_id_fk" FOREIGN KEY ("episode_id") REFERENCES "public"."episodes"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "seasons" ADD CONSTRAINT "seasons_title_id_titles_id_fk" FOREIGN KEY ("title_id") REFERENCES "public"."titles"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "audit_logs_at_idx" ON "audit_logs" USING btree ("at","id");--> statement-breakpoint
CREATE INDEX "audit_logs_resource_idx" ON "audit_logs" USING btree ("resource_type","resource_id");--> statement-breakpoint
CREATE INDEX "bundles_title_season_idx" ON "bundles" USING btree ("title_id","season_number","status");--> statement-breakpoint
CREATE INDEX "media_assets_title_kind_idx" ON "media_assets" USING btree ("title_id","kind");--> statement-breakpoint
CREATE INDEX "media_assets_episode_idx" ON "media_assets" USING btree ("episode_id");--> statement-breakpoint
CREATE INDEX "titles_search_idx" ON "titles" USING gin ("search");--> statement-breakpoint
CREATE INDEX "titles_status_popularity_idx" ON "titles" USING btree ("status","popularity");
CREATE TABLE "recording_policies" (
	"device_id" text PRIMARY KEY NOT NULL,
	"retention_s" integer NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "recording_segments" (
	"id" text PRIMARY KEY NOT NULL,
	"recording_id" text NOT NULL,
	"device_id" text NOT NULL,
	"channel" integer NOT NULL,
	"name" text NOT NULL,
	"start" double precision NOT NULL,
	"duration" double precision NOT NULL,
	"size" bigint NOT NULL,
	"discontinuity" boolean NOT NULL,
	"file_key" text NOT NULL,
	"confirmed_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "recording_sessions" (
	"id" text PRIMARY KEY NOT NULL,
	"token" text NOT NULL,
	"session_id" text NOT NULL,
	"device_id" text NOT NULL,
	"channel" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"closed_at" timestamp with time zone,
	CONSTRAINT "recording_sessions_token_unique" UNIQUE("token"),
	CONSTRAINT "recording_sessions_session_id_unique" UNIQUE("session_id")
);
--> statement-breakpoint
CREATE TABLE "recording_stats" (
	"id" text PRIMARY KEY NOT NULL,
	"recording_id" text NOT NULL,
	"device_id" text NOT NULL,
	"channel" integer NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"dropped_nb" integer NOT NULL,
	"dropped_time" double precision NOT NULL
);
--> statement-breakpoint
CREATE INDEX "recording_segments_channel_start_idx" ON "recording_segments" USING btree ("device_id","channel","start");--> statement-breakpoint
CREATE UNIQUE INDEX "recording_sessions_open_idx" ON "recording_sessions" USING btree ("device_id","channel") WHERE "recording_sessions"."closed_at" is null;--> statement-breakpoint
CREATE INDEX "recording_stats_recording_idx" ON "recording_stats" USING btree ("recording_id","received_at");
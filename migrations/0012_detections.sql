-- Detection events (docs/detection.md): one row per detector run on a device channel, linked to its alarm and recording.
CREATE TABLE "detections" (
	"id" text PRIMARY KEY NOT NULL,
	"device_id" text NOT NULL,
	"channel" integer NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"alarm_id" text,
	"snapshot_id" text,
	"recording_id" text,
	"classes" text[] NOT NULL,
	"top_score" real NOT NULL,
	"objects" jsonb NOT NULL,
	"width" integer NOT NULL,
	"height" integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX "detections_device_at_idx" ON "detections" USING btree ("device_id","at","id");--> statement-breakpoint
CREATE INDEX "detections_at_idx" ON "detections" USING btree ("at","id");
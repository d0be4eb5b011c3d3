-- Quotas (docs/recording.md, "Quotas"): a device's own quota, what each device keeps (bytes and count of its confirmed
-- segments, kept by statement triggers on recording_segments so a quota check reads one row per device), and the
-- index that finds a device's oldest confirmed segments. A segment leaving `confirmed` (its removal begins: retention,
-- quota, nothing else) loses its index row in the commit that decides it: playback stops listing it and the usage
-- stops counting it at once, while its removal effect deletes the bytes.
CREATE TABLE "recording_quotas" (
	"device_id" text PRIMARY KEY NOT NULL,
	"quota_bytes" bigint NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "recording_usage" (
	"device_id" text PRIMARY KEY NOT NULL,
	"bytes" bigint DEFAULT 0 NOT NULL,
	"segments" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE INDEX "recording_segments_device_confirmed_idx" ON "recording_segments" USING btree ("device_id","confirmed_at","id");
--> statement-breakpoint
DELETE FROM recording_segments s USING actors a WHERE a.id = s.id AND a.state_key IS DISTINCT FROM 'confirmed';--> statement-breakpoint
INSERT INTO recording_usage (device_id, bytes, segments) SELECT device_id, sum(size), count(*) FROM recording_segments GROUP BY device_id;--> statement-breakpoint
-- Rows are added and removed in batches (group commits, batched removals): one statement per batch, devices in id
-- order so two batches lock their usage rows in the same order.
CREATE FUNCTION h627_usage_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO recording_usage (device_id, bytes, segments)
  SELECT device_id, sum(size), count(*) FROM added GROUP BY device_id ORDER BY device_id
  ON CONFLICT (device_id) DO UPDATE SET bytes = recording_usage.bytes + EXCLUDED.bytes, segments = recording_usage.segments + EXCLUDED.segments;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE FUNCTION h627_usage_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO recording_usage (device_id, bytes, segments)
  SELECT device_id, -sum(size), -count(*) FROM removed GROUP BY device_id ORDER BY device_id
  ON CONFLICT (device_id) DO UPDATE SET bytes = recording_usage.bytes + EXCLUDED.bytes, segments = recording_usage.segments + EXCLUDED.segments;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER recording_segments_usage_added AFTER INSERT ON recording_segments REFERENCING NEW TABLE AS added
  FOR EACH STATEMENT EXECUTE FUNCTION h627_usage_added();--> statement-breakpoint
CREATE TRIGGER recording_segments_usage_removed AFTER DELETE ON recording_segments REFERENCING OLD TABLE AS removed
  FOR EACH STATEMENT EXECUTE FUNCTION h627_usage_removed();--> statement-breakpoint
CREATE FUNCTION h627_segment_unkept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM recording_segments WHERE id = NEW.id;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER actors_segment_unkept AFTER UPDATE ON actors FOR EACH ROW
  WHEN (NEW.type = 'segment' AND OLD.state_key = 'confirmed' AND NEW.state_key IS DISTINCT FROM 'confirmed')
  EXECUTE FUNCTION h627_segment_unkept();

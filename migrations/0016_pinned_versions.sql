-- The version of a segment's object that its confirmation pinned (a direct upload to a versioned S3 bucket: the
-- segment actor's context `version`, from the HEAD that found it), null on a store without versions. Playback reads
-- that version and removal deletes it, whatever the upload URL, valid until it expires, writes under the key later
-- (docs/recording.md, "Storage on S3"). The projection of migrations/0005 carries it into the playback index. The
-- row's stored context is usually the one written at the segment's create (a commit carries the context's changes in
-- its events, actors/host/pending-write.ts), so the version is read from the confirm event, written by the same
-- statement (an AFTER trigger sees the statement's rows): one primary-key probe of this actor's new events.
ALTER TABLE "recording_segments" ADD COLUMN "file_version" text;--> statement-breakpoint
CREATE OR REPLACE FUNCTION h627_segment_confirmed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  pinned text := NEW.context->>'version';
BEGIN
  IF pinned IS NULL THEN
    SELECT e.event->>'storedVersion' INTO pinned FROM actor_events e
    WHERE e.actor_id = NEW.id AND e.seq > OLD.seq AND e.seq <= NEW.seq AND e.event->>'type' = 'segment.confirm'
    ORDER BY e.seq DESC LIMIT 1;
  END IF;
  INSERT INTO recording_segments (id, recording_id, device_id, channel, name, start, duration, size, discontinuity, file_key, file_version, confirmed_at)
  VALUES (NEW.id, NEW.context->>'recordingId', NEW.context->>'deviceId', (NEW.context->>'channel')::int, NEW.context->>'name',
    (NEW.context->>'start')::float8, (NEW.context->>'duration')::float8, (NEW.context->>'size')::bigint,
    (NEW.context->>'discontinuity')::boolean, NEW.context->>'key', pinned, NEW.updated_at)
  ON CONFLICT (id) DO NOTHING;
  RETURN NULL;
END
$$;

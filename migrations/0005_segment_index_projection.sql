-- The playback index (recording_segments) as a projection of the segment actors, written in the
-- transaction that commits a segment's confirmation: the row appears exactly when the segment's
-- state becomes `confirmed`, in the same group-commit statement (actors/store.ts), so a confirmed
-- segment never lacks its row and a confirmation costs no statement, round trip or WAL flush of its
-- own. The row is built from the actor row's stored context (the segment's create input: the name,
-- start, duration, size, discontinuity and storage key never change afterwards); the confirmation
-- time is the commit's `updated_at`. Removal (platform/recording.ts) still deletes the row.
-- The WHEN clause is evaluated without calling the function, so other actors' updates cost next to nothing.
CREATE FUNCTION h627_segment_confirmed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO recording_segments (id, recording_id, device_id, channel, name, start, duration, size, discontinuity, file_key, confirmed_at)
  VALUES (NEW.id, NEW.context->>'recordingId', NEW.context->>'deviceId', (NEW.context->>'channel')::int, NEW.context->>'name',
    (NEW.context->>'start')::float8, (NEW.context->>'duration')::float8, (NEW.context->>'size')::bigint,
    (NEW.context->>'discontinuity')::boolean, NEW.context->>'key', NEW.updated_at)
  ON CONFLICT (id) DO NOTHING;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER actors_segment_confirmed AFTER UPDATE ON actors FOR EACH ROW
  WHEN (NEW.type = 'segment' AND NEW.state_key = 'confirmed' AND OLD.state_key IS DISTINCT FROM 'confirmed')
  EXECUTE FUNCTION h627_segment_confirmed();

-- Continuous detection (docs/detection.md): a presence has a start (`at`) and an end (`ended_at`, its last sighting);
-- null for alarm-mode rows and for a presence still open.
ALTER TABLE "detections" ADD COLUMN "ended_at" timestamp with time zone;

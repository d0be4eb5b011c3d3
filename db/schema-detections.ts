/** Drizzle schema of detection events (docs/detection.md), part of db/schema.ts (which re-exports it). */
import { index, integer, jsonb, pgTable, real, text, timestamp } from 'drizzle-orm/pg-core';

/** One object found in a picture: COCO class, score, box in the picture's pixels [x, y, width, height]. */
export interface DetectionBox {
  class: string;
  score: number;
  box: [number, number, number, number];
  /** The zones its foot point fell in (none configured: absent). */
  zones?: string[];
}

/**
 * Detection events: one detector run on a device channel (docs/detection.md), linked to the alarm that caused it.
 * A run with nothing of interest is kept too, `classes` empty, so an alarm shows it was looked at. `picture` is the
 * snapshot's stored file (its row in `snapshots`), `top_score` the best score found (0 when none).
 */
export const detections = pgTable(
  'detections',
  {
    id: text('id').primaryKey(),
    deviceId: text('device_id').notNull(),
    channel: integer('channel').notNull(),
    /** When the picture was taken (alarm mode), or when the presence started (continuous mode). */
    at: timestamp('at', { withTimezone: true, mode: 'date' }).notNull(),
    /** Continuous mode: when the presence ended (its last sighting); null for alarm-mode rows and a presence still open. */
    endedAt: timestamp('ended_at', { withTimezone: true, mode: 'date' }),
    alarmId: text('alarm_id'),
    snapshotId: text('snapshot_id'),
    /** The channel's record session open when the picture was taken (its recording actor id), if any. */
    recordingId: text('recording_id'),
    /** The classes found (distinct, those the setting asked for), e.g. `{person}`; empty: nothing of interest. */
    classes: text('classes').array().notNull(),
    topScore: real('top_score').notNull(),
    objects: jsonb('objects').$type<DetectionBox[]>().notNull(),
    width: integer('width').notNull(),
    height: integer('height').notNull(),
  },
  (t) => [index('detections_device_at_idx').on(t.deviceId, t.at, t.id), index('detections_at_idx').on(t.at, t.id)],
);

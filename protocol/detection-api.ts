/**
 * Bodies and queries of the detection API (`PUT /api/devices/:id/channels/:ch/detection`, `GET /api/detections`,
 * docs/detection.md): the single source of their types.
 * @module
 */
import { z } from 'zod';
import { CLASS_GROUPS, COCO_CLASSES } from './coco-classes.ts';
import { EventCursor } from './events-api.ts';
import { ChannelParam, DeviceId } from './paths.ts';
import { Instant } from './recording-api.ts';
import { text } from './text.ts';
import {
  DETECT_CHANNEL_FPS_DEFAULT,
  DETECT_CHANNEL_FPS_MAX,
  DETECT_CHANNEL_FPS_MIN,
  DETECTIONS_PAGE_DEFAULT,
  DETECTIONS_PAGE_MAX,
  MIN_SCORE_DEFAULT,
  MIN_SCORE_MAX,
  MIN_SCORE_MIN,
  ZONE_NAME_MAX_CHARS,
  ZONE_POINTS_MAX,
  ZONE_POINTS_MIN,
  ZONES_MAX,
} from './detection-bounds.ts';

export * from './detection-bounds.ts';

/** A class a setting names: a group (person, vehicle, animal) or any COCO class. */
export const DetectClass = z.enum([...(Object.keys(CLASS_GROUPS) as (keyof typeof CLASS_GROUPS)[]), ...COCO_CLASSES]);

/** A polygon on the picture, corners as fractions of its width and height. */
export const DetectZone = z.strictObject({
  name: text(ZONE_NAME_MAX_CHARS, 1),
  points: z
    .array(z.tuple([z.number().min(0).max(1), z.number().min(0).max(1)]))
    .min(ZONE_POINTS_MIN)
    .max(ZONE_POINTS_MAX),
});

/** `PUT /api/devices/:id/channels/:ch/detection`. */
export const DetectionBody = z.strictObject({
  mode: z.enum(['off', 'alarm', 'continuous']),
  classes: z.array(DetectClass).min(1).max(COCO_CLASSES.length).default(['person']),
  min_score: z.number().min(MIN_SCORE_MIN).max(MIN_SCORE_MAX).default(MIN_SCORE_DEFAULT),
  zones: z.array(DetectZone).max(ZONES_MAX).default([]),
  fps: z.number().min(DETECT_CHANNEL_FPS_MIN).max(DETECT_CHANNEL_FPS_MAX).default(DETECT_CHANNEL_FPS_DEFAULT),
});
/** A channel's detection setting as sent. */
export type DetectionBody = z.infer<typeof DetectionBody>;

/** A channel's detection setting and its detector's state, as the API answers. */
export const DetectionSetting = z.object({
  mode: z.enum(['off', 'alarm', 'continuous']),
  classes: z.array(z.string()),
  min_score: z.number(),
  zones: z.array(DetectZone),
  fps: z.number(),
  state: z.string(),
  reason: z.string(),
  failure: z.string().nullable(),
  set_by: z.string().nullable(),
});

/**
 * `GET /api/detections?device=&channel=&class=&zone=&from=&to=&before=&limit=`: the detection events of the cameras
 * the caller may see (all of them without `device`), newest first, a page at a time (keyset on `(at, id)`: `before`
 * is the `next` of the previous page, as for the events page).
 */
export const DetectionsQuery = z.strictObject({
  device: DeviceId.optional(),
  channel: ChannelParam.optional(),
  class: DetectClass.optional(),
  /** Events with an object in the zone of this name. */
  zone: text(ZONE_NAME_MAX_CHARS, 1).optional(),
  /** Events at or after this time (epoch seconds or ISO 8601). */
  from: Instant.optional(),
  /** Events before this time. */
  to: Instant.optional(),
  /** The `next` of the previous page: `<epoch ms>_<id>`. */
  before: EventCursor.optional(),
  limit: z.coerce.number().int().min(1).max(DETECTIONS_PAGE_MAX).default(DETECTIONS_PAGE_DEFAULT),
});
export type DetectionsQuery = z.output<typeof DetectionsQuery>;

/** One detection event as listed. */
export const DetectionItem = z.object({
  id: z.string(),
  device: z.string(),
  channel: z.number(),
  /** When the picture was taken (alarm mode), or when the presence started (continuous mode). */
  at: z.string(),
  /** Continuous mode: when the presence ended (its last sighting); null in alarm mode and while the presence lasts. */
  ended_at: z.string().nullable(),
  alarm_id: z.string().nullable(),
  /** The channel's record session open when the picture was taken (play from `at` minus a few seconds). */
  recording_id: z.string().nullable(),
  classes: z.array(z.string()),
  top_score: z.number(),
  objects: z.array(z.object({ class: z.string(), score: z.number(), box: z.array(z.number()), zones: z.array(z.string()).optional() })),
  width: z.number(),
  height: z.number(),
  picture: z.string().nullable(),
});
/** One detection event as listed (`ended_at` comes with continuous mode's presences). */
export type DetectionItem = z.infer<typeof DetectionItem>;
/** A page of detection events and the cursor of the next (older) page (null on the last); `truncated`: there is one. */
export const DetectionList = z.object({ detections: z.array(DetectionItem), next: z.string().nullable(), truncated: z.boolean() });

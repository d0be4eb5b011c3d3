/**
 * The bounds of a channel's detection setting and of the detection listing (docs/detection.md): a leaf module without
 * dependencies, so the console imports it without zod (protocol/detection-api.ts re-exports it).
 * @module
 */

/** Lowest and highest minimum score a setting may ask for (below 0.2 the model mostly guesses). */
export const MIN_SCORE_MIN = 0.2;
export const MIN_SCORE_MAX = 0.95;
/** Zones a channel may have, corners a zone may have, and a zone name's length (platform's choices). */
export const ZONES_MAX = 8;
export const ZONE_POINTS_MIN = 3;
export const ZONE_POINTS_MAX = 32;
export const ZONE_NAME_MAX_CHARS = 40;
/** Frames per second a channel may ask for in continuous mode (the node budget shares its own among cameras). */
export const DETECT_CHANNEL_FPS_MIN = 0.1;
export const DETECT_CHANNEL_FPS_MAX = 5;
/** Largest page of detection events one listing returns (platform's choice). */
export const DETECTIONS_PAGE_MAX = 200;
/** Page of detection events when `limit` is not given. */
export const DETECTIONS_PAGE_DEFAULT = 50;
/** The setting's defaults: people, a minimum score of 0.5, 1 frame/s in continuous mode. */
export const MIN_SCORE_DEFAULT = 0.5;
export const DETECT_CHANNEL_FPS_DEFAULT = 1;

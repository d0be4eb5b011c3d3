/**
 * The kinds of device event (docs/webhooks.md) and how people read them: a leaf module without dependencies, so the
 * console imports it without zod.
 * @module
 */

/**
 * What a device event can be: an alarm (AlarmNotify, I.2.16), the pu going offline or back online, a record session
 * failing, a firmware upgrade ending, a detection that found a class of interest (docs/detection.md).
 */
export const EVENT_KINDS = ['alarm', 'offline', 'online', 'recording_failed', 'firmware_done', 'firmware_failed', 'detection'] as const;
/** One kind of device event. */
export type EventKind = (typeof EVENT_KINDS)[number];

/** Each kind as the console names it. */
export const EVENT_KIND_LABELS: Record<EventKind, string> = {
  alarm: 'Alarm',
  offline: 'Offline',
  online: 'Back online',
  recording_failed: 'Recording failed',
  firmware_done: 'Firmware upgraded',
  firmware_failed: 'Firmware upgrade failed',
  detection: 'Detection',
};

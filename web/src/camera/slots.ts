/**
 * The camera page's media panels: live video in the page (camera/live.ts: mpegts.js over the live
 * WSS endpoint) and recordings (camera/recordings.ts: recording on/off, the day's timeline with
 * playback through hls.js over playback.m3u8, and downloads). Each mounts into its own section of
 * the camera page, given the device and the selected channel, and returns its cleanup.
 */

/** What a camera-page panel gets. */
export interface PanelContext {
  deviceId: string;
  channel(): number;
  /** Called whenever the selected channel changes. */
  onChannel(f: (ch: number) => void): void;
}

export { mountLive } from './live.ts';
import { mountRecordings as mountRecordingPanel } from './recordings.ts';
import { mountDeviceUsage } from './storage-usage.ts';

/** The recordings card: recording, timeline and playback (recordings.ts), and the camera's storage (storage-usage.ts). */
export function mountRecordings(section: HTMLElement, ctx: PanelContext): () => void {
  const stops = [mountRecordingPanel(section, ctx), mountDeviceUsage(section, ctx.deviceId)];
  return () => {
    for (const stop of stops) stop();
  };
}
export { playAlarmButton } from './alarms.ts';
export { mountSdCard } from './sd-card.ts';
export { mountDetection } from './detection.ts';

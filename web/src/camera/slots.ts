/**
 * Slots for what needs the live and recording APIs (docs/console.md "What is left"): live video in
 * the page (mpegts.js over the live WSS endpoint), recording on/off, and the day timeline with
 * playback (hls.js over playback.m3u8) and downloads. Each mounts into its own section of the
 * camera page, given the device and the selected channel, and returns its cleanup.
 */
import { h } from '../dom.ts';

/** What a camera-page panel gets. */
export interface PanelContext {
  deviceId: string;
  channel(): number;
  /** Called whenever the selected channel changes. */
  onChannel(f: (ch: number) => void): void;
}

/** Live video: to be mpegts.js on a <video>, started and stopped on demand. */
export function mountLive(root: HTMLElement, _ctx: PanelContext): () => void {
  root.append(h('p', { class: 'muted slot', 'data-slot': 'live' }, 'Live video comes here once the live API is in place.'));
  return () => {};
}

/** Recording on/off and the timeline of a day (ranges, gaps, click to play, download a range). */
export function mountRecordings(root: HTMLElement, _ctx: PanelContext): () => void {
  root.append(h('p', { class: 'muted slot', 'data-slot': 'recordings' }, 'Recording control and the timeline come here once the recording API is in place.'));
  return () => {};
}

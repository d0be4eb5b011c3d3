/**
 * Detections in the recordings panel (docs/console.md "Detection"): the day's detection events of the channel that
 * found something, as purple marks on the timeline (played from a few seconds before, as alarms are), and the link
 * from the detections page (`/cameras/:id?play=<epoch s>&ch=<channel>`) that opens the camera and plays from there.
 */
import type { DetectionItem } from '../../../protocol/detection-api.ts';
import { DETECTIONS_PAGE_MAX } from '../../../protocol/detection-bounds.ts';
import { api } from '../api.ts';
import type { AlarmMark } from './timeline.ts';

/** The page parameters of a link that plays from a time: epoch seconds and the channel. */
export const PLAY_AT_PARAM = 'play';
export const PLAY_CHANNEL_PARAM = 'ch';

/** The link that opens a camera and plays its recording from `at` (epoch seconds) on `channel`. */
export const playLink = (deviceId: string, channel: number, at: number) =>
  `/cameras/${encodeURIComponent(deviceId)}?${PLAY_AT_PARAM}=${Math.floor(at)}&${PLAY_CHANNEL_PARAM}=${channel}#recordings`;

/** The day's detections of a channel that found something, as timeline marks (the newest DETECTIONS_PAGE_MAX). */
export async function dayDetections(deviceId: string, channel: number, range: { from: number; to: number }): Promise<AlarmMark[]> {
  const qs = new URLSearchParams({
    device: deviceId,
    channel: String(channel),
    from: String(range.from),
    to: String(range.to),
    limit: String(DETECTIONS_PAGE_MAX),
  });
  const r = await api<{ detections: DetectionItem[] }>(`/api/detections?${qs}`);
  return r.detections
    .filter((d) => d.classes.length > 0)
    .map((d) => ({ id: d.id, t: Date.parse(d.at) / 1000, name: d.classes.join(', '), kind: 'detection' as const }));
}

/**
 * Play what the page's link asks for, once (the parameters are then taken off the address): `playAt(t)` plays from a
 * little before `t`; `say` explains when the channel shown is another.
 */
export async function playLinked(
  panel: { channel(): number; showDay(t: number): Promise<unknown> },
  playAt: (t: number) => void,
  say: (message: string) => void,
): Promise<void> {
  const q = new URLSearchParams(location.search);
  const at = Number(q.get(PLAY_AT_PARAM));
  if (!q.has(PLAY_AT_PARAM) || !Number.isFinite(at) || at <= 0) return;
  const channel = Number(q.get(PLAY_CHANNEL_PARAM) ?? panel.channel());
  q.delete(PLAY_AT_PARAM);
  q.delete(PLAY_CHANNEL_PARAM);
  history.replaceState(history.state, '', `${location.pathname}${q.size ? `?${q}` : ''}${location.hash}`);
  if (channel !== panel.channel()) return say(`That detection is on channel ${channel}: choose channel ${channel} above to play it.`);
  await panel.showDay(at);
  playAt(at);
}

/**
 * The admins' stream overview (`GET /api/admin/streams`): every stream that has not ended, with its state, viewers,
 * bitrate, bytes and since when. The list reloads when the actor feed reports a stream's logged transition; the
 * figures (volatile in the stream actors: not in the feed) are re-read every STREAM_FIGURES_REFRESH_MS while the page
 * is visible.
 */
import type { StreamOverviewRow } from '../../../services/live/live.ts';
import { api, explain } from '../api.ts';
import { statusLine } from '../action.ts';
import { card, fmtRelative, h, replace } from '../dom.ts';
import { openFeed } from '../feed.ts';
import { fmtBytes, fmtClock } from '../camera/media.ts';

/** How often the overview re-reads the streams' figures (bitrate, bytes), ms: the MDU reports them every second. */
export const STREAM_FIGURES_REFRESH_MS = 5_000;
/** Bits per kilobit, for "1 234 kbit/s". */
const BITS_PER_KBIT = 1000;

/** Mount the overview card; returns its cleanup. */
export function mountStreamOverview(into: HTMLElement): () => void {
  const body = h('tbody');
  const status = statusLine();
  const empty = h('p', { class: 'muted', hidden: true }, 'No live streams now.');
  const refresh = h('button', { type: 'button' }, 'Refresh');
  const head = ['Device', 'Channel', 'State', 'Viewers', 'Bitrate', 'Bytes', 'Since'];
  into.append(
    card(
      'Live streams',
      'streams',
      h('div', { class: 'row' }, refresh),
      status,
      empty,
      h(
        'div',
        { class: 'table-wrap' },
        h('table', { 'data-testid': 'stream-overview' }, h('thead', {}, h('tr', {}, ...head.map((t) => h('th', { scope: 'col' }, t)))), body),
      ),
    ),
  );
  const row = (s: StreamOverviewRow) =>
    h(
      'tr',
      { 'data-stream': s.stream_id },
      h('td', {}, h('a', { href: `/cameras/${encodeURIComponent(s.device_id)}`, 'data-link': true }, s.device_id)),
      h('td', {}, String(s.channel)),
      h('td', {}, h('a', { href: `/actors/${encodeURIComponent(s.actor_id)}`, 'data-link': true, title: s.reason }, s.state)),
      h('td', { 'data-col': 'viewers' }, String(s.viewers)),
      h('td', { 'data-col': 'bitrate' }, s.bitrate_bps === null ? '—' : `${Math.round(s.bitrate_bps / BITS_PER_KBIT)} kbit/s`),
      h('td', { 'data-col': 'bytes' }, s.bytes === null ? '—' : fmtBytes(s.bytes)),
      h('td', { title: new Date(s.live_at ?? s.since).toISOString() }, `${fmtClock((s.live_at ?? s.since) / 1000)} (${fmtRelative(s.live_at ?? s.since)})`),
    );
  let loading = false;
  const load = async () => {
    if (loading) return;
    loading = true;
    try {
      const r = await api<{ streams: StreamOverviewRow[]; truncated: boolean }>('/api/admin/streams');
      replace(body, ...r.streams.map(row));
      empty.hidden = r.streams.length > 0;
      replace(status, `${r.streams.length} streams${r.truncated ? ' (the newest only)' : ''}, read at ${fmtClock(Date.now() / 1000)}.`);
      status.className = 'status';
    } catch (err) {
      replace(status, explain(err));
      status.className = 'status error';
    } finally {
      loading = false;
    }
  };
  refresh.addEventListener('click', () => void load());
  const close = openFeed({ topic: 'actors', type: 'stream' }, { ready: () => void load(), transition: () => void load() });
  const tick = setInterval(() => document.visibilityState === 'visible' && void load(), STREAM_FIGURES_REFRESH_MS);
  return () => {
    close();
    clearInterval(tick);
  };
}

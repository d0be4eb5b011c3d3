/**
 * What the live and recording panels share: whether this browser can play the platform's video
 * (H.264 through Media Source Extensions), media URLs on the page's own origin, and times of day.
 */

/** The codec the cameras send (H.264 Constrained Baseline, as `avc1` in MP4: what mpegts.js and hls.js remux to). */
export const H264_MSE_TYPE = 'video/mp4; codecs="avc1.42E01E"';

/** Why this browser cannot play the cameras' video in the page, or undefined when it can. */
export function mseProblem(): string | undefined {
  const w = window as unknown as { MediaSource?: typeof MediaSource; ManagedMediaSource?: typeof MediaSource };
  const ms = w.MediaSource ?? w.ManagedMediaSource;
  if (!ms) return 'This browser cannot play video in the page (it has no Media Source Extensions).';
  if (!ms.isTypeSupported(H264_MSE_TYPE)) return 'This browser cannot decode H.264 video, which the cameras send.';
  return undefined;
}

/**
 * The same URL on the page's own origin (`wss:` for a WebSocket). The platform writes its URLs with
 * PUBLIC_HOST, which need not be the host in the address bar; the console's CSP allows only its
 * own origin, and the path and signed query are all the platform needs.
 */
export function onThisOrigin(url: string): string {
  const u = new URL(url, location.href);
  const ws = u.protocol === 'wss:' || u.protocol === 'ws:';
  u.protocol = ws ? (location.protocol === 'https:' ? 'wss:' : 'ws:') : location.protocol;
  u.host = location.host;
  return u.toString();
}

/** A time of day, 24-hour, to the second: `14:02:31` (epoch seconds, the reader's time zone). */
export function fmtClock(s: number): string {
  return new Date(s * 1000).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
}

/** `1 h 02 min`, `3 min 20 s`, `12.5 s`. */
export function fmtDuration(s: number): string {
  if (s < 60) return `${Math.round(s * 10) / 10} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(Math.round(s % 60)).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** `4.2 MB`. */
export function fmtBytes(n: number): string {
  return n < 1e3 ? `${n} B` : n < 1e6 ? `${(n / 1e3).toFixed(1)} kB` : n < 1e9 ? `${(n / 1e6).toFixed(1)} MB` : `${(n / 1e9).toFixed(2)} GB`;
}

/** `YYYY-MM-DD` of a date in local time (a date input's value). */
export function localDay(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

/** A local day (`YYYY-MM-DD`) as epoch seconds from its midnight to the next (23 or 25 hours on a clock change). */
export function dayBounds(day: string, shift = 0): { from: number; to: number; day: string } {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const start = new Date(y, m - 1, d + shift);
  const end = new Date(y, m - 1, d + shift + 1);
  return { from: start.getTime() / 1000, to: end.getTime() / 1000, day: localDay(start) };
}

/** Seconds since the local midnight of `day` as `HH:MM:SS` (a time input's value), and back. */
export function timeOfDay(s: number, dayFrom: number): string {
  const d = new Date(s * 1000);
  const p = (n: number) => String(n).padStart(2, '0');
  return s - dayFrom >= 86_400 ? '23:59:59' : `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** A time input's `HH:MM[:SS]` on the day that starts at `dayFrom`, as epoch seconds (undefined when empty). */
export function atTimeOfDay(value: string, dayFrom: number): number | undefined {
  const m = /^(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value);
  if (!m) return undefined;
  const d = new Date(dayFrom * 1000);
  d.setHours(Number(m[1]), Number(m[2]), Number(m[3] ?? 0), 0);
  return d.getTime() / 1000;
}

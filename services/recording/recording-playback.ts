/**
 * Playback of recorded segments (docs/recording.md, "Playback"): the segments and gaps of a time
 * range, an HLS VOD playlist of them (RFC 8216) whose segment URLs are signed and expire, the
 * signed segment files themselves with byte ranges, and one MPEG-TS file of a whole range.
 */
import { segmentActorId } from '../../actors/machines/segment.machine.ts';
import type { ByteRange } from '../../media/cs/index.ts';
import type { Principal } from '../users/principal.ts';
import { DomainError } from '../errors.ts';
import type { IndexedSegment } from './recording-index.ts';
import type { RecordingDeps, RecordingService } from './recording.ts';
import { PLAYBACK_URL_TTL_S } from './recording-config.ts';
import { checkSegmentUrl, segmentStem, signedSegmentUrl, urlExpiryS } from './recording-urls.ts';
import { VrError } from './recording-vr.ts';

/** Most segments one listing, playlist or download covers (31 days of 10 s segments is 267,840). */
export const PLAYBACK_SEGMENTS_MAX = 20_000;
/** A hole between two segments shorter than this is rounding, not a gap (seconds). */
export const GAP_TOLERANCE_S = 0.5;
/** The range of a listing without `from`/`to`: the last 24 hours. */
export const DEFAULT_RANGE_S = 24 * 3600;
/** Media type of segments and downloads. */
export const MPEG_TS = 'video/mp2t';
/** Media type of HLS playlists (RFC 8216 4). */
export const M3U8 = 'application/vnd.apple.mpegurl';

/** The holder of URLs made for the admin token, which has no sign-in session (its URLs live PLAYBACK_URL_TTL_S). */
export const ADMIN_HOLDER = 'admin';

/** Whom playback URLs are made for: a sign-in session's public id (or ADMIN_HOLDER), and when it ends (epoch ms). */
export interface PlaybackViewer {
  holder: string;
  untilMs?: number;
}

/** The playback viewer of an API caller. */
export function viewerOf(who: Principal): PlaybackViewer {
  return who.kind === 'user' && who.sessionId ? { holder: who.sessionId, untilMs: who.sessionExpiresAt } : { holder: ADMIN_HOLDER };
}

/** A segment as a listing shows it. */
export interface PlaybackSegment {
  name: string;
  /** Seconds since the epoch (the device's clock). */
  start: number;
  duration: number;
  end: number;
  size: number;
  /** Its timestamps do not continue the previous segment's (the PU said so), or a gap precedes it. */
  discontinuity: boolean;
  /** A signed, expiring URL of its bytes (ranges allowed). */
  url: string;
}

/** A stretch of the range without recorded video. */
export interface Gap {
  start: number;
  end: number;
  duration: number;
}

/** The recordings of a channel in a time range. */
export interface Listing {
  device_id: string;
  channel: number;
  from: number;
  to: number;
  segments: PlaybackSegment[];
  gaps: Gap[];
  /** Seconds of video and bytes over the listed segments. */
  duration: number;
  size: number;
  /** More segments than PLAYBACK_SEGMENTS_MAX fall in the range: narrow it. */
  truncated: boolean;
}

/** The segments, gaps, playlists and downloads of recorded channels. */
export class Playback {
  constructor(
    private p: Pick<RecordingDeps, 'key' | 'sessions' | 'access' | 'baseUrl'>,
    private rec: RecordingService,
  ) {}

  /** Resolve `from`/`to` (epoch seconds, either may be absent) into a range. */
  range(q: { from?: number; to?: number }, now = Date.now() / 1000): { from: number; to: number } {
    const to = q.to ?? (q.from !== undefined ? q.from + DEFAULT_RANGE_S : now);
    const from = q.from ?? to - DEFAULT_RANGE_S;
    if (from >= to) throw new DomainError('invalid', 'from must be before to', 'from');
    return { from, to };
  }

  /** Segments and gaps of a channel in [from, to), with URLs for `viewer`. */
  async list(deviceId: string, channel: number, q: { from?: number; to?: number }, viewer: PlaybackViewer): Promise<Listing> {
    return (await this.read(deviceId, channel, q, viewer)).listing;
  }

  /** The index rows of a range (0-byte segments left out: nothing to play) and their listing. */
  private async read(
    deviceId: string,
    channel: number,
    q: { from?: number; to?: number },
    viewer?: PlaybackViewer,
  ): Promise<{ listing: Listing; rows: IndexedSegment[] }> {
    const { from, to } = this.range(q);
    const rows = await this.rec.index.list(deviceId, channel, from, to, PLAYBACK_SEGMENTS_MAX);
    const truncated = rows.length > PLAYBACK_SEGMENTS_MAX;
    const playable = rows.slice(0, PLAYBACK_SEGMENTS_MAX).filter((r) => r.size > 0);
    const now = Date.now();
    // An hour at most, and never past the viewer's sign-in (its URLs are refused once it ends, too).
    const expS = Math.min(urlExpiryS(now, PLAYBACK_URL_TTL_S), Math.floor((viewer?.untilMs ?? Infinity) / 1000));
    const segments: PlaybackSegment[] = [];
    const gaps: Gap[] = [];
    let cursor = from;
    for (const r of playable) {
      const gap = r.start - cursor > GAP_TOLERANCE_S;
      if (gap) gaps.push(gapOf(cursor, r.start));
      segments.push({
        name: r.name,
        start: r.start,
        duration: r.duration,
        end: r.start + r.duration,
        size: r.size,
        discontinuity: r.discontinuity || (gap && segments.length > 0),
        url: viewer ? this.segmentUrl(r, expS, viewer.holder) : '',
      });
      cursor = Math.max(cursor, r.start + r.duration);
    }
    if (to - cursor > GAP_TOLERANCE_S) gaps.push(gapOf(cursor, to));
    const listing: Listing = {
      device_id: deviceId,
      channel,
      from,
      to,
      segments,
      gaps,
      truncated,
      duration: round3(segments.reduce((n, s) => n + s.duration, 0)),
      size: segments.reduce((n, s) => n + s.size, 0),
    };
    return { listing, rows: playable };
  }

  /**
   * An HLS VOD playlist of the range: one entry per segment, `#EXT-X-DISCONTINUITY` before a
   * segment the PU marked discontinuous and after every gap (its timestamps restart or jump), and
   * `#EXT-X-PROGRAM-DATE-TIME` there, so a player shows the wall-clock time of each stretch.
   */
  async playlist(deviceId: string, channel: number, q: { from?: number; to?: number }, viewer: PlaybackViewer): Promise<string> {
    const l = await this.list(deviceId, channel, q, viewer);
    if (l.segments.length === 0) throw new DomainError('not-found', `no recordings of channel ${channel} in this range`);
    const target = Math.max(1, ...l.segments.map((s) => Math.ceil(s.duration)));
    const lines = ['#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-PLAYLIST-TYPE:VOD', `#EXT-X-TARGETDURATION:${target}`, '#EXT-X-MEDIA-SEQUENCE:0'];
    l.segments.forEach((s, i) => {
      if (i > 0 && s.discontinuity) lines.push('#EXT-X-DISCONTINUITY');
      if (i === 0 || s.discontinuity) lines.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(s.start * 1000).toISOString()}`);
      lines.push(`#EXTINF:${s.duration.toFixed(3)},`, s.url);
    });
    lines.push('#EXT-X-ENDLIST', '');
    return lines.join('\n');
  }

  /**
   * One MPEG-TS file of the range: the whole segments that overlap it, in order, streamed one
   * after the other (TS packets concatenate; the PU's timestamps are kept as recorded).
   */
  async download(
    deviceId: string,
    channel: number,
    q: { from?: number; to?: number },
  ): Promise<{ body: ReadableStream<Uint8Array>; size: number; filename: string }> {
    const { listing: l, rows } = await this.read(deviceId, channel, q);
    if (l.segments.length === 0) throw new DomainError('not-found', `no recordings of channel ${channel} in this range`);
    if (l.truncated) throw new DomainError('invalid', `more than ${PLAYBACK_SEGMENTS_MAX} segments in this range: narrow it`, 'to');
    const objects = rows.map((r) => ({ key: r.fileKey, version: r.fileVersion ?? undefined }));
    const storage = this.rec.storage;
    const log = this.rec.log;
    let i = 0;
    let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
    const body = new ReadableStream<Uint8Array>({
      async pull(ctl) {
        for (;;) {
          if (!reader) {
            const o = objects[i++];
            if (o === undefined) return ctl.close();
            const key = o.key;
            const obj = await storage.get(key, undefined, o.version);
            if (!obj) {
              log.error({ key }, 'a confirmed segment is missing from storage');
              return ctl.error(new Error(`segment ${key} is missing`));
            }
            reader = (obj.body instanceof Blob ? obj.body.stream() : obj.body).getReader();
          }
          const { value, done } = await reader.read();
          if (done) {
            reader = undefined;
            continue;
          }
          ctl.enqueue(value);
          return;
        }
      },
      cancel() {
        void reader?.cancel();
      },
    });
    const stamp = new Date(l.from * 1000).toISOString().replace(/[:.]/g, '-');
    return { body, size: l.size, filename: `${deviceId}-ch${channel}-${stamp}.ts` };
  }

  /**
   * `GET /cs/seg/<session>/<name>?e=&s=`: a confirmed segment's bytes, for whoever holds the
   * signed URL a listing or playlist handed out; `range` is an HTTP Range header.
   */
  async segment(
    sessionId: string,
    name: string,
    e: string | undefined,
    holder: string | undefined,
    sig: string | undefined,
    range: string | undefined,
  ): Promise<Response> {
    const check = checkSegmentUrl(this.p.key, 'get', sessionId, name, e, sig, Date.now() / 1000, holder ?? '');
    if (check === 'forged') throw new VrError(403, 'this segment URL is not one the platform issued');
    if (check === 'expired') throw new VrError(410, 'this segment URL has expired: list the recordings again');
    if (holder !== ADMIN_HOLDER && !(await this.p.sessions.isLive(holder!))) {
      throw new VrError(403, 'the sign-in that made this segment URL has ended: sign in and list the recordings again');
    }
    const stem = segmentStem(name);
    const row = stem ? await this.rec.index.get(segmentActorId(sessionId, stem)) : undefined;
    if (!row) throw new VrError(404, `no segment ${name}`);
    if (holder !== ADMIN_HOLDER && !(await this.p.access.sessionReaches(holder!, row.deviceId))) {
      throw new VrError(403, 'the sign-in that made this segment URL no longer reaches this camera (its share ended, or it was unbound)');
    }
    const headers: Record<string, string> = { 'Content-Type': MPEG_TS, 'Accept-Ranges': 'bytes', 'Cache-Control': 'private, max-age=3600' };
    const r = range ? parseRange(range, row.size) : undefined;
    if (r === 'unsatisfiable') return new Response(null, { status: 416, headers: { ...headers, 'Content-Range': `bytes */${row.size}` } });
    const obj = await this.rec.storage.get(row.fileKey, r, row.fileVersion ?? undefined);
    if (!obj) throw new VrError(404, `segment ${name} is missing from storage`);
    if (!r) return new Response(obj.body, { status: 200, headers: { ...headers, 'Content-Length': String(obj.size) } });
    return new Response(obj.body, {
      status: 206,
      headers: { ...headers, 'Content-Length': String(r.end - r.start + 1), 'Content-Range': `bytes ${r.start}-${r.end}/${obj.size}` },
    });
  }

  private segmentUrl(r: IndexedSegment, expS: number, holder: string): string {
    // A store viewers reach: its own presigned URL, expiring at the same time (not ended by a sign-out: docs/recording.md).
    const direct = this.rec.storage.direct?.getUrl;
    if (direct) return direct(r.fileKey, Math.max(1, expS - Math.floor(Date.now() / 1000)), r.fileVersion ?? undefined);
    const sessionId = r.id.split(':')[1]!;
    return signedSegmentUrl(this.p.key, this.p.baseUrl(), 'get', sessionId, r.name, expS, holder);
  }
}

/**
 * One byte range of an HTTP `Range` header (RFC 9110 14.1.2): `bytes=a-b`, `bytes=a-`, `bytes=-n`.
 * Several ranges are answered with the first one only; anything else is ignored (whole object).
 */
export function parseRange(header: string, size: number): ByteRange | 'unsatisfiable' | undefined {
  const m = /^bytes=\s*(\d*)\s*-\s*(\d*)\s*(,.*)?$/i.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0) return 'unsatisfiable';
    start = Math.max(0, size - n);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
    if (m[2] !== '' && Number(m[2]) < start) return undefined;
  }
  if (start >= size || size === 0) return 'unsatisfiable';
  return { start, end };
}

function gapOf(start: number, end: number): Gap {
  return { start, end, duration: round3(end - start) };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

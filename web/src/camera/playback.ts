/**
 * Playing recordings in the page: hls.js over `…/playback.m3u8?from=&to=` (an HLS VOD playlist of
 * the recorded segments, signed segment URLs) into a `<video>`, starting at the chosen time, and the
 * wall-clock time of what is shown (the playlist skips gaps, so media time is the sum of the
 * segments before). hls.js transmuxes in a worker loaded from this origin (`/assets/hls.worker-….js`:
 * the ESM build of hls.js cannot inline its worker).
 */
import type HlsDefault from 'hls.js';
import hlsWorkerUrl from 'hls.js/dist/hls.worker.js' with { type: 'file' };
import type { PlaybackSegment } from '../../../services/recording/recording-playback.ts';
import { announce } from '../dom.ts';
import { progress, type Progress } from '../action.ts';
import { fmtClock, mseProblem, onThisOrigin } from './media.ts';

type Hls = HlsDefault;

/** Longest wait for the first picture of a recording, ms (a playlist and a first segment or two). */
export const PLAYBACK_FIRST_PICTURE_TIMEOUT_MS = 30_000;
/** Seconds of video hls.js buffers ahead (recordings are short segments on the same server). */
export const PLAYBACK_BUFFER_AHEAD_S = 30;

/** A segment's place on the media timeline the playlist makes. */
interface Placed {
  start: number;
  duration: number;
  /** Media time at which it begins. */
  at: number;
}

/** Plays recordings into a video element, reporting into a status line. */
export interface RecordingPlayer {
  /**
   * Play the playlist at `url` from `from` (epoch seconds), given the segments it holds (in order);
   * `note` is said first (e.g. why playback starts later than asked).
   */
  play(url: string, segments: PlaybackSegment[], from: number, note?: string): Promise<void>;
  /** Stop and forget the player. */
  stop(): void;
  /** Whether something is loaded. */
  readonly active: boolean;
}

/** Create a player for `video`; `onTime` gets the wall-clock time shown (epoch seconds) or null. */
export function createRecordingPlayer(video: HTMLVideoElement, status: HTMLElement, onTime: (t: number | null) => void): RecordingPlayer {
  let hls: Hls | undefined;
  let placed: Placed[] = [];
  let wait: Progress | undefined;
  let from = 0;
  let generation = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const wallAt = (m: number): number | null => {
    for (const p of placed) if (m < p.at + p.duration) return p.start + Math.max(0, m - p.at);
    const last = placed.at(-1);
    return last ? last.start + last.duration : null;
  };
  const finish = (text: string, kind: 'ok' | 'error' | 'plain') => {
    clearTimeout(timer);
    wait?.end(text, kind);
    wait = undefined;
  };
  const stop = () => {
    generation++;
    clearTimeout(timer);
    hls?.destroy();
    hls = undefined;
    placed = [];
    video.removeAttribute('src');
    video.load();
    video.hidden = true;
    onTime(null);
  };

  video.addEventListener('timeupdate', () => {
    if (!hls) return;
    const t = wallAt(video.currentTime);
    onTime(t);
    if (wait && !video.paused && video.currentTime > 0) {
      finish(`Playing from ${fmtClock(from)}.`, 'ok');
      announce(`Playing the recording from ${fmtClock(from)}.`);
    }
  });
  video.addEventListener('ended', () => hls && (status.textContent = 'End of the recordings of this day.'));

  return {
    get active() {
      return hls !== undefined;
    },
    stop: () => {
      stop();
      finish('', 'plain');
    },
    async play(url, segments, start, note) {
      stop();
      finish('', 'plain');
      const problem = mseProblem();
      if (problem) {
        wait = progress(status, '');
        return finish(problem, 'error');
      }
      const mine = ++generation;
      from = start;
      let at = 0;
      placed = segments.map((s) => {
        const p = { start: s.start, duration: s.duration, at };
        at += s.duration;
        return p;
      });
      wait = progress(status, `${note ? `${note} ` : ''}Loading the recording from ${fmtClock(start)}…`);
      let Hls: typeof HlsDefault;
      try {
        Hls = (await import('hls.js')).default;
      } catch (err) {
        return finish(`The player could not be loaded: ${err instanceof Error ? err.message : String(err)}`, 'error');
      }
      if (mine !== generation) return;
      if (!Hls.isSupported()) return finish('This browser cannot play HLS in the page (no Media Source Extensions).', 'error');
      const offset = Math.max(0, start - (segments[0]?.start ?? start));
      const player = new Hls({
        enableWorker: true,
        workerPath: hlsWorkerUrl,
        startPosition: offset,
        maxBufferLength: PLAYBACK_BUFFER_AHEAD_S,
        // Segment URLs name PUBLIC_HOST; fetch them from this origin, which the CSP allows.
        xhrSetup: (xhr, u) => xhr.open('GET', onThisOrigin(u), true),
      });
      hls = player;
      let recovered = false;
      player.on(Hls.Events.ERROR, (_e, d) => {
        if (!d.fatal || hls !== player) return;
        if (d.type === Hls.ErrorTypes.MEDIA_ERROR && !recovered) {
          recovered = true; // one decoder hiccup is worth one recovery
          player.recoverMediaError();
          return;
        }
        const code = d.response?.code ? ` (HTTP ${d.response.code})` : '';
        const text =
          d.details === Hls.ErrorDetails.MANIFEST_LOAD_ERROR
            ? `The playlist could not be loaded${code}.`
            : d.type === Hls.ErrorTypes.NETWORK_ERROR
              ? `A recorded segment could not be loaded${code}: ${d.details}.`
              : `The recording could not be played: ${d.details}.`;
        stop();
        wait ??= progress(status, '');
        finish(text, 'error');
        announce(text);
      });
      player.on(Hls.Events.MANIFEST_PARSED, () => {
        if (hls === player) void video.play().catch(() => {});
      });
      video.hidden = false;
      player.loadSource(onThisOrigin(url));
      player.attachMedia(video);
      timer = setTimeout(() => {
        if (hls !== player || !wait) return;
        stop();
        finish(`No picture within ${PLAYBACK_FIRST_PICTURE_TIMEOUT_MS / 1000} s.`, 'error');
      }, PLAYBACK_FIRST_PICTURE_TIMEOUT_MS);
    },
  };
}

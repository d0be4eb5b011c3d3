/**
 * The recordings panel (docs/console.md "Recordings"): recording on and off for the channel
 * (`POST`/`DELETE …/recording`) with its state and last error, kept live by the recording actor's
 * transitions; a day's timeline of `GET …/recordings?from=&to=` (recorded stretches and gaps,
 * refreshed as segments are confirmed); a click plays from that time (hls.js over
 * `…/playback.m3u8`); and a range downloads as one MPEG-TS file (`…/download`).
 */
import type { SessionView } from '../../../services/recording/recording.ts';
import type { Listing, PlaybackSegment } from '../../../services/recording/recording-playback.ts';
import type { RecordingContext } from '../../../actors/machines/recording.types.ts';
import { api, ApiError, explain } from '../api.ts';
import { act, progress, statusLine, type Progress } from '../action.ts';
import { announce, field, fmtTime, h, replace } from '../dom.ts';
import type { TransitionFeedEvent } from '../feed.ts';
import { listenToDeviceActors } from './actor-feed.ts';
import { atTimeOfDay, dayBounds, fmtBytes, fmtClock, fmtDuration, localDay, timeOfDay } from './media.ts';
import { createRecordingPlayer } from './playback.ts';
import { createTimeline, type Stretch, stretchesOf } from './timeline.ts';
import { createAlarmSection, SHOW_DAY_TRIES } from './alarms.ts';
import { errorText } from './recording-error.ts';
import type { PanelContext } from './slots.ts';

/** A confirmed segment refreshes the day's listing after this quiet time (segments come every few seconds). */
export const LISTING_REFRESH_DEBOUNCE_MS = 1_000;
/** Longest wait for the camera to answer StartRecord or StopRecord: the platform's own deadline is 30 s. */
export const RECORD_ANSWER_WAIT_MS = 40_000;
/** Rows of the stretch table shown at most (a day of alarm recordings can have many). */
const STRETCH_ROWS_MAX = 200;

/** The session as the panel shows it: the API's view, or one made from a recording actor's transition. */
type RecView = Pick<SessionView, 'state' | 'since' | 'reason' | 'params' | 'attempt' | 'started_at' | 'stopped_at' | 'last_error'> & {
  recording_id: string;
  dropped?: SessionView['dropped'];
};

/** States in which the channel records or is meant to (Stop applies). */
const WANTED = new Set(['starting', 'recording', 'failed']);
const BADGE: Record<string, 'on' | 'busy' | 'off' | 'err'> = { recording: 'on', starting: 'busy', stopping: 'busy', failed: 'err', stopped: 'off' };

/** Mount the recordings panel into its card. */
export function mountRecordings(root: HTMLElement, ctx: PanelContext): () => void {
  const enc = encodeURIComponent(ctx.deviceId);
  const chUrl = (rest: string, ch = ctx.channel()) => `/api/devices/${enc}/channels/${ch}/${rest}`;
  root.classList.add('wide');

  // ── recording on/off ──
  const recBadge = h('span', { class: 'badge off', 'data-testid': 'recording-state' }, '…');
  const recText = h('span', { class: 'muted small' });
  const recError = h('p', { class: 'status error', 'data-testid': 'recording-error', hidden: true });
  const recBtn = h('button', { type: 'button', class: 'primary', 'data-needs': 'operator' }, 'Start recording');
  const segInput = h('input', { type: 'number', min: 1, step: 1, name: 'seg_duration', inputmode: 'numeric', placeholder: 'default' });
  const recStatus = statusLine();
  let rec: RecView | null | undefined;
  let recWait: { wait: Progress; until: string; timer: ReturnType<typeof setTimeout> } | undefined;

  const drawRec = (next: RecView | null) => {
    // An API answer may arrive after the feed already told of a later state of the same session
    // (StartRecord answered quickly): the later state wins.
    const stale = next && rec && rec.recording_id === next.recording_id && rec.since > next.since;
    const v = stale ? { ...rec!, ...(next.dropped ? { dropped: next.dropped } : {}) } : next;
    rec = v;
    const state = v?.state ?? 'never';
    recBadge.className = `badge ${BADGE[state] ?? 'off'}`;
    recBadge.dataset.state = state;
    recBadge.textContent = v ? state : 'off';
    recText.textContent = !v
      ? 'This channel has never recorded.'
      : state === 'recording'
        ? `Since ${fmtTime(v.started_at ?? v.since)}, in segments of ${v.params.seg_duration} s.`
        : state === 'stopped'
          ? `Stopped ${fmtTime(v.stopped_at ?? v.since)}${v.reason === 'stopped' ? '' : `: ${v.reason}`}.`
          : `${v.reason} (since ${fmtTime(v.since)}).`;
    const e = v?.last_error;
    recError.hidden = !e || state === 'recording';
    recError.textContent = e ? `Last error: ${errorText(e)}` : '';
    if (v?.dropped?.segments)
      recText.textContent += ` The camera dropped ${v.dropped.segments} segments (${fmtDuration(v.dropped.seconds)}) it could not upload.`;
    const on = WANTED.has(state);
    recBtn.textContent = on ? 'Stop recording' : 'Start recording';
    recBtn.className = on ? 'danger' : 'primary';
    recBtn.disabled = state === 'stopping';
    if (recWait && (state === recWait.until || state === 'failed' || (recWait.until === 'recording' && state === 'stopped'))) {
      clearTimeout(recWait.timer);
      const ok = state === recWait.until;
      recWait.wait.end(
        ok ? (state === 'recording' ? 'The camera is recording.' : 'Recording stopped.') : `The camera is not recording: ${e ? errorText(e) : v?.reason}`,
        ok ? 'ok' : 'error',
      );
      announce(ok ? `Recording ${state}.` : 'Recording failed.');
      recWait = undefined;
    }
  };
  const awaitState = (until: string, waiting: string) => {
    if (recWait) clearTimeout(recWait.timer);
    const wait = progress(recStatus, waiting);
    recWait = {
      wait,
      until,
      timer: setTimeout(() => {
        wait.end('No answer from the camera yet; the state above follows it.', 'plain');
        recWait = undefined;
      }, RECORD_ANSWER_WAIT_MS),
    };
  };
  const loadRec = async () => {
    const ch = ctx.channel();
    try {
      const v = await api<SessionView | undefined>(chUrl('recording', ch)); // 204: never recorded
      if (ch === ctx.channel()) drawRec(v ?? null);
    } catch (err) {
      if (ch !== ctx.channel()) return;
      if (err instanceof ApiError && err.status === 404) return drawRec(null);
      replace(recStatus, explain(err));
      recStatus.className = 'status error';
    }
  };
  recBtn.addEventListener('click', async () => {
    const ch = ctx.channel();
    if (rec && WANTED.has(rec.state)) {
      const v = await act(recBtn, recStatus, () => api<SessionView>(chUrl('recording', ch), { method: 'DELETE' }), { waiting: 'Asking to stop…', done: '' });
      if (!v || ch !== ctx.channel()) return;
      if (v.state !== 'stopped') awaitState('stopped', 'Waiting for the camera to stop recording (StopRecord)…');
      drawRec(v);
      return;
    }
    const seg = segInput.value.trim();
    const body = seg ? { seg_duration: Number(seg) } : {};
    const v = await act(recBtn, recStatus, () => api<SessionView>(chUrl('recording', ch), { method: 'POST', body }), {
      waiting: 'Asking to record…',
      done: '',
    });
    if (!v || ch !== ctx.channel()) return;
    if (v.state !== 'recording') awaitState('recording', 'Waiting for the camera to start recording (StartRecord)…');
    drawRec(v);
  });

  // ── the day: timeline, playback, stretches ──
  const dayInput = h('input', { type: 'date', name: 'day', value: localDay(new Date()), required: true });
  const prevDay = h('button', { type: 'button', 'aria-label': 'Previous day', title: 'Previous day' }, '‹');
  const nextDay = h('button', { type: 'button', 'aria-label': 'Next day', title: 'Next day' }, '›');
  const summary = h('p', { class: 'muted', 'aria-live': 'polite', 'data-testid': 'day-summary' });
  const listStatus = statusLine();
  const video = h('video', { class: 'rec-video', controls: true, playsinline: true, muted: true, hidden: true, 'aria-label': 'Recorded video' });
  video.muted = true;
  const shown = h('span', { class: 'small', 'data-testid': 'playback-time' });
  const playStatus = statusLine();
  const stopPlay = h('button', { type: 'button', hidden: true }, 'Stop playback');
  const rows = h('tbody');
  const table = h(
    'div',
    { class: 'table-wrap stretches' },
    h(
      'table',
      {},
      h('caption', { class: 'visually-hidden' }, 'Recorded stretches of the day'),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col' }, 'From'),
          h('th', { scope: 'col' }, 'To'),
          h('th', { scope: 'col' }, 'Length'),
          h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')),
        ),
      ),
      rows,
    ),
  );
  let listing: Listing | undefined;
  let stretches: Stretch[] = [];
  let generation = 0;
  let refreshTimer: ReturnType<typeof setTimeout> | undefined;
  const day = () => dayBounds(dayInput.value || localDay(new Date()));

  const player = createRecordingPlayer(video, playStatus, (t) => {
    timeline.playhead(t);
    shown.textContent = t === null ? '' : `Showing ${fmtClock(t)}`;
    shown.dataset.t = t === null ? '' : String(t);
    stopPlay.hidden = t === null && !player.active;
  });
  const timeline = createTimeline({
    pick: (t, on) => playFrom(t, on),
    mark: (which, t) => {
      (which === 'from' ? dlFrom : dlTo).value = timeOfDay(t, day().from);
      announce(`Download ${which === 'from' ? 'starts' : 'ends'} at ${fmtClock(t)}.`);
    },
    alarm: (a) => alarmSec.play(a),
  });
  // The day's alarms: marked on the timeline, listed, played from a little before them (camera/alarms.ts).
  const alarmSec = createAlarmSection(
    ctx.deviceId,
    (m) => timeline.alarms(m),
    (t, why) => playFrom(t, undefined, why),
    {
      channel: ctx.channel,
      showDay: async (t) => {
        dayInput.value = localDay(new Date(t * 1000));
        for (let i = 0; i < SHOW_DAY_TRIES && listing?.from !== day().from; i++) await loadDay();
        return day();
      },
    },
  );

  const playFrom = (t: number, on?: Stretch, why?: string) => {
    if (!listing) return;
    const here = on ?? stretches.find((s) => t >= s.start && t < s.end);
    const st = here ?? stretches.find((s) => s.start > t);
    if (!st) {
      replace(playStatus, `Nothing was recorded after ${fmtClock(t)} on this day.`);
      playStatus.className = 'status error';
      return;
    }
    const at = here ? Math.max(t, st.start) : st.start;
    const gap = here ? undefined : `Nothing was recorded at ${fmtClock(t)}; playing from the next recording, ${fmtClock(at)}.`;
    const note = [why, gap].filter(Boolean).join(' ') || undefined;
    const { to } = day();
    const segs: PlaybackSegment[] = listing.segments.filter((s) => s.end > at && s.start < to);
    stopPlay.hidden = false;
    void player.play(chUrl(`playback.m3u8?from=${at.toFixed(3)}&to=${to}`), segs, at, note);
  };
  stopPlay.addEventListener('click', () => {
    player.stop();
    stopPlay.hidden = true;
  });

  const drawDay = (l: Listing) => {
    listing = l;
    stretches = stretchesOf(l);
    const d = day();
    timeline.draw(
      { ...d, label: new Date(d.from * 1000).toLocaleDateString(undefined, { weekday: 'short', year: 'numeric', month: 'short', day: 'numeric' }) },
      stretches,
      l.gaps,
    );
    summary.textContent =
      l.segments.length === 0
        ? 'Nothing recorded on this day.'
        : `${stretches.length} recorded ${stretches.length === 1 ? 'stretch' : 'stretches'}, ${fmtDuration(l.duration)} of video in ${l.segments.length} segments (${fmtBytes(l.size)})${l.truncated ? '; more than this listing holds: the day shows its first part' : ''}.`;
    const rowOf = (s: Stretch) =>
      h(
        'tr',
        {},
        h('td', {}, fmtClock(s.start)),
        h('td', {}, fmtClock(s.end)),
        h('td', {}, fmtDuration(s.end - s.start)),
        h(
          'td',
          { class: 'actions' },
          h('button', { type: 'button', 'aria-label': `Play from ${fmtClock(s.start)}`, onclick: () => playFrom(s.start, s) }, 'Play'),
          h(
            'button',
            { type: 'button', 'aria-label': `Download ${fmtClock(s.start)} to ${fmtClock(s.end)}`, onclick: () => download(s.start, s.end) },
            'Download',
          ),
        ),
      );
    replace(rows, ...stretches.slice(0, STRETCH_ROWS_MAX).map(rowOf));
    table.hidden = stretches.length === 0;
  };
  const loadDay = async (quiet = false) => {
    const mine = ++generation;
    const d = day();
    const ch = ctx.channel();
    void alarmSec.load(d, ch);
    const get = () => api<Listing>(chUrl(`recordings?from=${d.from}&to=${d.to}`, ch));
    const l = quiet ? await get().catch(() => undefined) : await act(null, listStatus, get, { waiting: 'Loading the recordings…', done: '' });
    if (l && mine === generation) drawDay(l);
  };
  const changeDay = (shift: number) => {
    dayInput.value = dayBounds(dayInput.value || localDay(new Date()), shift).day;
    player.stop();
    void loadDay();
  };
  dayInput.addEventListener('change', () => dayInput.value && changeDay(0));
  prevDay.addEventListener('click', () => changeDay(-1));
  nextDay.addEventListener('click', () => changeDay(1));

  // ── download a range ──
  const dlFrom = h('input', { type: 'time', step: 1, name: 'download_from' });
  const dlTo = h('input', { type: 'time', step: 1, name: 'download_to' });
  const dlBtn = h('button', { type: 'submit' }, 'Download');
  const dlStatus = statusLine();
  const dlForm = h('form', { class: 'row' }, field('From', dlFrom), field('To', dlTo), dlBtn);
  const download = (from: number, to: number) => {
    const fail = (text: string) => {
      replace(dlStatus, text);
      dlStatus.className = 'status error';
    };
    if (!(from < to)) return fail('The end of the range must come after its start.');
    const segs = (listing?.segments ?? []).filter((s) => s.end > from && s.start < to);
    if (segs.length === 0) return fail(`Nothing was recorded between ${fmtClock(from)} and ${fmtClock(to)}.`);
    dlFrom.value = timeOfDay(from, day().from);
    dlTo.value = timeOfDay(to, day().from);
    const a = h('a', { href: chUrl(`download?from=${from.toFixed(3)}&to=${to.toFixed(3)}`), download: true, hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
    replace(
      dlStatus,
      `Downloading ${segs.length} whole segments, ${fmtClock(segs[0]!.start)} to ${fmtClock(segs.at(-1)!.end)} (${fmtBytes(segs.reduce((n, s) => n + s.size, 0))}), as one MPEG-TS file.`,
    );
    dlStatus.className = 'status ok';
  };
  dlForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const { from } = day();
    const a = atTimeOfDay(dlFrom.value, from);
    const b = dlTo.value === '23:59:59' ? day().to : atTimeOfDay(dlTo.value, from);
    if (a === undefined || b === undefined) {
      replace(dlStatus, 'Give the start and the end of the range.');
      dlStatus.className = 'status error';
      return;
    }
    download(a, b);
  });

  root.append(
    h('div', { class: 'row inline' }, h('strong', {}, 'Recording: '), recBadge, recText),
    recError,
    h(
      'div',
      { class: 'row' },
      recBtn,
      h(
        'details',
        { class: 'rec-options', 'data-needs': 'operator' },
        h('summary', {}, 'Options'),
        field('Segment length (s)', segInput, "Empty: the platform's default."),
      ),
    ),
    recStatus,
    h('h3', {}, 'Timeline'),
    h('div', { class: 'row' }, prevDay, field('Day', dayInput), nextDay),
    summary,
    listStatus,
    timeline.el,
    h('div', { class: 'video-box rec' }, video),
    h('div', { class: 'row inline playing-row' }, stopPlay, shown),
    playStatus,
    table,
    alarmSec.el,
    h('h3', {}, 'Download a range'),
    dlForm,
    dlStatus,
  );

  const onTransition = (t: TransitionFeedEvent) => {
    alarmSec.transition(t);
    const c = t.context as (Partial<RecordingContext> & { start?: number }) | undefined;
    if (!c || c.channel !== ctx.channel()) return;
    if (t.type === 'recording') {
      const same = rec?.recording_id === t.actorId;
      drawRec({
        recording_id: t.actorId,
        state: t.stateKey,
        since: c.since ?? t.at,
        reason: c.reason ?? '',
        params: c.params!,
        attempt: c.attempt ?? 0,
        started_at: c.startedAt ?? null,
        stopped_at: c.stoppedAt ?? null,
        last_error: c.lastError ?? null,
        ...(same && rec?.dropped ? { dropped: rec.dropped } : {}),
      });
    } else if (t.type === 'segment' && (t.stateKey === 'confirmed' || t.stateKey === 'deleted')) {
      const d = day();
      if (c.start === undefined || c.start >= d.to || c.start < d.from - 3600) return;
      clearTimeout(refreshTimer);
      refreshTimer = setTimeout(() => void loadDay(true), LISTING_REFRESH_DEBOUNCE_MS);
    }
  };
  const unlisten = listenToDeviceActors(ctx.deviceId, {
    ready: () => {
      void loadRec();
      void loadDay();
      void alarmSec.loadSetting().then(() => alarmSec.playLinked());
    },
    transition: onTransition,
  });
  ctx.onChannel(() => {
    player.stop();
    if (recWait) {
      clearTimeout(recWait.timer);
      recWait.wait.end('', 'plain');
      recWait = undefined;
    }
    listing = undefined;
    void loadRec();
    void loadDay();
  });
  return () => {
    unlisten();
    alarmSec.stop();
    clearTimeout(refreshTimer);
    if (recWait) clearTimeout(recWait.timer);
    player.stop();
  };
}
